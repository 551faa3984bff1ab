"""Pure rules of bot management: token masking, the bot a new link goes to, what a rights
check makes of a link, what a post may hold, the day the daily stats count."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

# Telegram's limit on a message's text.
MAX_POST_LENGTH = 4096
# Message ids read a call when the daily stats look for posts made outside tghub.
DISCOVERY_BATCH = 100
# A discovery that finds nothing in this many batches in a row stops (the ids past the last
# post do not exist yet); deleted posts leave gaps shorter than this.
DISCOVERY_EMPTY_BATCHES = 1

LINK_ADDED = (
    "Канал добавлен, для дальнейшей работы необходимо дать боту права администратора "
    "в текущем канале"
)
NO_RIGHTS = "The bot is not an admin of the channel allowed to post."


class LinkStatus(enum.StrEnum):
    NEW = "new"
    ACTIVE = "active"
    INVALID = "invalid"
    INACTIVE = "inactive"


# The links that hold a channel, and count against their bot's load.
CURRENT = (LinkStatus.NEW, LinkStatus.ACTIVE)


def token_digest(token: str) -> str:
    """The token's SHA-256: its uniqueness, without the token (a token is random)."""
    return hashlib.sha256(token.encode()).hexdigest()


def mask_token(token: str) -> str:
    """``<bot id>:****<last 4>``: enough to tell tokens apart, never enough to use one."""
    head, _, secret = token.partition(":")
    tail = secret[-4:] if len(secret) >= 12 else ""
    return f"{head}:****{tail}" if secret else "****"


def bot_errors(
    *, alias: str | None = None, name: str | None = None, token: str | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if alias is not None and len(alias) > 255:
        errors["alias"] = ["At most 255 characters."]
    if name is not None and len(name) > 255:
        errors["name"] = ["At most 255 characters."]
    if token is not None and (not token.strip() or len(token) > 255 or ":" not in token):
        # Never echo the token: it is a secret even when it is wrong.
        errors["token"] = ["A bot token is what @BotFather gave: <bot id>:<secret>."]
    return errors


def choose_bot(loads: Mapping[int, int]) -> int | None:
    """Arbitrage: the bot with the fewest current links (the lowest id among equals); None
    without any."""
    if not loads:
        return None
    return min(loads, key=lambda bot_id: (loads[bot_id], bot_id))


@dataclass(frozen=True)
class CheckOutcome:
    status: LinkStatus
    reason: str | None


def checked(status: LinkStatus, *, can_post: bool, problem: str | None = None) -> CheckOutcome:
    """What an hourly check makes of a link: an active one that can no longer post is
    invalid, a new one that can is active, a new one that cannot stays new with the reason.
    ``problem`` is Telegram's refusal of the check itself (the bot's token, the channel)."""
    reason = None if can_post else (problem or NO_RIGHTS)
    if status is LinkStatus.ACTIVE:
        return CheckOutcome(LinkStatus.ACTIVE if can_post else LinkStatus.INVALID, reason)
    if status is LinkStatus.NEW:
        return CheckOutcome(LinkStatus.ACTIVE if can_post else LinkStatus.NEW, reason)
    return CheckOutcome(status, reason)


def post_errors(text: str) -> list[str]:
    if not text.strip():
        return ["The message is empty."]
    if len(text) > MAX_POST_LENGTH:
        return [f"The message is {len(text)} characters long; Telegram takes at most 4096."]
    return []


def previous_day(now: datetime) -> date:
    """The UTC calendar day before ``now``'s: the one the daily stats count at midnight."""
    return now.astimezone(UTC).date() - timedelta(days=1)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def id_batches(after: int, size: int = DISCOVERY_BATCH) -> Iterator[list[int]]:
    """Message ids after ``after``, ``size`` a batch, forever (the caller stops)."""
    start = after + 1
    while True:
        yield list(range(start, start + size))
        start += size
