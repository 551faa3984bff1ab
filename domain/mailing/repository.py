"""SQL of the mailing service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.exc import IntegrityError

from domain import pages
from domain.errors import Invalid
from domain.mailing import rules
from domain.mailing.errors import ClientNotFound, MailingNotFound
from domain.mailing.model import Client, Delivery, DeliveryStatus, Mailing
from domain.types import BIGINT_MAX, Page, fits_int

if TYPE_CHECKING:
    import uuid
    from collections.abc import Callable, Sequence

    from sqlalchemy import Select, Table
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import InstrumentedAttribute
    from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

    from domain.mailing.importing import NewClient
    from domain.types import PageRequest


async def save_client(session: AsyncSession, client: Client) -> None:
    """Adds (or flushes the changes of) ``client``; another client of the owner with its
    phone is the legacy field error, also when a concurrent writer took the phone first."""
    try:
        async with session.begin_nested():
            session.add(client)
            await session.flush()
    except IntegrityError as exc:
        if "uq_mailing_clients_owner_phone" in str(exc.orig):
            raise Invalid.single("phone_number", rules.PHONE_TAKEN) from None
        raise


# What an imported row brings, in the order of the statement's arrays.
IMPORTED_COLUMNS = ("phone_number", "operator_code", "tag", "timezone")


def _insert_new_clients() -> ReturningInsert[str]:
    """``INSERT … SELECT`` from parallel arrays (``unnest``): a statement of one text whatever
    the batch's size, so it is compiled and prepared once; a phone the owner has already (a
    concurrent writer's too, once committed) is skipped by the unique constraint."""
    arrays = [bindparam(name, type_=ARRAY(String)) for name in IMPORTED_COLUMNS]
    rows = func.unnest(*arrays).table_valued(*IMPORTED_COLUMNS).render_derived("imported")
    owner = bindparam("owner_id", type_=UUID(as_uuid=True))
    # On the table, not the entity: the ORM would read a dict of parameters as rows to
    # insert in bulk.
    table = Client.metadata.tables[Client.__tablename__]
    return (
        insert(table)
        .from_select(["owner_id", *IMPORTED_COLUMNS], select(owner, *rows.c))
        .on_conflict_do_nothing(constraint="uq_mailing_clients_owner_phone")
        .returning(table.c.phone_number)
    )


INSERT_NEW_CLIENTS = _insert_new_clients()


async def insert_new_clients(
    session: AsyncSession, owner_id: uuid.UUID, clients: Sequence[NewClient]
) -> list[str]:
    """Adds the owner's clients of these rows whose phone the owner does not have yet; the
    phones added. Sorted by phone, so concurrent imports take the unique index's locks in one
    order (no deadlock between two of them)."""
    ordered = sorted(clients, key=lambda client: client.phone_number)
    values: dict[str, object] = {
        "owner_id": owner_id,
        "phone_number": [c.phone_number for c in ordered],
        "operator_code": [c.operator_code for c in ordered],
        "tag": [c.tag for c in ordered],
        "timezone": [c.timezone for c in ordered],
    }
    return list((await session.execute(INSERT_NEW_CLIENTS, values)).scalars())


async def get_client(
    session: AsyncSession, client_id: int, *, owner_id: uuid.UUID | None
) -> Client:
    """The client, if ``owner_id`` (None: anyone's) owns it; else ClientNotFound."""
    query = select(Client).where(Client.id == client_id)
    if owner_id is not None:
        query = query.where(Client.owner_id == owner_id)
    found = (await session.execute(query)).scalar_one_or_none() if fits_int(client_id) else None
    if found is None:
        raise ClientNotFound(client_id)
    return found


async def list_clients(session: AsyncSession, *, owner_id: uuid.UUID | None) -> list[Client]:
    query = select(Client).order_by(Client.id)
    if owner_id is not None:
        query = query.where(Client.owner_id == owner_id)
    return list((await session.execute(query)).scalars())


async def delete(session: AsyncSession, entity: Client | Mailing) -> None:
    await session.delete(entity)
    await session.flush()


async def save_mailing(session: AsyncSession, mailing: Mailing) -> None:
    session.add(mailing)
    await session.flush()


async def get_mailing(
    session: AsyncSession,
    mailing_id: int,
    *,
    owner_id: uuid.UUID | None,
    for_update: bool = False,
) -> Mailing:
    query = select(Mailing).where(Mailing.id == mailing_id)
    if owner_id is not None:
        query = query.where(Mailing.owner_id == owner_id)
    if for_update:
        query = query.with_for_update()
    found = (await session.execute(query)).scalar_one_or_none() if fits_int(mailing_id) else None
    if found is None:
        raise MailingNotFound(mailing_id)
    return found


async def mailings_by_ids(session: AsyncSession, mailing_ids: Sequence[int]) -> list[Mailing]:
    query = select(Mailing).where(Mailing.id.in_(list(mailing_ids))).order_by(Mailing.id)
    return list((await session.execute(query)).scalars())


async def list_mailings(session: AsyncSession, *, owner_id: uuid.UUID | None) -> list[Mailing]:
    """Newest start first (the id breaks ties, newest first too)."""
    query = select(Mailing).order_by(Mailing.start_time.desc(), Mailing.id.desc())
    if owner_id is not None:
        query = query.where(Mailing.owner_id == owner_id)
    return list((await session.execute(query)).scalars())


# -- dispatch --------------------------------------------------------------------------------


async def mailings_to_start(session: AsyncSession, now: datetime, limit: int) -> list[Mailing]:
    """Mailings whose start has come and whose clients are not matched yet; locked, skipping
    those another dispatcher holds."""
    query = (
        select(Mailing)
        .where(
            Mailing.matched_at.is_(None),
            Mailing.cancelled_at.is_(None),
            Mailing.finished_at.is_(None),
            Mailing.start_time <= now,
        )
        .order_by(Mailing.start_time, Mailing.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def create_deliveries(
    session: AsyncSession, mailing: Mailing, status: DeliveryStatus, error: str | None
) -> int:
    """One delivery per client the mailing's filters pick, in one statement; a delivery made
    already is left as it is. Returns how many were made."""
    values = rules.match_values(mailing.filter_params)
    if not values:  # refused when stored; never "every client"
        return 0
    picked = select(
        literal(mailing.id),
        Client.id,
        Client.phone_number,
        Client.timezone,
        literal(status.value).cast(Delivery.__table__.c.status.type),
        literal(error, type_=Delivery.__table__.c.error.type),
    ).where(Client.owner_id == mailing.owner_id)
    if "tag" in values:
        picked = picked.where(Client.tag == values["tag"])
    if "operator_code" in values:
        picked = picked.where(Client.operator_code == values["operator_code"])
    statement = (
        insert(Delivery)
        .from_select(
            ["mailing_id", "client_id", "phone_number", "timezone", "status", "error"], picked
        )
        .on_conflict_do_nothing(constraint="uq_mailing_deliveries_mailing_client")
    )
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def expire_ended(session: AsyncSession, now: datetime, error: str) -> set[int]:
    """Pending deliveries of mailings whose window has closed become ``expired``, except
    those a live claim holds (their send may be under way: its outcome decides). Returns the
    mailings touched."""
    ended = select(Mailing.id).where(Mailing.end_time <= now, Mailing.finished_at.is_(None))
    statement = (
        update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.mailing_id.in_(ended.scalar_subquery()),
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        .values(status=DeliveryStatus.EXPIRED, error=error, claimed_until=None)
        .returning(Delivery.mailing_id)
        .execution_options(synchronize_session=False)
    )
    return set((await session.execute(statement)).scalars())


async def finish_mailings(session: AsyncSession, now: datetime) -> list[int]:
    """Started mailings with nothing pending any more are finished now. Returns their ids."""
    pending = exists().where(
        Delivery.mailing_id == Mailing.id, Delivery.status == DeliveryStatus.PENDING
    )
    statement = (
        update(Mailing)
        .where(Mailing.matched_at.is_not(None), Mailing.finished_at.is_(None), ~pending)
        .values(finished_at=now)
        .returning(Mailing.id)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(statement)).scalars())


async def cancel_pending(session: AsyncSession, mailing_id: int, error: str) -> int:
    """Every pending delivery of the mailing expires, claimed or not (a send already under
    way still records its outcome). Returns how many."""
    statement = (
        update(Delivery)
        .where(Delivery.mailing_id == mailing_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.EXPIRED, error=error, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


DELIVERIES = cast("Table", Delivery.__table__)
MAILINGS = cast("Table", Mailing.__table__)


def _ready(now: ColumnElement[datetime]) -> ColumnElement[bool]:
    """SQL: the delivery may go now through some account (binding aside): pending, of a
    running mailing, not held by a live claim, not waiting for a retry, in daytime."""
    d, m = DELIVERIES.c, MAILINGS.c
    return and_(
        d.status == DeliveryStatus.PENDING,
        m.cancelled_at.is_(None),
        m.matched_at.is_not(None),
        m.start_time <= now,
        m.end_time > now,
        or_(d.claimed_until.is_(None), d.claimed_until < now),
        or_(d.next_attempt_at.is_(None), d.next_attempt_at <= now),
        _in_daytime(now),
    )


async def work_ready(session: AsyncSession, now: datetime) -> bool:
    """Whether some delivery may go now."""
    ready = _ready(literal(now, DELIVERIES.c.claimed_until.type))
    query = select(
        exists().where(DELIVERIES.c.mailing_id == MAILINGS.c.id, ready).select_from(DELIVERIES)
    )
    return bool((await session.execute(query)).scalar())


@dataclass(frozen=True)
class Claimed:
    """A delivery a dispatcher holds, with what its send needs."""

    id: int
    mailing_id: int
    phone_number: str
    attempts: int
    message_text: str
    end_time: datetime
    # Bound to this account before the claim (a retry, or a claim that lapsed with the pass
    # that made it): a send of it through this account may have gone already, so no other
    # account may send it (Telegram recognises a repeated random_id per account only).
    resend: bool = False


def _in_daytime(now: ColumnElement[datetime]) -> ColumnElement[bool]:
    """SQL: the client's local time of day is in the mailing's daytime window (or it has none);
    ``rules.in_daytime`` is the same rule over values."""
    start, end = MAILINGS.c.daytime_start, MAILINGS.c.daytime_end
    local = func.cast(func.timezone(DELIVERIES.c.timezone, now), start.type)
    return or_(
        start.is_(None),
        end.is_(None),
        case(
            (start < end, and_(local >= start, local < end)),
            else_=or_(local >= start, local < end),
        ),
    )


def _claim_statement() -> ReturningUpdate[int, int, str, int, str, datetime, bool]:
    """The claim, built once (a dispatcher claims many times a second): its values are bound
    at each execution (``now``, ``until``, ``claimer``, ``pool``, ``limit``)."""
    d, m = DELIVERIES.c, MAILINGS.c
    claimer = bindparam("claimer", type_=d.account_id.type)
    picked = (
        select(d.id, d.account_id)
        .join_from(DELIVERIES, MAILINGS, m.id == d.mailing_id)
        .where(
            d.id > bindparam("after", type_=d.id.type),
            _ready(bindparam("now", type_=d.claimed_until.type)),
            or_(
                d.account_id.is_(None),
                d.account_id == claimer,
                d.account_id != func.all(bindparam("pool", type_=ARRAY(Uuid))),
            ),
        )
        .order_by(d.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(of=DELIVERIES, skip_locked=True)
        .subquery("picked")
    )
    return (
        update(DELIVERIES)
        .where(d.id == picked.c.id, m.id == d.mailing_id)
        .values(account_id=claimer, claimed_until=bindparam("until", type_=d.claimed_until.type))
        .returning(
            d.id,
            d.mailing_id,
            d.phone_number,
            d.attempts,
            m.message_text,
            m.end_time,
            # The binding before this claim (RETURNING gives the new row's values).
            picked.c.account_id.is_not_distinct_from(claimer),
        )
    )


_CLAIM = _claim_statement()
# The claim should walk ix_mailing_deliveries_pending in id order and stop at its limit. The
# planner would rather read every ready delivery and sort them all whenever it underestimates
# how many are ready: always right after a mailing's deliveries are made (no statistics yet),
# and with statistics too, as it cannot estimate the daytime condition (it took 0.1 % of the
# rows). That read grows with the pending deliveries, to 35 ms a claim at 100,000
# (docs/perf.md, "P5"). So the claim's transaction plans without sorts: the index is then
# the way to the order asked for.
_NO_SORT = text("SET LOCAL enable_sort = off")


async def claim(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    pool: Sequence[uuid.UUID],
    now: datetime,
    until: datetime,
    limit: int,
    after: int = 0,
) -> list[Claimed]:
    """Claim up to ``limit`` deliveries ready to go through ``account_id``, oldest first
    after the delivery id ``after`` (a sender's cursor: the index walk then starts past what
    it claimed already instead of stepping over its live claims again): of
    running mailings (started, not cancelled, window open), due (no back-off ahead), in the
    client's daytime, not held by a live claim, and either unbound or bound to this account
    or to one that left the ``pool`` (the accounts serving mailings, paused ones included: a
    resend must go through the account that tried, as Telegram matches a repeated random_id
    per account, so it waits for a paused one). Locked rows are skipped, so dispatchers never
    claim the same delivery. Sorts stay off for the rest of the caller's transaction (the
    dispatcher commits at once)."""
    await session.execute(_NO_SORT)
    values = {
        "now": now,
        "until": until,
        "claimer": account_id,
        "pool": list(pool),
        "limit": limit,
        "after": after,
    }
    rows = (await session.execute(_CLAIM, values)).all()
    return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed delivery's send: ``status`` sent / failed (for good) /
    pending (to try again through the same account, not before ``retry_at``)."""

    delivery_id: int
    status: DeliveryStatus
    attempts: int
    error: str | None = None
    sent_at: datetime | None = None
    retry_at: datetime | None = None


async def record_outcomes(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Write the outcomes, releasing the claims. A message sent is recorded whatever the
    delivery's status meanwhile (a cancel may have expired it: it went all the same); any
    other outcome only while the delivery is still pending. One executemany per kind (Core:
    the ORM's bulk update by primary key takes no extra condition)."""
    sent = [o for o in outcomes if o.status is DeliveryStatus.SENT]
    others = [o for o in outcomes if o.status is not DeliveryStatus.SENT]
    if sent:
        await session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == bindparam("delivery_id"))
            .values(
                status=DeliveryStatus.SENT,
                attempts=bindparam("attempts"),
                sent_at=bindparam("sent_at"),
                error=None,
                claimed_until=None,
                next_attempt_at=None,
            ),
            [
                {"delivery_id": o.delivery_id, "attempts": o.attempts, "sent_at": o.sent_at}
                for o in sent
            ],
        )
    if others:
        await session.execute(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.id == bindparam("delivery_id"),
                DELIVERIES.c.status == DeliveryStatus.PENDING,
            )
            .values(
                status=bindparam("new_status"),
                attempts=bindparam("attempts"),
                error=bindparam("error"),
                claimed_until=None,
                next_attempt_at=bindparam("retry_at"),
            ),
            [
                {
                    "delivery_id": o.delivery_id,
                    "new_status": o.status,
                    "attempts": o.attempts,
                    "error": o.error,
                    "retry_at": o.retry_at,
                }
                for o in others
            ],
        )


async def release(session: AsyncSession, claims: Sequence[Claimed]) -> None:
    """Give back claims whose send was not tried: free for any account again, unless the
    delivery may have gone through its account already (``Claimed.resend``: then it stays
    with that account)."""
    if not claims:
        return
    fresh = [claimed.id for claimed in claims if not claimed.resend]
    await session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_([claimed.id for claimed in claims]),
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(
            claimed_until=None,
            account_id=case((Delivery.id.in_(fresh), None), else_=Delivery.account_id),
        )
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Counts:
    """A mailing's deliveries by status, and its first and last message sent."""

    pending: int = 0
    sent: int = 0
    failed: int = 0
    expired: int = 0
    first_sent_at: datetime | None = None
    last_sent_at: datetime | None = None

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.failed + self.expired


async def delivery_counts(session: AsyncSession, mailing_ids: Sequence[int]) -> dict[int, Counts]:
    """Counts of each mailing asked for (zeros for one without deliveries)."""
    query = (
        select(
            Delivery.mailing_id,
            Delivery.status,
            func.count(),
            func.min(Delivery.sent_at),
            func.max(Delivery.sent_at),
        )
        .where(Delivery.mailing_id.in_(list(mailing_ids)))
        .group_by(Delivery.mailing_id, Delivery.status)
    )
    found: dict[int, dict[str, Any]] = {mailing_id: {} for mailing_id in mailing_ids}
    for mailing_id, status, count, first, last in (await session.execute(query)).all():
        fields = found[mailing_id]
        fields[DeliveryStatus(status).value] = count
        if first is not None:
            fields["first_sent_at"], fields["last_sent_at"] = first, last
    return {mailing_id: Counts(**fields) for mailing_id, fields in found.items()}


async def database_now(session: AsyncSession) -> datetime:
    """The transaction's time on the database's clock."""
    now: datetime = (await session.execute(select(func.now()))).scalar_one()
    return now


async def list_deliveries(
    session: AsyncSession,
    mailing_id: int,
    page: PageRequest,
    *,
    status: DeliveryStatus | None = None,
) -> Page[Delivery]:
    """Up to ``page.first`` deliveries of the mailing by id after the cursor (an id), with
    the count of all that match."""
    query = select(Delivery).where(Delivery.mailing_id == mailing_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    return await pages.id_page(session, query, Delivery.id, page, big=True)


# -- pages and lookups of the GraphQL API (mailing-graphql) ----------------------------------

Row = TypeVar("Row", Client, Mailing)


async def owned_clients(
    session: AsyncSession, ids: Sequence[int], *, owner_id: uuid.UUID | None
) -> dict[int, Client]:
    """The clients of these ids that ``owner_id`` (None: anyone) owns."""
    query = select(Client).where(Client.id.in_([i for i in ids if fits_int(i)]))
    if owner_id is not None:
        query = query.where(Client.owner_id == owner_id)
    return {client.id: client for client in (await session.execute(query)).scalars()}


async def owned_mailings(
    session: AsyncSession, ids: Sequence[int], *, owner_id: uuid.UUID | None
) -> dict[int, Mailing]:
    query = select(Mailing).where(Mailing.id.in_([i for i in ids if fits_int(i)]))
    if owner_id is not None:
        query = query.where(Mailing.owner_id == owner_id)
    return {mailing.id: mailing for mailing in (await session.execute(query)).scalars()}


async def owned_deliveries(
    session: AsyncSession, ids: Sequence[int], *, owner_id: uuid.UUID | None
) -> dict[int, Delivery]:
    """The deliveries of these ids whose mailing ``owner_id`` (None: anyone) owns."""
    query = select(Delivery).where(Delivery.id.in_([i for i in ids if 0 < i <= BIGINT_MAX]))
    if owner_id is not None:
        query = query.join(Mailing, Mailing.id == Delivery.mailing_id).where(
            Mailing.owner_id == owner_id
        )
    return {delivery.id: delivery for delivery in (await session.execute(query)).scalars()}


async def client_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    owner_id: uuid.UUID | None,
    where: rules.ClientFilter,
) -> Page[Client]:
    """The clients ``owner_id`` (None: anyone) owns that match ``where``, by id."""
    query = select(Client)
    for owner in {owner_id, where.owner_id} - {None}:  # both given and apart: nothing
        query = query.where(Client.owner_id == owner)
    if where.tag is not None:
        query = query.where(Client.tag == where.tag)
    if where.operator_code is not None:
        query = query.where(Client.operator_code == where.operator_code)
    if where.phone_number_prefix is not None:
        prefix = where.phone_number_prefix
        query = query.where(Client.phone_number.startswith(prefix, autoescape=True))
    return await _keyset_page(session, query, (Client.id,), _id_key, page, descending=False)


async def mailing_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    owner_id: uuid.UUID | None,
    where: rules.MailingFilter,
    now: datetime,
) -> Page[Mailing]:
    """The mailings ``owner_id`` (None: anyone) owns that match ``where``, newest start first
    (then newest id), as ``list_mailings``."""
    query = select(Mailing)
    for owner in {owner_id, where.owner_id} - {None}:
        query = query.where(Mailing.owner_id == owner)
    if where.active is not None:
        is_open = (Mailing.start_time <= now) & (Mailing.end_time > now)
        query = query.where(is_open if where.active else ~is_open)
    key = (Mailing.start_time, Mailing.id)
    return await _keyset_page(session, query, key, _start_key, page, descending=True)


async def _keyset_page(
    session: AsyncSession,
    query: Select[Row],
    key: tuple[InstrumentedAttribute[Any], ...],
    position: Callable[[tuple[str, ...], str], tuple[object, ...]],
    page: PageRequest,
    *,
    descending: bool,
) -> Page[Row]:
    """One page of ``query`` in the order of ``key`` (its columns all ascending, or all
    descending), within the cursors' positions (``position`` reads one), with the count of all
    that match. A backward page is read against the order, then turned round."""
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    row = tuple_(*key)
    if page.after is not None:
        after = tuple_(*position(page.after, "after"))
        query = query.where(row < after if descending else row > after)
    if page.before is not None:
        before = tuple_(*position(page.before, "before"))
        query = query.where(row > before if descending else row < before)
    against = descending != page.backward
    query = query.order_by(*(c.desc() if against else c.asc() for c in key))
    rows = list((await session.execute(query.limit(page.size + 1))).scalars())
    more, rows = len(rows) > page.size, rows[: page.size]
    if page.backward:
        return Page(
            rows[::-1], has_next=page.before is not None, total=total or 0, has_previous=more
        )
    return Page(rows, has_next=more, total=total or 0)


def _id_key(cursor: tuple[str, ...], name: str) -> tuple[int]:
    """A client's position (``service.client_cursor``): its id."""
    match cursor:
        case (digits,) if (found := pages.id_in(digits)) is not None:
            return (found,)
    raise pages.bad_cursor(name)


def _start_key(cursor: tuple[str, ...], name: str) -> tuple[datetime, int]:
    """A mailing's position (``service.mailing_cursor``): its start time and id."""
    match cursor:
        case (start, digits) if (found := pages.id_in(digits)) is not None:
            try:
                return rules.aware(datetime.fromisoformat(start)).astimezone(UTC), found
            except (ValueError, OverflowError):  # no time, or one UTC cannot hold
                pass
    raise pages.bad_cursor(name)
