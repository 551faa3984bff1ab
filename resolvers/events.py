"""Bus messages as events, decoded once per process however many subscribers read them."""

from __future__ import annotations

import functools

from domain.events import Event, EventDecodeError, decode


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
