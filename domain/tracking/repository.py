"""SQL of online tracking."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
from sqlalchemy import Integer, any_, bindparam, delete, func, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from domain import pages
from domain.errors import Invalid, NotFound
from domain.tracking import rules
from domain.tracking.errors import TrackedUserGone
from domain.tracking.model import (
    OnlineStatus,
    Role,
    TelegramUser,
    TrackedUser,
    TrackerAccount,
    TrackerSetting,
)
from domain.types import Page, fits_bigint, fits_int

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    from sqlalchemy import BindParameter, Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from domain.orm import Base
    from domain.types import PageRequest

Entity = TypeVar("Entity", TrackerAccount, TrackerSetting, TelegramUser, TrackedUser)

# A unique constraint broken by an insert or update, as the field the legacy API named and
# DRF's message (the database decides, so two concurrent writers get the same answer).
_UNIQUE = {
    "uq_tracker_accounts_telegram_id": ("telegram_id", "tracker account", "telegram id"),
    "uq_tracker_accounts_api_id": ("api_id", "tracker account", "api id"),
    "uq_tracker_accounts_api_hash_digest": ("api_hash", "tracker account", "api hash"),
    "uq_tracker_accounts_telegram_account_id": (
        "phone_number",
        "tracker account",
        "telegram account",
    ),
    "uq_tracker_settings_tracker_account_id": (
        "tracker_account_id",
        "tracker setting",
        "tracker account",
    ),
    "uq_tracker_settings_phone_number": ("phone_number", "tracker setting", "phone number"),
    "uq_telegram_users_telegram_id": ("telegram_id", "telegram user", "telegram id"),
}


async def save(session: AsyncSession, entity: Base) -> None:
    """Adds (or flushes changes of) ``entity``; a broken unique constraint is Invalid on its
    legacy field."""
    try:
        async with session.begin_nested():
            session.add(entity)
            await session.flush()
    except IntegrityError as exc:
        for constraint, (name, model, label) in _UNIQUE.items():
            if constraint in str(exc.orig):
                raise Invalid.single(name, rules.unique_message(model, label)) from None
        raise


async def get(
    session: AsyncSession, model: type[Entity], entity_id: int, *, for_update: bool = False
) -> Entity:
    """NotFound names the legacy model, as the legacy 404 did."""
    if not fits_int(entity_id):  # an integer column: PostgreSQL would refuse the query
        raise NotFound(model.__name__, entity_id)
    query = select(model).where(model.id == entity_id)
    if for_update:
        query = query.with_for_update(of=model)
    found: Entity | None = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound(model.__name__, entity_id)
    return found


async def list_all(
    session: AsyncSession, model: type[Entity], *, for_update: bool = False
) -> list[Entity]:
    """Every row by id: the legacy lists were bare arrays, unpaginated."""
    query = select(model).order_by(model.id)
    if for_update:
        query = query.with_for_update()
    return list((await session.execute(query)).scalars())


async def telegram_users(
    session: AsyncSession, where: rules.TelegramUserFilter, *, for_update: bool = False
) -> list[TelegramUser]:
    """Those matching every filter given, by id; ids past the column's range match nothing."""
    query = telegram_user_query(where)
    if query is not None and for_update:
        query = query.with_for_update()
    return await _listed(session, query, TelegramUser)


async def trackers(session: AsyncSession, where: rules.TrackerFilter) -> list[TrackerAccount]:
    """Those matching every filter given, by id; numbers past a column's range match nothing."""
    return await _listed(session, tracker_query(where), TrackerAccount)


async def settings(session: AsyncSession, where: rules.SettingFilter) -> list[TrackerSetting]:
    """Those matching every filter given, by id; numbers past a column's range match nothing."""
    if (where.id is not None and not fits_int(where.id)) or (
        where.tracker_telegram_id is not None and not fits_bigint(where.tracker_telegram_id)
    ):
        return []
    query = select(TrackerSetting).order_by(TrackerSetting.id)
    if where.id is not None:
        query = query.where(TrackerSetting.id == where.id)
    if where.phone_number is not None:
        query = query.where(TrackerSetting.phone_number == where.phone_number)
    if where.tracker_telegram_id is not None:
        query = query.join(
            TrackerAccount, TrackerAccount.id == TrackerSetting.tracker_account_id
        ).where(TrackerAccount.telegram_id == where.tracker_telegram_id)
    return list((await session.execute(query)).scalars())


def status_query(where: rules.StatusFilter) -> Select[OnlineStatus] | None:
    """The statuses matching ``where``; None when an id is past its column's range (nothing
    can match, and PostgreSQL would refuse the comparison)."""
    if where.id is not None and not fits_bigint(where.id):
        return None
    if where.tracked_user_id is not None and not fits_int(where.tracked_user_id):
        return None
    query = select(OnlineStatus)
    if where.id is not None:
        query = query.where(OnlineStatus.id == where.id)
    if where.is_online is not None:
        query = query.where(OnlineStatus.is_online.is_(where.is_online))
    if where.tracked_user_id is not None:
        query = query.where(OnlineStatus.tracked_user_id == where.tracked_user_id)
    if where.username is not None:
        query = query.join(TrackedUser, TrackedUser.id == OnlineStatus.tracked_user_id).where(
            TrackedUser.username.icontains(where.username, autoescape=True)
        )
    if where.tracked_username is not None:
        owned = select(TrackedUser.id).where(TrackedUser.username == where.tracked_username)
        query = query.where(OnlineStatus.tracked_user_id.in_(owned))
    if where.created_after is not None:
        query = query.where(OnlineStatus.created_at >= where.created_after)
    if where.created_before is not None:
        query = query.where(OnlineStatus.created_at <= where.created_before)
    return query


async def statuses(session: AsyncSession, where: rules.StatusFilter) -> list[OnlineStatus]:
    return await _listed(session, status_query(where), OnlineStatus)


async def delete_statuses(session: AsyncSession, ids: list[int]) -> int:
    if ids:
        await session.execute(delete(OnlineStatus).where(OnlineStatus.id.in_(ids)))
    return len(ids)


async def tracked_users(session: AsyncSession, where: rules.TrackedUserFilter) -> list[TrackedUser]:
    """Those matching every filter given, by id; numbers past a column's range match nothing."""
    return await _listed(session, tracked_user_query(where), TrackedUser)


ListedEntity = TypeVar("ListedEntity", TrackerAccount, TelegramUser, TrackedUser, OnlineStatus)


async def _listed(
    session: AsyncSession, query: Select[ListedEntity] | None, model: type[ListedEntity]
) -> list[ListedEntity]:
    """The legacy list: every match by id, a bare array (None: nothing can match)."""
    if query is None:
        return []
    return list((await session.execute(query.order_by(None).order_by(model.id))).scalars())


async def setting_of(
    session: AsyncSession, tracker_id: int, *, for_update: bool = False
) -> TrackerSetting | None:
    query = select(TrackerSetting).where(TrackerSetting.tracker_account_id == tracker_id)
    if for_update:
        query = query.with_for_update()
    found: TrackerSetting | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def locked_slots(
    session: AsyncSession, *, only: Iterable[int] | None = None
) -> list[rules.Slots]:
    """The slots of trackers that could take a user (or of the trackers ``only``), their setting
    rows locked until commit: concurrent assignments queue here, and each sees the counters
    the previous one committed. Locked in id order, so two lockers never deadlock."""
    query = (
        select(
            TrackerAccount.id,
            TrackerAccount.is_active,
            TrackerAccount.is_auth,
            TrackerSetting.max_users,
            TrackerSetting.current_users,
        )
        .join(TrackerSetting, TrackerSetting.tracker_account_id == TrackerAccount.id)
        .order_by(TrackerAccount.id)
        .with_for_update(of=TrackerSetting)
    )
    if only is None:
        query = query.where(
            TrackerAccount.is_active,
            TrackerAccount.is_auth,
            TrackerSetting.current_users < TrackerSetting.max_users,
        )
    else:  # ids past the column's range name no tracker (PostgreSQL would refuse them)
        query = query.where(TrackerAccount.id.in_([i for i in only if fits_int(i)]))
    return [rules.Slots(*row) for row in (await session.execute(query))]


async def count_tracker_users(session: AsyncSession, tracker_id: int) -> int:
    query = select(func.count()).where(TrackedUser.tracker_account_id == tracker_id)
    return int(await session.scalar(query) or 0)


async def tracked_users_of(
    session: AsyncSession, *, tracker_id: int | None = None, telegram_user_id: int | None = None
) -> list[TrackedUser]:
    query = select(TrackedUser).order_by(TrackedUser.id).with_for_update()
    if tracker_id is not None:
        query = query.where(TrackedUser.tracker_account_id == tracker_id)
    if telegram_user_id is not None:
        query = query.where(TrackedUser.telegram_user_id == telegram_user_id)
    return list((await session.execute(query)).scalars())


async def listenable_trackers(session: AsyncSession) -> list[int]:
    query = (
        select(TrackerAccount.id)
        .where(
            TrackerAccount.is_active,
            TrackerAccount.is_auth,
            TrackerAccount.telegram_account_id.is_not(None),
        )
        .order_by(TrackerAccount.id)
    )
    return [int(tracker_id) for tracker_id in await session.scalars(query)]


async def signed_in_claims(session: AsyncSession) -> dict[int, uuid.UUID | None]:
    """Every tracker marked signed in (``is_auth``), with its Telegram account (None: none)."""
    query = select(TrackerAccount.id, TrackerAccount.telegram_account_id).where(
        TrackerAccount.is_auth
    )
    return {int(tracker_id): account_id for tracker_id, account_id in await session.execute(query)}


async def sign_out(session: AsyncSession, reasons: Mapping[int, str]) -> None:
    """``is_auth`` false with the reason, for trackers still marked signed in (a concurrent
    sweep that got there first is left as it wrote it)."""
    for tracker_id, reason in sorted(reasons.items()):
        await session.execute(
            update(TrackerAccount)
            .where(TrackerAccount.id == tracker_id, TrackerAccount.is_auth)
            .values(is_auth=False, auth_error=reason)
        )


async def sign_in(session: AsyncSession, telegram_account_id: uuid.UUID) -> int | None:
    """The tracker of this Telegram account (if any) is signed in; returns its id."""
    tracker_id = await session.scalar(
        update(TrackerAccount)
        .where(TrackerAccount.telegram_account_id == telegram_account_id)
        .values(is_auth=True, auth_error=None)
        .returning(TrackerAccount.id)
    )
    return None if tracker_id is None else int(tracker_id)


async def stranded_users(session: AsyncSession, limit: int) -> list[TrackedUser]:
    """Up to ``limit`` tracked users of trackers tghub signed out (``auth_error`` set), oldest
    first, locked until commit."""
    query = (
        select(TrackedUser)
        .join(TrackerAccount, TrackerAccount.id == TrackedUser.tracker_account_id)
        .where(TrackerAccount.is_auth.is_(False), TrackerAccount.auth_error.is_not(None))
        .order_by(TrackedUser.id)
        .limit(limit)
        .with_for_update(of=TrackedUser)
    )
    return list((await session.execute(query)).scalars())


async def usernames_of(session: AsyncSession, tracker_id: int) -> dict[int, str]:
    """The tracker's tracked users, id → username, for a poll (read only, no lock)."""
    query = (
        select(TrackedUser.id, TrackedUser.username)
        .where(TrackedUser.tracker_account_id == tracker_id)
        .order_by(TrackedUser.id)
    )
    rows = await session.execute(query)
    return {int(tracked_id): str(username) for tracked_id, username in rows}


async def adjust_tracker_counts(session: AsyncSession, deltas: Mapping[int, int]) -> None:
    """Each tracker's ``current_users`` moves by its delta, in the database (no lost update)."""
    for tracker_id, delta in sorted(deltas.items()):
        if delta:
            await session.execute(
                update(TrackerSetting)
                .where(TrackerSetting.tracker_account_id == tracker_id)
                .values(current_users=TrackerSetting.current_users + delta)
            )


async def tracked_states(
    session: AsyncSession, tracked_ids: Iterable[int]
) -> dict[int, rules.TrackedState]:
    """Every existing tracked user of ``tracked_ids`` with its latest status, in one statement
    (one index probe per user on the status log)."""
    latest = (
        select(OnlineStatus.is_online)
        .where(OnlineStatus.tracked_user_id == TrackedUser.id)
        .order_by(OnlineStatus.created_at.desc(), OnlineStatus.id.desc())
        .limit(1)
        .lateral()
    )
    query = (
        select(TrackedUser.id, latest.c.is_online, TrackedUser.hidden_reason)
        .outerjoin(latest, true())
        .where(TrackedUser.id == any_(_int_array(tracked_ids)))
    )
    rows = await session.execute(query)
    return {tracked_id: rules.TrackedState(online, reason) for tracked_id, online, reason in rows}


def _int_array(ids: Iterable[int]) -> BindParameter[Any]:
    """One array parameter for a list of ids: one statement whatever the batch's size, and
    no per-id parameter to bind (a batch has a thousand)."""
    array: Any = ARRAY(Integer)  # typed stubs want a Python type ARRAY does not declare
    return bindparam(None, list(ids), type_=array)


async def status_history(
    session: AsyncSession, tracked_user_id: int, start: datetime, end: datetime
) -> tuple[bool | None, list[tuple[datetime, bool]]]:
    """The status in force at ``start`` (None before the first) and the changes of
    ``[start, end)`` in time order: two index range reads."""
    of_user = OnlineStatus.tracked_user_id == tracked_user_id
    before = await session.scalar(
        select(OnlineStatus.is_online)
        .where(of_user, OnlineStatus.created_at < start)
        .order_by(OnlineStatus.created_at.desc(), OnlineStatus.id.desc())
        .limit(1)
    )
    rows = await session.execute(
        select(OnlineStatus.created_at, OnlineStatus.is_online)
        .where(of_user, OnlineStatus.created_at >= start, OnlineStatus.created_at < end)
        .order_by(OnlineStatus.created_at, OnlineStatus.id)
    )
    return before, [(at, online) for at, online in rows]


async def write_statuses(session: AsyncSession, rows: list[tuple[int, bool, datetime]]) -> None:
    """The whole batch in one ``COPY``, inside the session's transaction: PostgreSQL's bulk
    path, about twice what a multi-row INSERT takes (tests/bench/status_ingest.py). A row's
    ``updated_at`` starts as its ``created_at``."""
    if not rows:
        return
    connection = await session.connection()
    # asyncpg's connection, inside the session's transaction (commits and rolls back with it).
    driver: Any = (await connection.get_raw_connection()).driver_connection
    try:
        await driver.copy_records_to_table(
            OnlineStatus.__tablename__,
            records=[(tracked_id, online, at, at) for tracked_id, online, at in rows],
            columns=["tracked_user_id", "is_online", "created_at", "updated_at"],
        )
    except asyncpg.ForeignKeyViolationError:
        raise TrackedUserGone from None


async def hide_statuses(session: AsyncSession, reasons: dict[int, str]) -> None:
    """One update per distinct reason (a batch usually has one or two)."""
    by_reason: dict[str, list[int]] = {}
    for tracked_id, reason in reasons.items():
        by_reason.setdefault(reason, []).append(tracked_id)
    for reason, ids in by_reason.items():
        await session.execute(
            update(TrackedUser)
            .where(TrackedUser.id.in_(ids))
            .values(visible_online=False, hidden_reason=reason)
        )


async def show_statuses(session: AsyncSession, tracked_ids: set[int]) -> None:
    """Shows again only users tracking hid; an admin's ``visible_online=false`` stays."""
    if tracked_ids:
        await session.execute(
            update(TrackedUser)
            .where(TrackedUser.id.in_(tracked_ids), TrackedUser.hidden_reason.is_not(None))
            .values(visible_online=True, hidden_reason=None)
        )


# -- filters, keyset pages and lookups by id ---------------------------------------------------
# Each ``*_query`` is the legacy routes' filters (their lists above order it by id, unpaginated;
# the GraphQL connections page it by id); None when a number is past its column's range
# (nothing can match, and PostgreSQL would refuse the comparison).


def tracker_query(where: rules.TrackerFilter) -> Select[TrackerAccount] | None:
    if (where.id is not None and not fits_int(where.id)) or (
        where.telegram_id is not None and not fits_bigint(where.telegram_id)
    ):
        return None
    query = select(TrackerAccount)
    if where.id is not None:
        query = query.where(TrackerAccount.id == where.id)
    if where.telegram_id is not None:
        query = query.where(TrackerAccount.telegram_id == where.telegram_id)
    if where.is_active is not None:
        query = query.where(TrackerAccount.is_active.is_(where.is_active))
    if where.is_auth is not None:
        query = query.where(TrackerAccount.is_auth.is_(where.is_auth))
    return query


def telegram_user_query(where: rules.TelegramUserFilter) -> Select[TelegramUser] | None:
    if (where.id is not None and not fits_int(where.id)) or (
        where.telegram_id is not None and not fits_bigint(where.telegram_id)
    ):
        return None
    query = select(TelegramUser)
    if where.id is not None:
        query = query.where(TelegramUser.id == where.id)
    if where.telegram_id is not None:
        query = query.where(TelegramUser.telegram_id == where.telegram_id)
    if where.role is not None:
        query = query.where(TelegramUser.role == Role(where.role))
    return query


def tracked_user_query(where: rules.TrackedUserFilter) -> Select[TrackedUser] | None:
    ids = [where.id] if where.id is not None else []
    telegram_ids = [
        t for t in (where.tracker_telegram_id, where.client_telegram_id) if t is not None
    ]
    if not all(map(fits_int, ids)) or not all(map(fits_bigint, telegram_ids)):
        return None
    query = select(TrackedUser)
    if where.id is not None:
        query = query.where(TrackedUser.id == where.id)
    if where.username is not None:
        query = query.where(TrackedUser.username == where.username)
    if where.visible_online is not None:
        query = query.where(TrackedUser.visible_online.is_(where.visible_online))
    if where.tracker_telegram_id is not None:
        query = query.join(
            TrackerAccount, TrackerAccount.id == TrackedUser.tracker_account_id
        ).where(TrackerAccount.telegram_id == where.tracker_telegram_id)
    if where.client_telegram_id is not None:
        query = query.join(TelegramUser, TelegramUser.id == TrackedUser.telegram_user_id).where(
            TelegramUser.telegram_id == where.client_telegram_id
        )
    return query


PageEntity = TypeVar(
    "PageEntity", TrackerAccount, TrackerSetting, TelegramUser, TrackedUser, OnlineStatus
)


async def id_page(
    session: AsyncSession,
    model: type[PageEntity],
    query: Select[PageEntity] | None,
    page: PageRequest,
) -> Page[PageEntity]:
    """Up to ``page.first`` rows of ``query`` by id after the cursor (an id), with the
    count of all that match; a query that can match nothing (None) is an empty page."""
    if query is None:
        return Page(items=[], has_next=False, total=0)
    return await pages.id_page(session, query, model.id, page, big=model is OnlineStatus)


async def by_ids(
    session: AsyncSession, model: type[PageEntity], ids: Iterable[int]
) -> dict[int, PageEntity]:
    """The rows of these ids; ids past the column's range name nothing."""
    fits = fits_bigint if model is OnlineStatus else fits_int
    wanted = sorted({i for i in ids if fits(i)})
    if not wanted:
        return {}
    query = select(model).where(model.id.in_(wanted))
    return {row.id: row for row in (await session.execute(query)).scalars()}


async def settings_of_trackers(
    session: AsyncSession, tracker_ids: Iterable[int]
) -> dict[int, TrackerSetting]:
    """Each tracker's setting (those that have one), by tracker id."""
    wanted = sorted({i for i in tracker_ids if fits_int(i)})
    if not wanted:
        return {}
    query = select(TrackerSetting).where(TrackerSetting.tracker_account_id.in_(wanted))
    return {s.tracker_account_id: s for s in (await session.execute(query)).scalars()}
