"""A subscription's executor across events (``resolvers.sharing.SharedExecutor``)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

import strawberry

from resolvers.plainfields import FieldSet
from resolvers.sharing import SharedExecutor

EVENTS = 50


@strawberry.type
class Tick:
    n: int
    label: str


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncIterator[Tick]:
        for n in range(EVENTS):
            yield Tick(n=n, label=f"tick {n}")


SCHEMA = strawberry.Schema(
    query=Query, subscription=Subscription, execution_context_class=SharedExecutor
)


def field_sets_alive() -> int:
    return sum(isinstance(thing, FieldSet) for thing in gc.get_objects())


async def test_the_field_sets_of_past_events_do_not_pile_up() -> None:
    stream = await SCHEMA.subscribe("subscription { ticks { n label } }")
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    answers = []
    alive_at_the_end = None
    async for result in stream:
        assert not result.errors
        answers.append(result.data)
        if len(answers) == EVENTS:
            alive_at_the_end = field_sets_alive()

    assert answers == [{"ticks": {"n": n, "label": f"tick {n}"}} for n in range(EVENTS)]
    assert alive_at_the_end is not None
    assert alive_at_the_end < 10, f"{alive_at_the_end} field sets alive after {EVENTS} events"
