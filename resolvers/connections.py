"""One page of a list over GraphQL, shared by the aggregates' resolvers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.permissions import require_viewer
from schema.relay import Connection, connection, page_request

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from contextlib import AbstractContextManager

    from domain.access import Actor
    from domain.types import Page, PageRequest
    from domain.uow import SqlAlchemyUnitOfWork
    from schema.context import Info
    from schema.relay import ModelT, NodeT


async def page_of(
    info: Info,
    first: int | None,
    after: str | None,
    fetch: Callable[[SqlAlchemyUnitOfWork, PageRequest, Actor], Awaitable[Page[ModelT]]],
    to_node: Callable[[ModelT], NodeT],
    cursor: Callable[[ModelT], Sequence[str]],
    *,
    told: AbstractContextManager[None],
    last: int | None = None,
    before: str | None = None,
) -> Connection[NodeT]:
    """One page: the filter is read inside ``fetch``, and ``told`` words the service's errors
    (and the filter's) in the API's names. ``last`` and ``before`` only for a list whose
    ``fetch`` pages backward too."""
    viewer = require_viewer(info.context)
    page = page_request(first, after, max_size=info.context.max_page_size, last=last, before=before)
    with told:
        async with info.context.uow() as uow:
            found = await fetch(uow, page, viewer)
    return connection(found, to_node, cursor, has_previous=bool(after) or found.has_previous)
