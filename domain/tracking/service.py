"""Use cases of online tracking: trackers and their settings, Telegram users, tracked users
and the log of their status changes. All of it is admin work (or tghub's own, in jobs).

Lock order, the same in every use case so concurrent ones queue instead of deadlocking: the
Telegram user's row, then tracker settings (by tracker id), then tracked users.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.access import System, admits, require_admin, require_admitted
from domain.errors import Invalid, NotFound
from domain.telegram import service as telegram
from domain.tracking import repository, rules
from domain.tracking.errors import AmbiguousUsername, NoTelegramAccount, TrackedUserGone
from domain.tracking.events import OnlineStatusChanged
from domain.tracking.model import (
    OnlineStatus,
    Role,
    TelegramUser,
    Theme,
    TrackedUser,
    TrackerAccount,
    TrackerSetting,
)
from domain.types import Page

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping, Sequence
    from datetime import date, datetime

    from domain.access import Actor
    from domain.ports import Clock, SecretBox, TelegramGateway
    from domain.settings import LegacyGroup
    from domain.types import PageRequest
    from domain.uow import SqlAlchemyUnitOfWork

StatusChange = rules.StatusChange
# A status writer's cache: tracked user id → the state it last wrote.
StateCache = dict[int, rules.TrackedState]


# The legacy group whose routes these use cases serve (TGHUB_LEGACY_OPEN).
GROUP: LegacyGroup = "seeonline"


def require_access(actor: Actor) -> None:
    """Admins, tghub itself, and guests of the opened ``seeonline`` group."""
    require_admitted(actor, GROUP)


def _digest(api_hash: str) -> str:
    return hashlib.sha256(api_hash.encode()).hexdigest()


# -- trackers ------------------------------------------------------------------------------


async def create_tracker(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    telegram_id: int,
    api_id: int,
    api_hash: str,
    is_active: bool = False,
    is_auth: bool = False,
) -> TrackerAccount:
    """A tracker before its phone is known (its setting links it to a Telegram account).
    Commits."""
    require_access(actor)
    Invalid.check(rules.tracker_errors(telegram_id=telegram_id, api_id=api_id, api_hash=api_hash))
    tracker = TrackerAccount(
        telegram_id=telegram_id,
        api_id=api_id,
        api_hash_enc=box.encrypt(api_hash),
        api_hash_digest=_digest(api_hash),
        is_active=is_active,
        is_auth=is_auth,
    )
    await repository.save(uow.session, tracker)
    await uow.commit()
    return tracker


async def update_tracker(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    tracker_id: int,
    telegram_id: int | None = None,
    api_id: int | None = None,
    api_hash: str | None = None,
    is_active: bool | None = None,
    is_auth: bool | None = None,
) -> TrackerAccount:
    """Changes the fields given (None: unchanged). Commits."""
    require_access(actor)
    Invalid.check(rules.tracker_errors(telegram_id=telegram_id, api_id=api_id, api_hash=api_hash))
    tracker = await repository.get(uow.session, TrackerAccount, tracker_id, for_update=True)
    if telegram_id is not None:
        tracker.telegram_id = telegram_id
    if api_id is not None:
        tracker.api_id = api_id
    if api_hash is not None:
        tracker.api_hash_enc, tracker.api_hash_digest = box.encrypt(api_hash), _digest(api_hash)
    if is_active is not None:
        tracker.is_active = is_active
    if is_auth is not None:
        tracker.is_auth = is_auth
    await repository.save(uow.session, tracker)
    await uow.commit()
    return tracker


async def delete_tracker(uow: SqlAlchemyUnitOfWork, *, actor: Actor, tracker_id: int) -> None:
    """Moves the tracker's users to the least-loaded other trackers first, or refuses
    (NotEnoughSlots) when they do not all fit. Commits."""
    require_access(actor)
    session = uow.session
    tracker = await repository.get(session, TrackerAccount, tracker_id)
    slots = await repository.locked_slots(session)
    tracked = await repository.tracked_users_of(session, tracker_id=tracker_id)
    targets = rules.plan_evacuation(tracker_id, len(tracked), slots)
    for user, target in zip(tracked, targets, strict=True):
        user.tracker_account_id = target
    await repository.adjust_tracker_counts(session, Counter(targets))
    # The moves first: the tracker's row is deleted only once nothing references it.
    await session.flush()
    await session.delete(tracker)
    await uow.commit()


async def rotate_secrets(uow: SqlAlchemyUnitOfWork, box: SecretBox, *, actor: Actor) -> int:
    """Re-encrypts every tracker's api hash under the current key; returns how many. Does not
    commit: ``tghub rotate-secrets`` commits it with the Telegram accounts' secrets, so a
    secret no key opens changes nothing anywhere."""
    require_admin(actor)
    trackers = await repository.list_all(uow.session, TrackerAccount, for_update=True)
    for tracker in trackers:
        tracker.api_hash_enc = box.rotate(tracker.api_hash_enc)
    return len(trackers)


async def list_trackers(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, where: rules.TrackerFilter | None = None
) -> list[TrackerAccount]:
    """Those matching every filter given, by id (the legacy list: a bare array)."""
    require_access(actor)
    return await repository.trackers(uow.session, where or rules.TrackerFilter())


async def get_tracker(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, tracker_id: int
) -> TrackerAccount:
    require_access(actor)
    return await repository.get(uow.session, TrackerAccount, tracker_id)


async def tracker_id_of(uow: SqlAlchemyUnitOfWork, *, actor: Actor, telegram_id: int) -> int:
    """The tracker with this Telegram id (the legacy ``by-telegram-id`` routes)."""
    require_access(actor)
    found = await repository.trackers(uow.session, rules.TrackerFilter(telegram_id=telegram_id))
    if not found:
        raise NotFound(TrackerAccount.__name__, telegram_id)
    return found[0].id


# -- settings ------------------------------------------------------------------------------


async def create_setting(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    tracker_id: int,
    phone_number: str,
    max_users: int = 0,
) -> TrackerSetting:
    """The tracker's phone and capacity; the phone links the tracker to the Telegram account
    of that phone (stored with the tracker's api credentials when none exists). Its counter
    starts at the tracker's current number of tracked users. Commits."""
    require_access(actor)
    Invalid.check(rules.setting_errors(phone_number=phone_number, max_users=max_users))
    session = uow.session
    try:
        tracker = await repository.get(session, TrackerAccount, tracker_id, for_update=True)
    except NotFound:  # the legacy serializer's answer for an id that names nothing
        message = rules.missing_object_message(tracker_id)
        raise Invalid.single("tracker_account_id", message) from None
    setting = TrackerSetting(
        tracker_account_id=tracker_id,
        phone_number=phone_number,
        max_users=max_users,
        current_users=await repository.count_tracker_users(session, tracker_id),
    )
    await repository.save(session, setting)
    await _link_phone(uow, box, actor, tracker, phone_number)
    await uow.commit()
    return setting


async def update_setting(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    setting_id: int,
    phone_number: str | None = None,
    max_users: int | None = None,
) -> TrackerSetting:
    """Changes the fields given; a new phone links the tracker to that phone's account.
    A capacity below the current count only stops new assignments. Commits."""
    require_access(actor)
    Invalid.check(rules.setting_errors(phone_number=phone_number, max_users=max_users))
    session = uow.session
    setting = await repository.get(session, TrackerSetting, setting_id, for_update=True)
    if max_users is not None:
        setting.max_users = max_users
    if phone_number is not None and phone_number != setting.phone_number:
        setting.phone_number = phone_number
        tracker = await repository.get(session, TrackerAccount, setting.tracker_account_id)
        await _link_phone(uow, box, actor, tracker, phone_number)
    await repository.save(session, setting)
    await uow.commit()
    return setting


async def _link_phone(
    uow: SqlAlchemyUnitOfWork, box: SecretBox, actor: Actor, tracker: TrackerAccount, phone: str
) -> None:
    # The link is tracking's own consequence of a change the actor was allowed (a guest of
    # the opened group included), so tghub makes it, on the actor's behalf.
    linker = actor if actor.is_admin else System(f"tracking: link tracker {tracker.id}")
    try:
        tracker.telegram_account_id = await telegram.ensure_account(
            uow,
            box,
            actor=linker,
            phone=phone,
            api_id=tracker.api_id,
            api_hash=box.decrypt(tracker.api_hash_enc),
        )
    except Invalid as exc:
        # The Telegram account calls it "phone"; here the field is the legacy phone_number.
        errors = dict(exc.field_errors)
        if "phone" in errors:
            errors["phone_number"] = errors.pop("phone")
        raise Invalid(errors) from None
    account_ids = [tracker.telegram_account_id]
    if not await telegram.session_problems(uow, actor=linker, account_ids=account_ids):
        # Linked to an account signed in already: the tracker is signed in, as after a login.
        tracker.is_auth, tracker.auth_error = True, None
    await repository.save(uow.session, tracker)


async def delete_setting(uow: SqlAlchemyUnitOfWork, *, actor: Actor, setting_id: int) -> None:
    """The tracker keeps its users and its link; without a setting it takes no new ones.
    Commits."""
    require_access(actor)
    setting = await repository.get(uow.session, TrackerSetting, setting_id, for_update=True)
    await uow.session.delete(setting)
    await uow.commit()


async def list_settings(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, where: rules.SettingFilter | None = None
) -> list[TrackerSetting]:
    """Those matching every filter given, by id (the legacy list: a bare array)."""
    require_access(actor)
    return await repository.settings(uow.session, where or rules.SettingFilter())


async def get_setting(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, setting_id: int
) -> TrackerSetting:
    require_access(actor)
    return await repository.get(uow.session, TrackerSetting, setting_id)


async def setting_id_of(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, where: rules.SettingFilter
) -> int:
    """The setting of this phone or tracker (the legacy ``by-phone-number`` and
    ``by-tracker-telegram-id`` routes: both name at most one)."""
    require_access(actor)
    found = await repository.settings(uow.session, where)
    if not found:
        raise NotFound(TrackerSetting.__name__)
    return found[0].id


# -- Telegram users ------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramUserChanges:
    """The editable fields of a Telegram user besides its telegram id; None: unchanged."""

    role: str | None = None
    max_users: int | None = None
    timezone: str | None = None
    theme: str | None = None

    def as_fields(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "max_users": self.max_users,
            "timezone": self.timezone,
            "theme": self.theme,
        }

    def apply(self, user: TelegramUser) -> None:
        """On a user the rules accepted these changes for."""
        if self.role is not None:
            user.role = Role(self.role)
        if self.max_users is not None:
            user.max_users = self.max_users
        if self.timezone is not None:
            user.timezone = self.timezone
        if self.theme is not None:
            user.theme = Theme(self.theme)


async def create_telegram_user(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    telegram_id: int,
    role: str = Role.USER.value,
    max_users: int = 5,
    timezone: str = "UTC",
    theme: str = Theme.LIGHT.value,
) -> TelegramUser:
    """A client of the tracking bot, tracking nobody yet. Commits."""
    require_access(actor)
    Invalid.check(
        rules.telegram_user_errors(
            telegram_id=telegram_id, role=role, max_users=max_users, timezone=timezone, theme=theme
        )
    )
    user = TelegramUser(
        telegram_id=telegram_id,
        role=Role(role),
        max_users=max_users,
        timezone=timezone,
        theme=Theme(theme),
    )
    await repository.save(uow.session, user)
    await uow.commit()
    return user


async def update_telegram_user(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    user_id: int,
    telegram_id: int | None = None,
    changes: TelegramUserChanges | None = None,
) -> TelegramUser:
    """Changes the fields given; a lower limit only stops new tracked users. Commits."""
    require_access(actor)
    changes = changes or TelegramUserChanges()
    Invalid.check(rules.telegram_user_errors(telegram_id=telegram_id, **changes.as_fields()))
    user = await repository.get(uow.session, TelegramUser, user_id, for_update=True)
    if telegram_id is not None:
        user.telegram_id = telegram_id
    changes.apply(user)
    await repository.save(uow.session, user)
    await uow.commit()
    return user


async def update_telegram_users_by_role(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, role: str, changes: TelegramUserChanges
) -> int:
    """The legacy bulk edit: every Telegram user of ``role`` gets the changes (a telegram id,
    unique, is never among them). Commits; returns how many changed."""
    require_access(actor)
    Invalid.check(rules.telegram_user_errors(role=role))  # the path's role, then the body's changes
    Invalid.check(rules.telegram_user_errors(**changes.as_fields()))
    users = await repository.telegram_users(
        uow.session, rules.TelegramUserFilter(role=role), for_update=True
    )
    for user in users:
        changes.apply(user)
    await uow.session.flush()
    await uow.commit()
    return len(users)


async def delete_telegram_user(uow: SqlAlchemyUnitOfWork, *, actor: Actor, user_id: int) -> None:
    """Their tracked users (and statuses) go with them, freeing their trackers' slots.
    Commits."""
    require_access(actor)
    user = await repository.get(uow.session, TelegramUser, user_id, for_update=True)
    await _delete_telegram_users(uow, [user])
    await uow.commit()


async def delete_telegram_users_by_role(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, role: str
) -> int:
    """The legacy bulk delete of every Telegram user of ``role``. Commits; returns how many."""
    require_access(actor)
    Invalid.check(rules.telegram_user_errors(role=role))
    users = await repository.telegram_users(
        uow.session, rules.TelegramUserFilter(role=role), for_update=True
    )
    await _delete_telegram_users(uow, users)
    await uow.commit()
    return len(users)


async def _delete_telegram_users(uow: SqlAlchemyUnitOfWork, users: list[TelegramUser]) -> None:
    """The users' rows are locked already (the first step of the lock order)."""
    session = uow.session
    freed: Counter[int] = Counter()
    for user in users:
        tracked = await repository.tracked_users_of(session, telegram_user_id=user.id)
        freed.update(t.tracker_account_id for t in tracked)
    await repository.adjust_tracker_counts(session, {t: -n for t, n in freed.items()})
    for user in users:
        await session.delete(user)
    await session.flush()


async def get_telegram_user(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, user_id: int
) -> TelegramUser:
    require_access(actor)
    return await repository.get(uow.session, TelegramUser, user_id)


async def telegram_user_id_of(uow: SqlAlchemyUnitOfWork, *, actor: Actor, telegram_id: int) -> int:
    """The primary key of the Telegram user with this telegram id (the legacy ``by-telegram-id``
    routes); NotFound names the legacy model."""
    require_access(actor)
    found = await repository.telegram_users(
        uow.session, rules.TelegramUserFilter(telegram_id=telegram_id)
    )
    if not found:
        raise NotFound(TelegramUser.__name__, telegram_id)
    return found[0].id


async def list_telegram_users(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    where: rules.TelegramUserFilter | None = None,
) -> list[TelegramUser]:
    """Those matching every filter given, by id (the legacy list: a bare array)."""
    require_access(actor)
    where = where or rules.TelegramUserFilter()
    Invalid.check(rules.telegram_user_errors(role=where.role))
    return await repository.telegram_users(uow.session, where)


# -- tracked users -------------------------------------------------------------------------


async def track_user(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    telegram_user_id: int,
    username: str,
    tracker_account_id: int | None = None,
    visible_online: bool = True,
) -> TrackedUser:
    """A Telegram user starts tracking ``username``, within their own limit, on the tracker
    asked for (only with a free slot) or the least-loaded active, authorised one. Both
    counters move. Commits."""
    require_access(actor)
    Invalid.check(rules.tracked_user_errors(username=username))
    session = uow.session
    owner = await _locked_owner(uow, telegram_user_id)
    rules.check_user_limit(max_users=owner.max_users, current_users=owner.current_users)
    wanted = None if tracker_account_id is None else [tracker_account_id]
    slots = await repository.locked_slots(session, only=wanted)
    tracker_id = rules.choose_tracker(slots, tracker_account_id)
    tracked = TrackedUser(
        tracker_account_id=tracker_id,
        telegram_user_id=telegram_user_id,
        username=username,
        visible_online=visible_online,
    )
    await repository.save(session, tracked)
    owner.current_users += 1
    await repository.adjust_tracker_counts(session, {tracker_id: 1})
    await uow.commit()
    return tracked


async def _locked_owner(uow: SqlAlchemyUnitOfWork, telegram_user_id: int) -> TelegramUser:
    """An unknown owner is a field error, as the legacy serializer reported it."""
    try:
        return await repository.get(uow.session, TelegramUser, telegram_user_id, for_update=True)
    except NotFound:
        message = rules.missing_object_message(telegram_user_id)
        raise Invalid.single("telegram_user_id", message) from None


async def update_tracked_user(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    tracked_user_id: int,
    username: str | None = None,
    visible_online: bool | None = None,
    tracker_account_id: int | None = None,
) -> TrackedUser:
    """Changes the fields given; another tracker is taken only with a free slot, and the
    counters of both trackers move. Commits."""
    require_access(actor)
    Invalid.check(rules.tracked_user_errors(username=username))
    session = uow.session
    tracked = await repository.get(session, TrackedUser, tracked_user_id)
    if tracker_account_id is not None and tracker_account_id != tracked.tracker_account_id:
        await _reassign(uow, tracked, tracker_account_id)
    if username is not None:
        tracked.username = username
    if visible_online is not None:
        tracked.visible_online = visible_online
        tracked.hidden_reason = None
    await repository.save(session, tracked)
    await uow.commit()
    return tracked


async def _reassign(uow: SqlAlchemyUnitOfWork, tracked: TrackedUser, target: int) -> None:
    session = uow.session
    source = tracked.tracker_account_id
    # Both settings are locked (in id order), so the move races no other assignment.
    slots = await repository.locked_slots(session, only=[source, target])
    tracked = await repository.get(session, TrackedUser, tracked.id, for_update=True)
    tracked.tracker_account_id = rules.choose_tracker(slots, target)
    await repository.adjust_tracker_counts(session, {source: -1, target: 1})


async def untrack_user(uow: SqlAlchemyUnitOfWork, *, actor: Actor, tracked_user_id: int) -> None:
    """Deletes the tracked user and its statuses, freeing its owner's and tracker's slots.
    Commits."""
    require_access(actor)
    session = uow.session
    tracked = await repository.get(session, TrackedUser, tracked_user_id)
    owner = await repository.get(session, TelegramUser, tracked.telegram_user_id, for_update=True)
    tracked = await repository.get(session, TrackedUser, tracked_user_id, for_update=True)
    owner.current_users = max(owner.current_users - 1, 0)
    await repository.adjust_tracker_counts(session, {tracked.tracker_account_id: -1})
    await session.delete(tracked)
    await uow.commit()


async def list_tracked_users(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, where: rules.TrackedUserFilter | None = None
) -> list[TrackedUser]:
    """Those matching every filter given, by id (the legacy list: a bare array)."""
    require_access(actor)
    return await repository.tracked_users(uow.session, where or rules.TrackedUserFilter())


async def get_tracked_user(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, tracked_user_id: int
) -> TrackedUser:
    require_access(actor)
    return await repository.get(uow.session, TrackedUser, tracked_user_id)


async def tracked_user_id_of(uow: SqlAlchemyUnitOfWork, *, actor: Actor, username: str) -> int:
    """The tracked user watching ``username`` (the legacy ``by-username`` routes). Usernames
    are not unique across clients: when several match, the caller must use ids (the
    original failed there with a 500)."""
    require_access(actor)
    found = await repository.tracked_users(uow.session, rules.TrackedUserFilter(username=username))
    if not found:
        raise NotFound(TrackedUser.__name__, username)
    if len(found) > 1:
        raise AmbiguousUsername
    return found[0].id


# -- statuses ------------------------------------------------------------------------------


async def record_statuses(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    changes: Sequence[StatusChange],
    known: StateCache | None = None,
) -> int:
    """Logs the statuses that differ from each user's latest one (one lookup, one insert);
    an unknowable status hides the user with its reason. Commits, then publishes the batch's
    changes as one ``OnlineStatusChanged``; returns rows written.

    ``known``: a writer's cache of the states it last wrote (a listener's, emptied every
    minute): the users in it are not looked up, and it is kept up to date. A cached user
    deleted meanwhile makes the batch go again with everyone looked up; any other failure
    empties the cache too."""
    require_admin(actor)
    if not changes:
        return 0
    cache: StateCache = {} if known is None else known
    try:
        return await _record(uow, changes, cache)
    except TrackedUserGone:
        if not cache:
            raise  # looked up, and deleted since: the caller's next batch will do
        await uow.rollback()
    except BaseException:
        cache.clear()
        raise
    cache.clear()
    return await _record(uow, changes, cache)


async def _record(
    uow: SqlAlchemyUnitOfWork, changes: Sequence[StatusChange], cache: StateCache
) -> int:
    session = uow.session
    wanted = {c.tracked_user_id for c in changes}
    states = {i: cache[i] for i in wanted if i in cache}
    if len(states) < len(wanted):
        states |= await repository.tracked_states(session, wanted - states.keys())
    plan = rules.plan_statuses(changes, states)
    await repository.write_statuses(session, plan.rows)
    await repository.hide_statuses(session, plan.hide)
    await repository.show_statuses(session, plan.show)
    if plan.updates:
        uow.emit(OnlineStatusChanged(updates=tuple(plan.updates)))
    await uow.commit()
    cache.update(plan.after)
    return len(plan.rows)


@dataclass(frozen=True)
class Poll:
    """What one poll cycle did: rows written, and the Telegram ids of the tracker's users as
    the poll resolved their usernames (update events name users by id only)."""

    written: int
    by_telegram_id: dict[int, list[int]]


async def poll_tracker(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    clock: Clock,
    *,
    actor: Actor,
    tracker_id: int,
    known: StateCache | None = None,
) -> Poll:
    """One poll cycle of a tracker: its users' statuses asked of Telegram through its
    Telegram account, ``POLL_BATCH`` users a call (never one call per user), and the changes
    recorded. Holds no connection while Telegram answers. A revoked session signs the
    tracker out (its users move where slots allow) and is raised."""
    require_admin(actor)
    tracker = await repository.get(uow.session, TrackerAccount, tracker_id)
    account_id = tracker.telegram_account_id
    if account_id is None:
        raise NoTelegramAccount
    tracked = await repository.usernames_of(uow.session, tracker_id)
    creds = await telegram.signed_in_credentials(uow, box, actor=actor, account_id=account_id)
    observed: list[rules.Observed] = []
    try:
        for batch in rules.poll_batches(list(tracked.values())):
            observed += _observed(await gateway.user_statuses(creds, batch))
    except telegram.AccountSessionRevoked as exc:
        await telegram.session_revoked(uow, actor=actor, account_id=account_id)
        await _sign_out(uow, {tracker_id: exc.message})
        raise
    changes = rules.status_changes(tracked, observed, clock.now())
    written = await record_statuses(uow, actor=actor, changes=changes, known=known)
    return Poll(written, rules.by_telegram_id(tracked, observed))


async def listening_credentials(
    uow: SqlAlchemyUnitOfWork, box: SecretBox, *, actor: Actor, tracker_id: int
) -> telegram.AccountCredentials:
    """The credentials a listener follows the tracker's update events with; ends the read
    transaction. NoTelegramAccount, or TelegramError when it is not signed in."""
    require_admin(actor)
    tracker = await repository.get(uow.session, TrackerAccount, tracker_id)
    if tracker.telegram_account_id is None:
        raise NoTelegramAccount
    return await telegram.signed_in_credentials(
        uow, box, actor=actor, account_id=tracker.telegram_account_id
    )


def _observed(seen: Sequence[telegram.StatusObservation]) -> list[rules.Observed]:
    return [rules.Observed(o.username, o.online, o.observed_at, o.user_id) for o in seen]


async def record_updates(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    tracked: Mapping[int, Sequence[int]],
    seen: Sequence[telegram.StatusObservation],
    known: StateCache | None = None,
) -> int:
    """Status changes pushed by Telegram (update events) of the users a tracker tracks
    (Telegram id → tracked ids, from its last poll), recorded like a poll's. Commits."""
    changes = rules.update_changes(tracked, _observed(seen))
    return await record_statuses(uow, actor=actor, changes=changes, known=known)


async def listenable_trackers(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> list[int]:
    """The trackers a listener should poll: active, authorised and with a Telegram account."""
    require_admin(actor)
    return await repository.listenable_trackers(uow.session)


async def tracker_signed_in(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, telegram_account_id: uuid.UUID
) -> int | None:
    """A Telegram account signed in: the tracker it is (if any) is authorised again, and a
    listener takes it up. Commits; returns the tracker's id."""
    require_admin(actor)
    tracker_id = await repository.sign_in(uow.session, telegram_account_id)
    await uow.commit()
    return tracker_id


async def check_sessions(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> dict[int, str]:
    """Signs out, with the reason, every tracker marked signed in that has no usable session
    (no Telegram account, or one that is not signed in: a legacy PATCH may claim either), and
    moves the users of signed-out trackers where slots allow. Commits; returns the trackers
    signed out now."""
    require_admin(actor)
    claims = await repository.signed_in_claims(uow.session)
    accounts = {account for account in claims.values() if account is not None}
    problems = await telegram.session_problems(uow, actor=actor, account_ids=accounts)
    reasons = {
        tracker_id: NoTelegramAccount.default_message if account is None else problems[account]
        for tracker_id, account in claims.items()
        if account is None or account in problems
    }
    await _sign_out(uow, reasons)
    return reasons


async def _sign_out(uow: SqlAlchemyUnitOfWork, reasons: Mapping[int, str]) -> None:
    """Signs the trackers out and moves the users of every signed-out tracker to usable
    trackers with free slots; those that do not fit keep their tracker until a slot frees
    (the next sweep tries again). Commits."""
    session = uow.session
    await repository.sign_out(session, reasons)
    slots = await repository.locked_slots(session)
    free = sum(s.free for s in slots if s.usable)
    stranded = await repository.stranded_users(session, free) if free else []
    targets = rules.plan_rescue(len(stranded), slots)
    moves = Counter(targets)
    moves.subtract(Counter(user.tracker_account_id for user in stranded))
    for user, target in zip(stranded, targets, strict=True):
        user.tracker_account_id = target
    await repository.adjust_tracker_counts(session, moves)
    await uow.commit()


async def list_statuses(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, where: rules.StatusFilter | None = None
) -> list[OnlineStatus]:
    """The log's rows matching every filter given, by id (the legacy list: a bare array)."""
    require_access(actor)
    return await repository.statuses(uow.session, where or rules.StatusFilter())


async def get_status(uow: SqlAlchemyUnitOfWork, *, actor: Actor, status_id: int) -> OnlineStatus:
    require_access(actor)
    found = await repository.statuses(uow.session, rules.StatusFilter(id=status_id))
    if not found:
        raise NotFound(OnlineStatus.__name__, status_id)
    return found[0]


async def delete_statuses(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, where: rules.StatusFilter
) -> int:
    """Clears part of the log (one row, or a tracked user's history). The latest remaining
    row becomes the one new observations are compared with. Commits; returns how many."""
    require_access(actor)
    found = await repository.statuses(uow.session, where)
    count = await repository.delete_statuses(uow.session, [status.id for status in found])
    await uow.commit()
    return count


async def add_status(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, tracked_user_id: int, is_online: bool
) -> OnlineStatus:
    """A row written by hand, as asked (the legacy POST): unlike ``record_statuses`` it is
    not compared with the latest one. Commits."""
    require_access(actor)
    await _existing_tracked_user(uow, tracked_user_id)
    status = OnlineStatus(tracked_user_id=tracked_user_id, is_online=is_online)
    uow.session.add(status)
    await uow.session.flush()
    await uow.commit()
    return status


async def update_status(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    status_id: int,
    tracked_user_id: int | None = None,
    is_online: bool | None = None,
) -> OnlineStatus:
    """Changes the fields given of one row (the legacy PATCH and PUT). Commits."""
    require_access(actor)
    status = await get_status(uow, actor=actor, status_id=status_id)
    if tracked_user_id is not None:
        await _existing_tracked_user(uow, tracked_user_id)
        status.tracked_user_id = tracked_user_id
    if is_online is not None:
        status.is_online = is_online
    await uow.session.flush()
    await uow.commit()
    return status


async def _existing_tracked_user(uow: SqlAlchemyUnitOfWork, tracked_user_id: int) -> None:
    """An unknown tracked user is a field error, as the legacy serializer reported it."""
    try:
        await repository.get(uow.session, TrackedUser, tracked_user_id)
    except NotFound:
        message = rules.missing_object_message(tracked_user_id)
        raise Invalid.single("tracked_user_id", message) from None


async def online_sessions(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    tracked_user_id: int,
    start: datetime,
    end: datetime,
) -> list[rules.OnlineSession]:
    """The tracked user's online intervals within ``[start, end)`` (at most
    ``rules.MAX_WINDOW``: the log is read whole), from the change log; one still open at
    ``end`` is cut there."""
    require_access(actor)
    Invalid.check(rules.window_errors(start, end))
    await repository.get(uow.session, TrackedUser, tracked_user_id)
    before, changes = await repository.status_history(uow.session, tracked_user_id, start, end)
    return rules.online_sessions(changes, start=start, end=end, online_at_start=bool(before))


async def daily_online_totals(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    tracked_user_id: int,
    start: datetime,
    end: datetime,
) -> dict[date, float]:
    """Seconds online per UTC day within ``[start, end)``."""
    sessions = await online_sessions(
        uow, actor=actor, tracked_user_id=tracked_user_id, start=start, end=end
    )
    return rules.daily_totals(sessions)


# -- the GraphQL API: keyset pages and lookups by id -------------------------------------------
# Added for the GraphQL API; the legacy routes keep the unpaginated lists above.


@dataclass(frozen=True)
class TrackerView:
    """A tracker with its setting (None: it has none yet), as the GraphQL API shows it."""

    tracker: TrackerAccount
    setting: TrackerSetting | None


def may_access(actor: Actor) -> bool:
    """Whether ``require_access`` lets ``actor`` in (lookups answer nothing otherwise)."""
    return admits(actor, GROUP)


def id_cursor(entity: TrackerAccount | TelegramUser | TrackedUser | OnlineStatus) -> tuple[str]:
    """The keyset position of a row in its page: pages are ordered by id."""
    return (str(entity.id),)


def tracker_view_cursor(view: TrackerView) -> tuple[str]:
    return id_cursor(view.tracker)


async def _views(
    uow: SqlAlchemyUnitOfWork, trackers: Sequence[TrackerAccount]
) -> list[TrackerView]:
    settings = await repository.settings_of_trackers(uow.session, [t.id for t in trackers])
    return [TrackerView(tracker, settings.get(tracker.id)) for tracker in trackers]


async def tracker_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    where: rules.TrackerFilter | None = None,
) -> Page[TrackerView]:
    """Trackers matching every filter given, by id, each with its setting."""
    require_access(actor)
    query = repository.tracker_query(where or rules.TrackerFilter())
    found = await repository.id_page(uow.session, TrackerAccount, query, page)
    return Page(items=await _views(uow, found.items), has_next=found.has_next, total=found.total)


async def telegram_user_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    where: rules.TelegramUserFilter | None = None,
) -> Page[TelegramUser]:
    """Telegram users (the tracking bot's clients) matching every filter given, by id."""
    require_access(actor)
    where = where or rules.TelegramUserFilter()
    Invalid.check(rules.telegram_user_errors(role=where.role))
    query = repository.telegram_user_query(where)
    return await repository.id_page(uow.session, TelegramUser, query, page)


async def tracked_user_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    where: rules.TrackedUserFilter | None = None,
) -> Page[TrackedUser]:
    """Tracked users matching every filter given, by id."""
    require_access(actor)
    query = repository.tracked_user_query(where or rules.TrackedUserFilter())
    return await repository.id_page(uow.session, TrackedUser, query, page)


async def status_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    where: rules.StatusFilter | None = None,
) -> Page[OnlineStatus]:
    """Rows of the status log matching every filter given, by id (the order written)."""
    require_access(actor)
    query = repository.status_query(where or rules.StatusFilter())
    return await repository.id_page(uow.session, OnlineStatus, query, page)


async def visible_trackers(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, TrackerView]:
    """These trackers (with their settings) by id; for an actor without access none exist."""
    if not may_access(actor):
        return {}
    found = await repository.by_ids(uow.session, TrackerAccount, ids)
    return {view.tracker.id: view for view in await _views(uow, list(found.values()))}


async def visible_settings(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, TrackerSetting]:
    if not may_access(actor):
        return {}
    return await repository.by_ids(uow.session, TrackerSetting, ids)


async def visible_telegram_users(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, TelegramUser]:
    if not may_access(actor):
        return {}
    return await repository.by_ids(uow.session, TelegramUser, ids)


async def visible_tracked_users(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, TrackedUser]:
    if not may_access(actor):
        return {}
    return await repository.by_ids(uow.session, TrackedUser, ids)


async def visible_statuses(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, OnlineStatus]:
    if not may_access(actor):
        return {}
    return await repository.by_ids(uow.session, OnlineStatus, ids)


async def get_tracker_view(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, tracker_id: int
) -> TrackerView:
    """One tracker with its setting; NotFound names the legacy model."""
    tracker = await get_tracker(uow, actor=actor, tracker_id=tracker_id)
    return (await _views(uow, [tracker]))[0]


async def require_tracked_users(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> None:
    """NotFound unless every one of these tracked users exists (a subscription's check)."""
    require_access(actor)
    found = await repository.by_ids(uow.session, TrackedUser, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(TrackedUser.__name__, missing[0])
