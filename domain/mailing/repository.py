"""SQL of the mailing service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.exc import IntegrityError

from domain.errors import Invalid
from domain.mailing import rules
from domain.mailing.errors import ClientNotFound, MailingNotFound
from domain.mailing.model import Client, Mailing

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.sql.dml import ReturningInsert

    from domain.mailing.importing import NewClient

# PostgreSQL's integer: a larger id names nothing (and must not reach the query).
INT_MAX = 2**31 - 1


def _fits(entity_id: int) -> bool:
    return -INT_MAX - 1 <= entity_id <= INT_MAX


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
    found = (await session.execute(query)).scalar_one_or_none() if _fits(client_id) else None
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
    session: AsyncSession, mailing_id: int, *, owner_id: uuid.UUID | None
) -> Mailing:
    query = select(Mailing).where(Mailing.id == mailing_id)
    if owner_id is not None:
        query = query.where(Mailing.owner_id == owner_id)
    found = (await session.execute(query)).scalar_one_or_none() if _fits(mailing_id) else None
    if found is None:
        raise MailingNotFound(mailing_id)
    return found


async def list_mailings(session: AsyncSession, *, owner_id: uuid.UUID | None) -> list[Mailing]:
    """Newest start first (the id breaks ties, newest first too)."""
    query = select(Mailing).order_by(Mailing.start_time.desc(), Mailing.id.desc())
    if owner_id is not None:
        query = query.where(Mailing.owner_id == owner_id)
    return list((await session.execute(query)).scalars())


async def matching_clients(session: AsyncSession, mailing: Mailing) -> list[int]:
    """The ids, in id order, of the mailing owner's clients its filters pick (AND-ed: tag
    equality, operator code equality); ``rules.matches`` is the same rule over values."""
    query = select(Client.id).where(Client.owner_id == mailing.owner_id).order_by(Client.id)
    values = rules.match_values(mailing.filter_params)
    if not values:  # refused when stored; never "every client"
        return []
    if "tag" in values:
        query = query.where(Client.tag == values["tag"])
    if "operator_code" in values:
        query = query.where(Client.operator_code == values["operator_code"])
    return list((await session.execute(query)).scalars())
