"""Use cases of the mailing service (legacy 003): clients and mailings, each per owner.

Who sees what: a signed-in user their own clients and mailings (another owner's id is
NotFound, as the legacy 404), admins and tghub itself everyone's. When the operator opens the
legacy group ``mailing``, anonymous callers (``Guest("mailing")``) share one workspace owned by
tghub's service user ``GUEST_OWNER``, created on the first guest write in that write's
transaction (``accounts.ensure_service_user``: race-safe, committed with the write).

Every writing use case commits.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from domain.access import Guest, System
from domain.accounts import service as accounts
from domain.errors import Conflict, Invalid, PermissionDenied, Unauthenticated
from domain.mailing import dispatch, importing, repository, rules
from domain.mailing.errors import ClientNotFound, MailingNotFound
from domain.mailing.importing import ImportReport, Problem
from domain.mailing.model import Client, Delivery, DeliveryStatus, Mailing
from domain.mailing.repository import Counts

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime, time

    from domain.access import Actor
    from domain.mailing.events import MailingProgress
    from domain.ports import Clock
    from domain.settings import LegacyGroup
    from domain.types import Page, PageRequest
    from domain.uow import SqlAlchemyUnitOfWork

__all__ = [
    "GROUP",
    "GUEST_OWNER",
    "Client",
    "ClientNotFound",
    "Counts",
    "Delivery",
    "DeliveryStatus",
    "ImportReport",
    "Mailing",
    "MailingNotFound",
    "Problem",
]

# The legacy group whose routes these use cases serve (TGHUB_LEGACY_OPEN).
GROUP: LegacyGroup = "mailing"
# The owner of the guests' shared workspace: a ``:`` no registration rule accepts, so nobody
# can register the name before tghub makes it.
GUEST_OWNER = "tghub:mailing-guests"
# Owns nothing: what a guest sees before the workspace exists.
NOBODY = uuid.UUID(int=0)


# The guests' workspace is made by the mailing service on their behalf, not by them.
WORKSPACE = System("mailing guest workspace")


def _is_guest(actor: Actor) -> bool:
    return isinstance(actor, Guest) and actor.group == GROUP


def _admits(actor: Actor) -> bool:
    """Users, admins, tghub itself and the open group's guests; anyone else is anonymous."""
    return actor.is_admin or actor.user_id is not None or _is_guest(actor)


def _admit(actor: Actor) -> None:
    if not _admits(actor):
        raise Unauthenticated


async def _scope(uow: SqlAlchemyUnitOfWork, actor: Actor) -> uuid.UUID | None:
    """Whose rows the actor sees: one owner's id, or None for everyone's (admins, System).
    Reads never create the guests' workspace."""
    _admit(actor)
    if actor.is_admin:
        return None
    if actor.user_id is not None:
        return actor.user_id
    found = await accounts.find_service_user(uow, actor=WORKSPACE, username=GUEST_OWNER)
    return found or NOBODY


async def _new_owner(
    uow: SqlAlchemyUnitOfWork, actor: Actor, owner_id: uuid.UUID | None
) -> uuid.UUID:
    """Who owns what the actor creates: themself, a guest the shared workspace (made now if
    missing); admins and tghub itself may name another user."""
    if owner_id is not None:
        if not actor.is_admin:
            if owner_id != actor.user_id:
                raise PermissionDenied("Only admins may create for another user.")
            return owner_id
        if not await accounts.users_by_ids(uow, [owner_id]):
            raise Invalid.single("owner", f'Invalid pk "{owner_id}" - object does not exist.')
        return owner_id
    if actor.user_id is not None:
        return actor.user_id
    if _is_guest(actor):
        return await accounts.ensure_service_user(uow, actor=WORKSPACE, username=GUEST_OWNER)
    raise PermissionDenied("tghub itself owns no mailing workspace: name an owner.")


async def ensure_guest_workspace(uow: SqlAlchemyUnitOfWork) -> uuid.UUID:
    """The guests' shared workspace's owner, made now if missing: tghub calls it when it
    starts with the group open, so the workspace exists from the first start (a guest's
    first write would make it too). Commits."""
    owner = await accounts.ensure_service_user(uow, actor=WORKSPACE, username=GUEST_OWNER)
    await uow.commit()
    return owner


def _check(errors: Mapping[str, list[str]]) -> None:
    if errors:
        raise Invalid(errors, message=next(iter(errors.values()))[0])


# -- clients ---------------------------------------------------------------------------------


async def create_client(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    phone_number: str,
    tag: str = "",
    timezone: str = rules.DEFAULT_TIMEZONE,
    owner_id: uuid.UUID | None = None,
) -> Client:
    """A client of the actor's workspace; its operator code comes from the phone. Commits."""
    _admit(actor)
    _check(rules.client_errors(phone_number=phone_number, tag=tag, timezone=timezone))
    client = Client(
        owner_id=await _new_owner(uow, actor, owner_id),
        phone_number=phone_number,
        operator_code=rules.operator_code(phone_number),
        tag=tag,
        timezone=timezone,
    )
    await repository.save_client(uow.session, client)
    await uow.commit()
    return client


async def get_client(uow: SqlAlchemyUnitOfWork, *, actor: Actor, client_id: int) -> Client:
    owner = await _scope(uow, actor)
    return await repository.get_client(uow.session, client_id, owner_id=owner)


async def list_clients(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> list[Client]:
    """The clients the actor sees, by id."""
    owner = await _scope(uow, actor)
    return await repository.list_clients(uow.session, owner_id=owner)


async def update_client(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    client_id: int,
    phone_number: str | None = None,
    tag: str | None = None,
    timezone: str | None = None,
) -> Client:
    """Changes the fields given (None: unchanged; a PUT gives all). A new phone recomputes
    the operator code; the client's own phone sent again is no conflict. Commits."""
    owner = await _scope(uow, actor)
    client = await repository.get_client(uow.session, client_id, owner_id=owner)
    _check(rules.client_errors(phone_number=phone_number, tag=tag, timezone=timezone))
    if phone_number is not None:
        client.phone_number = phone_number
        client.operator_code = rules.operator_code(phone_number)
    if tag is not None:
        client.tag = tag
    if timezone is not None:
        client.timezone = timezone
    await repository.save_client(uow.session, client)
    await uow.commit()
    return client


async def delete_client(uow: SqlAlchemyUnitOfWork, *, actor: Actor, client_id: int) -> None:
    owner = await _scope(uow, actor)
    client = await repository.get_client(uow.session, client_id, owner_id=owner)
    await repository.delete(uow.session, client)
    await uow.commit()


# Rows per transaction of an import: each batch is one INSERT and one commit.
IMPORT_BATCH = 2000


async def import_clients(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    content: bytes,
    owner_id: uuid.UUID | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch: int = IMPORT_BATCH,
) -> ImportReport:
    """Clients from a CSV file (``importing``): the rows that pass the client rules and are
    the first of their phone in the file are added to the owner's clients, unless the owner
    has the phone already; every other row is skipped and reported. Owned as
    ``create_client``'s are. A file that is wrong as a whole is Invalid on ``file`` and
    imports nothing.

    Commits every ``batch`` rows, so an interrupted import leaves whole batches, and running
    it again adds the rest (the rows imported before are reported as clients already).
    ``on_progress(rows_done, rows)`` follows each batch (rows: blank lines aside).
    """
    _admit(actor)
    owner = await _new_owner(uow, actor, owner_id)
    file = importing.ClientFile(content)
    report = ImportReport()
    for chunk in file.chunks(batch):
        if chunk.clients:
            added = await repository.insert_new_clients(uow.session, owner, chunk.clients)
        else:
            added = []
            await asyncio.sleep(0)  # no database wait to yield at: let other requests run
        await uow.commit()
        report.add(chunk, added)
        if on_progress is not None:
            on_progress(report.rows, file.rows)
    return report


# -- mailings --------------------------------------------------------------------------------


def _mailing_errors(
    *,
    start_time: datetime,
    end_time: datetime,
    message_text: str,
    filter_params: object,
    daytime: tuple[time | None, time | None] = (None, None),
) -> None:
    """Field errors first; the legacy ``non_field_errors`` only once every field is valid."""
    _check(
        rules.mailing_field_errors(
            message_text=message_text,
            filter_params=filter_params,
            start_time=start_time,
            end_time=end_time,
        )
        | rules.daytime_errors(*daytime)
    )
    params: Mapping[str, object] = filter_params  # type: ignore[assignment]  # checked above
    problems = rules.mailing_errors(start_time=start_time, end_time=end_time, filter_params=params)
    _check({"non_field_errors": problems} if problems else {})


async def create_mailing(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    start_time: datetime,
    end_time: datetime,
    message_text: str,
    filter_params: Mapping[str, Any],
    owner_id: uuid.UUID | None = None,
    daytime_start: time | None = None,
    daytime_end: time | None = None,
) -> Mailing:
    """A mailing of the actor's workspace; its filters kept exactly as sent. A window that is
    already past is accepted (the legacy service did). With a daytime window, messages go
    only while each client's local time is in it. Commits; the dispatcher starts it at its
    start (at once when that has come)."""
    _admit(actor)
    _mailing_errors(
        start_time=start_time,
        end_time=end_time,
        message_text=message_text,
        filter_params=filter_params,
        daytime=(daytime_start, daytime_end),
    )
    mailing = Mailing(
        owner_id=await _new_owner(uow, actor, owner_id),
        start_time=rules.aware(start_time),
        end_time=rules.aware(end_time),
        message_text=message_text,
        filter_params=dict(filter_params),
        daytime_start=daytime_start,
        daytime_end=daytime_end,
    )
    await repository.save_mailing(uow.session, mailing)
    await uow.commit()
    return mailing


async def get_mailing(uow: SqlAlchemyUnitOfWork, *, actor: Actor, mailing_id: int) -> Mailing:
    owner = await _scope(uow, actor)
    return await repository.get_mailing(uow.session, mailing_id, owner_id=owner)


async def list_mailings(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> list[Mailing]:
    """The mailings the actor sees, newest start first."""
    owner = await _scope(uow, actor)
    return await repository.list_mailings(uow.session, owner_id=owner)


async def update_mailing(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    mailing_id: int,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    message_text: str | None = None,
    filter_params: Mapping[str, Any] | None = None,
    daytime: tuple[time | None, time | None] | None = None,
) -> Mailing:
    """Changes the fields given (None: unchanged; new filters replace the old whole;
    ``daytime`` (start, end), (None, None) to remove it); the result is checked as a whole,
    as a new mailing would be. Once started, a mailing's recipients are fixed: new filters
    change nothing then, a new text or window applies to the messages still to go. Commits."""
    owner = await _scope(uow, actor)
    mailing = await repository.get_mailing(uow.session, mailing_id, owner_id=owner)
    start = start_time if start_time is not None else mailing.start_time
    end = end_time if end_time is not None else mailing.end_time
    text = message_text if message_text is not None else mailing.message_text
    params = filter_params if filter_params is not None else mailing.filter_params
    window = daytime if daytime is not None else (mailing.daytime_start, mailing.daytime_end)
    _mailing_errors(
        start_time=start, end_time=end, message_text=text, filter_params=params, daytime=window
    )
    mailing.start_time = rules.aware(start)
    mailing.end_time = rules.aware(end)
    mailing.message_text = text
    mailing.filter_params = dict(params)
    mailing.daytime_start, mailing.daytime_end = window
    await repository.save_mailing(uow.session, mailing)
    await uow.commit()
    return mailing


async def delete_mailing(uow: SqlAlchemyUnitOfWork, *, actor: Actor, mailing_id: int) -> None:
    owner = await _scope(uow, actor)
    mailing = await repository.get_mailing(uow.session, mailing_id, owner_id=owner)
    await repository.delete(uow.session, mailing)
    await uow.commit()


# -- dispatch: progress, cancel, deliveries ---------------------------------------------------


async def mailing_stats(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, mailing_ids: Sequence[int]
) -> dict[int, Counts]:
    """Each visible mailing's deliveries by status and first/last send (ids the actor does
    not see are left out)."""
    owner = await _scope(uow, actor)
    visible = await repository.mailings_by_ids(uow.session, mailing_ids)
    ids = [m.id for m in visible if owner is None or m.owner_id == owner]
    return await repository.delivery_counts(uow.session, ids)


async def cancel_mailing(uow: SqlAlchemyUnitOfWork, *, actor: Actor, mailing_id: int) -> Mailing:
    """Stop a mailing: it never starts, or its pending deliveries expire now (a send already
    under way still records its outcome). Cancelling again changes nothing; a finished
    mailing cannot be cancelled. Commits."""
    owner = await _scope(uow, actor)
    mailing = await repository.get_mailing(uow.session, mailing_id, owner_id=owner, for_update=True)
    if mailing.cancelled_at is not None:
        return mailing
    if mailing.finished_at is not None:
        raise Conflict("The mailing has finished; there is nothing left to cancel.")
    now = await repository.database_now(uow.session)
    mailing.cancelled_at = mailing.finished_at = now
    await repository.cancel_pending(uow.session, mailing.id, rules.CANCELLED)
    await uow.flush()
    for event in await dispatch.progress_events(uow, [mailing.id]):
        uow.emit(event)
    await uow.commit()
    return mailing


async def mailing_progress(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, mailing_id: int
) -> MailingProgress:
    """The mailing's progress now (what a subscriber gets first)."""
    await get_mailing(uow, actor=actor, mailing_id=mailing_id)
    found = await dispatch.progress_events(uow, [mailing_id])
    if not found:  # deleted between the two reads
        raise MailingNotFound(mailing_id)
    return found[0]


async def list_deliveries(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    mailing_id: int,
    page: PageRequest,
    status: DeliveryStatus | None = None,
) -> Page[Delivery]:
    """A visible mailing's deliveries by id (a keyset page), of one status if given."""
    await get_mailing(uow, actor=actor, mailing_id=mailing_id)
    return await repository.list_deliveries(uow.session, mailing_id, page, status=status)


# -- pages and lookups of the GraphQL API (mailing-graphql) ----------------------------------


def client_cursor(client: Client) -> tuple[str]:
    """A client's keyset position in its list (by id)."""
    return (str(client.id),)


def mailing_cursor(mailing: Mailing) -> tuple[str, str]:
    """A mailing's keyset position in its list (newest start first, then newest id)."""
    return (mailing.start_time.isoformat(), str(mailing.id))


async def client_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    where: rules.ClientFilter | None = None,
) -> Page[Client]:
    """The clients the actor sees that match ``where``, by id; pages go both ways. Naming
    another owner than the one a user sees narrows to nothing."""
    owner = await _scope(uow, actor)
    given = where or rules.ClientFilter()
    _check(rules.client_filter_errors(given))
    return await repository.client_page(uow.session, page, owner_id=owner, where=given)


async def mailing_page(
    uow: SqlAlchemyUnitOfWork,
    clock: Clock,
    page: PageRequest,
    *,
    actor: Actor,
    where: rules.MailingFilter | None = None,
) -> Page[Mailing]:
    """The mailings the actor sees that match ``where`` (``active``: at the clock's now),
    newest start first as ``list_mailings``; pages go both ways."""
    owner = await _scope(uow, actor)
    return await repository.mailing_page(
        uow.session,
        page,
        owner_id=owner,
        where=where or rules.MailingFilter(),
        now=clock.now(),
    )


async def visible_clients(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, Client]:
    """The clients of these ids the actor sees (lookups: none for an anonymous actor)."""
    if not _admits(actor):
        return {}
    owner = await _scope(uow, actor)
    return await repository.owned_clients(uow.session, ids, owner_id=owner)


async def visible_mailings(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, Mailing]:
    """The mailings of these ids the actor sees (lookups: none for an anonymous actor)."""
    if not _admits(actor):
        return {}
    owner = await _scope(uow, actor)
    return await repository.owned_mailings(uow.session, ids, owner_id=owner)


async def visible_deliveries(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, Delivery]:
    """The deliveries of these ids whose mailing the actor sees (lookups: none for an
    anonymous actor)."""
    if not _admits(actor):
        return {}
    owner = await _scope(uow, actor)
    return await repository.owned_deliveries(uow.session, ids, owner_id=owner)
