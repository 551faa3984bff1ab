"""Bus messages as events, decoded once per process however many subscribers read them."""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import Protocol

from domain.events import Event, EventDecodeError, decode
from domain.ports import Clock


@functools.lru_cache(maxsize=256)
def decoded(text: str) -> Event | None:
    """The event a bus message carries; None for one this process does not understand.

    Every socket of a user (and each socket's session guard) reads the same message: the
    first decodes it, the rest share the (frozen) result.
    """
    try:
        return decode(text)
    except EventDecodeError:
        return None


class KeyClock(Clock, Hashable, Protocol):
    """A clock that can be part of a cache key (any clock hashed by identity is)."""


def key_clock(clock: Clock) -> KeyClock:
    """Renders of an event are cached per clock, so that each runtime renders with its own."""
    if not isinstance(clock, Hashable):
        raise TypeError("realtime renders are cached per clock: it must be hashable")
    return clock
