"""Relay connections with opaque keyset cursors and ``totalCount``."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay import GlobalIDValueError

from domain.accounts.rules import role_visible
from domain.errors import Invalid
from domain.types import DEFAULT_PAGE_SIZE, Page, PageRequest
from schema.errors import bad_input

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    from strawberry.dataloader import DataLoader

    from domain.access import Actor
    from schema.context import Info

NodeT = TypeVar("NodeT")
ModelT = TypeVar("ModelT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    node: NodeT
    cursor: str


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    total_count: int

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def encode_cursor(key: Sequence[str]) -> str:
    """URL-safe base64 of the key as a JSON list (``json.dumps``'s text)."""
    return base64.urlsafe_b64encode(_json_list(key).encode()).decode()


# Text that json.dumps writes as it is: printable ASCII but the quote and the backslash.
_VERBATIM = re.compile(r"[ !#-\[\]-~]*")


def _json_list(key: Sequence[str]) -> str:
    """``json.dumps(list(key))``, joined directly for the usual keys (ISO times and UUIDs:
    text that needs no escape), which costs a third of it."""
    if key and all(part.__class__ is str and _VERBATIM.fullmatch(part) for part in key):
        return '["' + '", "'.join(key) + '"]'
    return json.dumps(list(key))


def decode_cursor(cursor: str) -> tuple[str, ...]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error) as exc:
        raise bad_input("Invalid cursor.") from exc
    if not isinstance(key, list) or not all(isinstance(part, str) for part in key):
        raise bad_input("Invalid cursor.")
    return tuple(key)


def page_request(
    first: int | None,
    after: str | None,
    *,
    max_size: int,
    last: int | None = None,
    before: str | None = None,
) -> PageRequest:
    """The page asked for: forward with ``first`` (20 when neither size is given), backward
    with ``last``; not both."""
    if first is not None and last is not None:
        raise bad_input("Give first or last, not both.")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= max_size:
            raise bad_input(f"{name} must be between 0 and {max_size}.")
    return PageRequest(
        first=DEFAULT_PAGE_SIZE if first is None else first,
        after=None if after is None else decode_cursor(after),
        last=last,
        before=None if before is None else decode_cursor(before),
    )


def connection(
    page: Page[ModelT],
    to_node: Callable[[ModelT], NodeT],
    key: Callable[[ModelT], Sequence[str]],
    *,
    has_previous: bool,
) -> Connection[NodeT]:
    edges = [Edge(node=to_node(item), cursor=encode_cursor(key(item))) for item in page.items]
    info = PageInfo(
        has_next_page=page.has_next,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=info, total_count=page.total)


def uuid_or_none(value: str) -> uuid.UUID | None:
    """The UUID behind a node id; None for anything else (no such node)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class View:
    """What rendering needs of a request: its time and its base URL. Objects are built with
    these computed up front, so their fields are plain values, not resolvers (each resolver
    costs Strawberry's wrapper; a chat list has hundreds of such fields)."""

    now: datetime
    base_url: str
    # Who is looking: some fields show only to admins or to the user themself.
    viewer_id: uuid.UUID | None = None
    viewer_is_admin: bool = False

    @classmethod
    def of(cls, info: Any) -> View:
        base = str(info.context.request.base_url).rstrip("/")
        if base.startswith("ws"):  # a websocket's own URL: files are fetched over HTTP(S)
            base = "http" + base.removeprefix("ws")
        viewer = info.context.viewer
        return cls(
            now=info.context.auth.clock.now(),
            base_url=base,
            viewer_id=None if viewer is None else viewer.user_id,
            viewer_is_admin=viewer is not None and viewer.is_admin,
        )

    def may_see_role(self, user_id: uuid.UUID) -> bool:
        return role_visible(user_id, viewer_id=self.viewer_id, viewer_is_admin=self.viewer_is_admin)

    def media(self, key: str | None) -> str | None:
        """The absolute URL a stored file is served at (``/media/<key>``)."""
        return None if key is None else f"{self.base_url}/media/{key}"


def global_id(type_name: str, key: object) -> strawberry.ID:
    """The Relay global ID of a ``type_name`` node keyed by ``key``."""
    return strawberry.ID(str(relay.GlobalID(type_name, str(key))))


def uuid_of(value: str, type_name: str) -> uuid.UUID | None:
    """The UUID inside a global ID of ``type_name``; None for anything else (a raw UUID, a
    global ID of another type, text): inputs take global IDs only."""
    try:
        parsed = relay.GlobalID.from_id(value)
    except (ValueError, TypeError, GlobalIDValueError):
        return None
    return uuid_or_none(parsed.node_id) if parsed.type_name == type_name else None


def id_of(value: str, type_name: str, field: str) -> uuid.UUID:
    """The UUID in a global ID of ``type_name``; Invalid on ``field`` for anything else (a
    raw UUID included: GraphQL takes global IDs only)."""
    found = uuid_of(value, type_name)
    if found is None:
        raise not_an_id(field, f"Not a {type_name} id.")
    return found


def not_an_id(field: str, message: str) -> Invalid:
    # The message is the field's: a query or subscription has no field list to show.
    return Invalid({field: [message]}, message=message)


# An integer key as a global ID carries it: decimal digits, no sign, no leading zero.
_INTEGER_KEY = re.compile(r"[1-9][0-9]{0,19}")


def int_key(node_id: str) -> int | None:
    """The integer key of a node id (the tracking tables' legacy ids); None for anything else
    (no such node)."""
    return int(node_id) if _INTEGER_KEY.fullmatch(node_id) else None


async def int_nodes(
    info: Info,
    loader: DataLoader[tuple[int, Actor], ModelT | None],
    node_ids: Iterable[str],
    build: Callable[[ModelT], NodeT],
) -> list[NodeT | None]:
    """The integer-keyed nodes of these ids that the viewer may see (the loader asks the
    service, which decides); None for the rest, and for every id an anonymous caller asks."""
    keys = [int_key(node_id) for node_id in node_ids]
    viewer = info.context.viewer
    wanted = [key for key in keys if key is not None]
    if viewer is None or not wanted:
        return [None for _ in keys]
    found = dict(zip(wanted, await loader.load_many([(k, viewer) for k in wanted]), strict=True))
    return [None if key is None or (model := found[key]) is None else build(model) for key in keys]


def int_of(value: str, type_name: str) -> int | None:
    """The integer key inside a global ID of ``type_name``; None for anything else (a bare
    number, a global ID of another type, text): inputs take global IDs only."""
    try:
        parsed = relay.GlobalID.from_id(value)
    except (ValueError, TypeError, GlobalIDValueError):
        return None
    return int_key(parsed.node_id) if parsed.type_name == type_name else None


def int_id_of(value: str, type_name: str, field: str) -> int:
    """The integer key in a global ID of ``type_name``; Invalid on ``field`` for anything else."""
    found = int_of(value, type_name)
    if found is None:
        raise not_an_id(field, f"Not a {type_name} id.")
    return found
