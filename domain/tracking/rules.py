"""Pure rules of online tracking: legacy validation, slot choice and counters.

Messages are Django REST framework's, field by field, as the legacy service answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from domain.tracking.errors import NoFreeTracker, NotEnoughSlots, UserLimitReached
from domain.tracking.events import StatusUpdate
from domain.types import BIGINT_MAX, BIGINT_MIN, INT_MAX

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

ROLES = ("banned", "user", "vip", "admin")
THEMES = ("light", "dark")
PHONE_MAX = 15
USERNAME_MAX = 32
API_HASH_MAX = 255
TIMEZONE_MAX = 64

Errors = dict[str, list[str]]


def _max_length(value: str, limit: int) -> list[str]:
    if not value.strip():
        return ["This field may not be blank."]
    if len(value) > limit:
        return [f"Ensure this field has no more than {limit} characters."]
    return []


def _in_range(value: int, low: int, high: int) -> list[str]:
    if value < low:
        return [f"Ensure this value is greater than or equal to {low}."]
    if value > high:
        return [f"Ensure this value is less than or equal to {high}."]
    return []


def _choice(value: str, choices: Sequence[str]) -> list[str]:
    return [] if value in choices else [f'"{value}" is not a valid choice.']


def _collect(**checks: list[str] | None) -> Errors:
    """Field errors of the checks that found any; None is a field not given (a partial update)."""
    return {name: messages for name, messages in checks.items() if messages}


def tracker_errors(
    *, telegram_id: int | None = None, api_id: int | None = None, api_hash: str | None = None
) -> Errors:
    return _collect(
        telegram_id=None if telegram_id is None else _in_range(telegram_id, BIGINT_MIN, BIGINT_MAX),
        api_id=None if api_id is None else _in_range(api_id, -INT_MAX - 1, INT_MAX),
        api_hash=None if api_hash is None else _max_length(api_hash, API_HASH_MAX),
    )


def setting_errors(*, phone_number: str | None = None, max_users: int | None = None) -> Errors:
    return _collect(
        phone_number=None if phone_number is None else _max_length(phone_number, PHONE_MAX),
        max_users=None if max_users is None else _in_range(max_users, 0, INT_MAX),
    )


def telegram_user_errors(
    *,
    telegram_id: int | None = None,
    role: str | None = None,
    max_users: int | None = None,
    timezone: str | None = None,
    theme: str | None = None,
) -> Errors:
    return _collect(
        telegram_id=None if telegram_id is None else _in_range(telegram_id, BIGINT_MIN, BIGINT_MAX),
        role=None if role is None else _choice(role, ROLES),
        max_users=None if max_users is None else _in_range(max_users, 0, INT_MAX),
        timezone=None if timezone is None else _max_length(timezone, TIMEZONE_MAX),
        theme=None if theme is None else _choice(theme, THEMES),
    )


@dataclass(frozen=True)
class TelegramUserFilter:
    """The legacy list's exact filters; None: not filtered on."""

    id: int | None = None
    telegram_id: int | None = None
    role: str | None = None


@dataclass(frozen=True)
class TrackerFilter:
    """The legacy trackers list's exact filters; None: not filtered on."""

    id: int | None = None
    telegram_id: int | None = None
    is_active: bool | None = None
    is_auth: bool | None = None


@dataclass(frozen=True)
class SettingFilter:
    """The legacy settings list's exact filters (``tracker_account__telegram_id``: the
    tracker's Telegram id); None: not filtered on."""

    id: int | None = None
    phone_number: str | None = None
    tracker_telegram_id: int | None = None


@dataclass(frozen=True)
class StatusFilter:
    """The legacy status list's filters; None: not filtered on. ``username`` matches part of
    the tracked user's username, any case; the time bounds are both inclusive."""

    id: int | None = None
    is_online: bool | None = None
    tracked_user_id: int | None = None
    username: str | None = None
    tracked_username: str | None = None  # the whole username, exactly
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class TrackedUserFilter:
    """The legacy list's exact filters; None: not filtered on. The Telegram ids are the
    tracker's and the client's (``tracker_account__telegram_id``, ``telegram_user__…``)."""

    id: int | None = None
    username: str | None = None
    visible_online: bool | None = None
    tracker_telegram_id: int | None = None
    client_telegram_id: int | None = None


def tracked_user_errors(*, username: str | None = None) -> Errors:
    return _collect(username=None if username is None else _max_length(username, USERNAME_MAX))


def unique_message(model: str, field: str) -> str:
    """DRF's UniqueValidator wording, e.g. 'tracker account with this api id already exists.'"""
    return f"{model} with this {field.replace('_', ' ')} already exists."


def missing_object_message(pk: int) -> str:
    """DRF's PrimaryKeyRelatedField wording for an id that names nothing."""
    return f'Invalid pk "{pk}" - object does not exist.'


# -- slots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slots:
    """One tracker's capacity as the slot rules see it."""

    tracker_id: int
    is_active: bool
    is_auth: bool
    max_users: int
    current_users: int

    @property
    def free(self) -> int:
        return max(self.max_users - self.current_users, 0)

    @property
    def usable(self) -> bool:
        return self.is_active and self.is_auth and self.free > 0


def check_user_limit(*, max_users: int, current_users: int) -> None:
    """A Telegram user tracks at most ``max_users`` users."""
    if current_users >= max_users:
        raise UserLimitReached


def choose_tracker(trackers: Iterable[Slots], wanted: int | None = None) -> int:
    """The tracker a new tracked user goes to.

    An asked-for tracker is honoured only with a free slot; otherwise the least-loaded usable
    tracker (fewest tracked users, then the most free slots, then the oldest) spreads the load
    where the legacy service filled the first one.
    """
    usable = [t for t in trackers if t.usable]
    if wanted is not None:
        if any(t.tracker_id == wanted for t in usable):
            return wanted
        raise NoFreeTracker
    if not usable:
        raise NoFreeTracker
    return min(usable, key=lambda t: (t.current_users, -t.free, t.tracker_id)).tracker_id


def plan_evacuation(leaving: int, count: int, others: Iterable[Slots]) -> list[int]:
    """Where each of the ``count`` tracked users of tracker ``leaving`` moves, in order:
    each to the least-loaded usable tracker at that moment. NotEnoughSlots if they do not fit.
    """
    load = {t.tracker_id: t for t in others if t.tracker_id != leaving and t.usable}
    if sum(t.free for t in load.values()) < count:
        raise NotEnoughSlots
    return _place(count, load)


def plan_rescue(count: int, others: Iterable[Slots]) -> list[int]:
    """Where the tracked users of signed-out trackers move, in order: as many as the usable
    trackers have free slots for (the rest wait for a slot), least-loaded first."""
    load = {t.tracker_id: t for t in others if t.usable}
    return _place(min(count, sum(t.free for t in load.values())), load)


def _place(count: int, load: dict[int, Slots]) -> list[int]:
    targets: list[int] = []
    for _ in range(count):
        target = choose_tracker(load.values())
        targets.append(target)
        load[target] = moved_in(load[target])
    return targets


def moved_in(slots: Slots) -> Slots:
    return Slots(
        slots.tracker_id, slots.is_active, slots.is_auth, slots.max_users, slots.current_users + 1
    )


# -- statuses ------------------------------------------------------------------------------

HIDDEN = "The user's privacy settings hide their online status."


@dataclass(frozen=True)
class StatusChange:
    """What a tracker saw: ``online`` is None when the status cannot be known (hidden by
    privacy, shown only as "recently", an error), ``reason`` says which."""

    tracked_user_id: int
    online: bool | None
    observed_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class TrackedState:
    """A tracked user as status recording needs it: its latest stored status (None: none
    yet) and why tracking hid it (None: not hidden by tracking; an admin's own
    ``visible_online=false`` stays)."""

    latest: bool | None
    hidden_reason: str | None = None


@dataclass(frozen=True)
class StatusPlan:
    rows: list[tuple[int, bool, datetime]] = field(default_factory=list)
    hide: dict[int, str] = field(default_factory=dict)
    show: set[int] = field(default_factory=set)
    # What subscribers are told: each row written, each user newly hidden or shown again.
    updates: list[StatusUpdate] = field(default_factory=list)
    # Each user's state once the plan is written (what a writer's cache keeps).
    after: dict[int, TrackedState] = field(default_factory=dict)


def plan_statuses(
    changes: Iterable[StatusChange], states: Mapping[int, TrackedState]
) -> StatusPlan:
    """The log is of changes, not samples: a status is written only when it differs from the
    latest one (stored or written earlier in the batch). An unknowable status hides the user
    with its reason; a known one shows again a user that tracking hid. Changes of users that
    no longer exist are dropped."""
    plan = StatusPlan()
    latest = {tracked_id: state.latest for tracked_id, state in states.items()}
    hidden = {tracked_id: state.hidden_reason for tracked_id, state in states.items()}
    for change in sorted(changes, key=lambda c: c.observed_at):
        tracked_id = change.tracked_user_id
        if tracked_id not in states:
            continue
        was_hidden = hidden[tracked_id] is not None
        if change.online is None:
            reason = change.reason or HIDDEN
            if not was_hidden:
                plan.updates.append(StatusUpdate(tracked_id, None, change.observed_at, reason))
            if hidden[tracked_id] != reason:  # already hidden for this reason: nothing to write
                plan.hide[tracked_id] = reason
            plan.show.discard(tracked_id)
            hidden[tracked_id] = reason
            continue
        if was_hidden:
            plan.hide.pop(tracked_id, None)
            if states[tracked_id].hidden_reason is not None:
                plan.show.add(tracked_id)
            hidden[tracked_id] = None
        if latest[tracked_id] is not change.online or was_hidden:
            plan.updates.append(StatusUpdate(tracked_id, change.online, change.observed_at))
        if latest[tracked_id] is not change.online:
            plan.rows.append((tracked_id, change.online, change.observed_at))
            latest[tracked_id] = change.online
    plan.after.update({i: TrackedState(latest[i], hidden[i]) for i in latest})
    return plan


# --- polling ------------------------------------------------------------------------------

# Users asked of Telegram in one call: a poll cycle makes one call per this many users.
POLL_BATCH = 100
NOT_FOUND_REASON = "not found"
HIDDEN_REASON = "hidden"


def poll_batches(usernames: Sequence[str]) -> list[list[str]]:
    """The users of one poll cycle, ``POLL_BATCH`` to a call."""
    return [list(usernames[i : i + POLL_BATCH]) for i in range(0, len(usernames), POLL_BATCH)]


@dataclass(frozen=True)
class Observed:
    """What Telegram answered of one user: ``online`` None when it hides the status."""

    username: str | None
    online: bool | None
    observed_at: datetime
    user_id: int | None = None


def status_changes(
    tracked: Mapping[int, str], observed: Iterable[Observed], now: datetime
) -> list[StatusChange]:
    """A change per tracked user (id → username): what Telegram said of the username
    (case-insensitive, as Telegram's usernames are); unknowable with the reason when it hid
    the status or did not know the name."""
    by_name = {o.username.lower(): o for o in observed if o.username}
    changes = []
    for tracked_id, username in tracked.items():
        seen = by_name.get(username.lower())
        if seen is None:
            changes.append(StatusChange(tracked_id, None, now, NOT_FOUND_REASON))
        elif seen.online is None:
            changes.append(StatusChange(tracked_id, None, seen.observed_at, HIDDEN_REASON))
        else:
            changes.append(StatusChange(tracked_id, seen.online, seen.observed_at))
    return changes


def by_telegram_id(
    tracked: Mapping[int, str], observed: Iterable[Observed]
) -> dict[int, list[int]]:
    """Telegram user id → the tracked users (id → username) of that user, as a poll resolved
    their usernames: update events name users by id only."""
    ids = {o.username.lower(): o.user_id for o in observed if o.username and o.user_id is not None}
    found: dict[int, list[int]] = {}
    for tracked_id, username in tracked.items():
        user_id = ids.get(username.lower())
        if user_id is not None:
            found.setdefault(user_id, []).append(tracked_id)
    return found


def update_changes(
    tracked: Mapping[int, Sequence[int]], observed: Iterable[Observed]
) -> list[StatusChange]:
    """The changes an update event tells of the users a tracker tracks (Telegram id → tracked
    ids); updates of users it does not track are ignored."""
    changes = []
    for seen in observed:
        if seen.user_id is None:
            continue
        reason = None if seen.online is not None else HIDDEN_REASON
        changes += [
            StatusChange(tracked_id, seen.online, seen.observed_at, reason)
            for tracked_id in tracked.get(seen.user_id, ())
        ]
    return changes


# --- online sessions --------------------------------------------------------------------------


@dataclass(frozen=True)
class OnlineSession:
    """An interval a tracked user was online: from a change to online to the next change to
    offline, cut to the window asked about."""

    started_at: datetime
    ended_at: datetime

    @property
    def seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


def online_sessions(
    changes: Iterable[tuple[datetime, bool]],
    *,
    start: datetime,
    end: datetime,
    online_at_start: bool,
) -> list[OnlineSession]:
    """The online intervals within ``[start, end)`` of a change log (time order), given the
    status in force at ``start``; an interval still open at ``end`` is cut there."""
    sessions: list[OnlineSession] = []
    since: datetime | None = start if online_at_start else None
    for at, online in changes:
        if not start <= at < end:
            continue
        if online and since is None:
            since = at
        elif not online and since is not None:
            sessions.append(OnlineSession(since, at))
            since = None
    if since is not None and since < end:
        sessions.append(OnlineSession(since, end))
    return [session for session in sessions if session.seconds > 0]


def daily_totals(sessions: Iterable[OnlineSession]) -> dict[date, float]:
    """Seconds online per calendar day (UTC), a session crossing midnight split at it."""
    totals: dict[date, float] = {}
    for session in sessions:
        cursor = session.started_at.astimezone(UTC)
        finish = session.ended_at.astimezone(UTC)
        while cursor < finish:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(), UTC)
            part_end = min(midnight, finish)
            day = cursor.date()
            totals[day] = totals.get(day, 0.0) + (part_end - cursor).total_seconds()
            cursor = part_end
    return totals


# -- the window of an online history ------------------------------------------------------

# The longest window asked about at once: a leap year, so any calendar year fits in one.
MAX_WINDOW = timedelta(days=366)
# A window's ends stay within these: nothing was tracked before the first, and well before
# the second a day's end (the split at midnight) still fits in a date.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
WINDOW_BEFORE_START = "Must be later than from."
WINDOW_TOO_LONG = f"The window may span at most {MAX_WINDOW.days} days."
OUT_OF_RANGE = f"Enter a date/time from {EARLIEST.date()} to {LATEST.date()}."


def window_errors(start: datetime, end: datetime) -> Errors:
    """Why ``[start, end)`` cannot be asked about, by bound (``from``, ``to``); none: it can."""
    errors: Errors = {}
    for name, bound in (("from", start), ("to", end)):
        if not EARLIEST <= bound <= LATEST:
            errors[name] = [OUT_OF_RANGE]
    if errors:
        return errors
    if end <= start:
        errors["to"] = [WINDOW_BEFORE_START]
    elif end - start > MAX_WINDOW:
        errors["to"] = [WINDOW_TOO_LONG]
    return errors


def window_days(start: datetime, end: datetime) -> list[date]:
    """Every UTC day ``[start, end)`` touches, in order: a window ending at midnight does not
    touch the day that starts there."""
    first = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
