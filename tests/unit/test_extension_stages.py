"""The lean extension runner's stages run every kind of hook as Strawberry's own runner does
(``resolvers.extension_runner``): same order, same answers, errors included."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from typing_extensions import override

from resolvers.root import Schema as LeanSchema

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

events: list[str] = []


class Recording(SchemaExtension):
    """A generator, an async generator, a plain and a coroutine hook."""

    @override
    def on_operation(self) -> Iterator[None]:
        events.append("operation in")
        yield
        events.append("operation out")

    @override
    async def on_parse(self) -> AsyncIterator[None]:
        events.append("parse in")
        yield
        events.append("parse out")

    @override
    def on_validate(self) -> None:  # type: ignore[override]  # a plain hook: Strawberry takes it
        events.append("validate")

    @override
    async def on_execute(self) -> AsyncIterator[None]:
        events.append("execute in")
        try:
            yield
        finally:
            events.append("execute out")


class Refusing(SchemaExtension):
    @override
    def on_validate(self) -> Iterator[None]:
        events.append("refuse")
        if events:  # always: a generator hook that raises before it yields
            raise ValueError("refused by a hook")
        yield


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, fail: bool = False) -> str:
        if fail:
            raise RuntimeError("the resolver failed")
        return "hi"


@pytest.mark.parametrize(
    ("extensions", "query"),
    [
        ([Recording], "{ hello }"),
        ([Recording], "{ hello(fail: true) }"),
        ([Recording], "{ nothingLikeThis }"),
        ([Recording, Refusing], "{ hello }"),
    ],
    ids=["answer", "resolver error", "invalid", "hook raises"],
)
async def test_the_same_as_strawberrys_runner(extensions: list[Any], query: str) -> None:
    seen = {}
    for schema_class in (strawberry.Schema, LeanSchema):
        events.clear()
        schema = schema_class(query=Query, extensions=extensions)
        try:
            result = await schema.execute(query)
            outcome: object = (result.data, [e.message for e in result.errors or []])
        except ValueError as exc:
            outcome = repr(exc)
        seen[schema_class] = (outcome, list(events))

    assert seen[LeanSchema] == seen[strawberry.Schema]
    assert seen[LeanSchema][1], "no hook ran"
