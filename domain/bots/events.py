"""Events of bot management."""

from __future__ import annotations

import dataclasses

from typing_extensions import override

from domain.events import Event

# Every change of every link goes out on one channel; a subscriber keeps the channels it
# cares about.
CHANNEL = "bot-channels"


@dataclasses.dataclass(frozen=True)
class BotChannelEvent(Event):
    """Something happened to a linked channel: ``what`` is ``link_status`` (``status`` is
    the link's new one), ``post_published`` (``message_id``) or ``stats_collected``
    (``day``, ISO date). ``channel_id`` is the Telegram channel (None before it is known)."""

    name = "bot_channel"

    what: str
    link_id: int
    channel_id: int | None
    status: str
    reason: str | None = None
    message_id: int | None = None
    day: str | None = None

    @property
    @override
    def channel(self) -> str:
        return CHANNEL
