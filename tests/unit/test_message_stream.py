"""A bus subscriber's stream (``domain.adapters.bus.MessageStream``) keeps what it has not read,
in order, and no more than that."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import pytest

from domain.adapters.bus import _COMPACT_AFTER, MessageStream

if TYPE_CHECKING:
    from domain.adapters.bus import EventBus


async def test_a_reader_always_behind_reads_everything_in_order_and_holds_only_its_backlog() -> (
    None
):
    stream = MessageStream(cast("EventBus", None), "chat")  # the relay's side alone: no bus
    stream.deliver("0")
    read = []
    held = []
    for n in range(1, 5000):
        stream.deliver(str(n))  # always one message ahead of the reader
        read.append(await anext(stream))
        held.append(len(stream._pending))

    assert read == [str(n) for n in range(4999)]
    assert max(held) <= 2 * _COMPACT_AFTER + 1


async def test_the_end_comes_after_the_messages_before_it() -> None:
    stream = MessageStream(cast("EventBus", None), "chat")
    stream.deliver("a")
    stream.deliver("b")
    stream.end(RuntimeError("bus lost"))

    assert [await anext(stream), await anext(stream)] == ["a", "b"]
    with pytest.raises(RuntimeError, match="bus lost"):
        await anext(stream)
