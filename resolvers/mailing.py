"""The mailing service (legacy 003) for signed-in users: clients and mailings of the viewer's
workspace (admins: every owner's, and they may create in another's), cancelling one, and the
``mailingProgress`` subscription.

Resolvers translate: global IDs in (integer keys, owners' UUIDs), the viewer as the actor,
one service call, the result rendered. The service speaks the legacy names (``Client``,
``filter_params``); errors are told in this API's names. Anonymous callers are refused
(``UNAUTHENTICATED``): the legacy group's guests, when the operator opens it, use the REST
routes only.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import strawberry
from strawberry import UNSET

from domain.errors import Invalid, NotFound
from domain.mailing import rules
from domain.mailing import service as mailing
from domain.mailing.events import MailingProgress as ProgressEvent
from domain.mailing.events import channel_of
from resolvers.connections import page_of
from resolvers.errors import told_in_names
from resolvers.events import decoded
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.mailing import (
    CancelMailingInput,
    CancelMailingPayload,
    CancelMailingSuccess,
    CreateMailingClientInput,
    CreateMailingClientPayload,
    CreateMailingClientSuccess,
    CreateMailingInput,
    CreateMailingPayload,
    CreateMailingSuccess,
    DaytimeWindowInput,
    DeleteMailingClientInput,
    DeleteMailingClientPayload,
    DeleteMailingClientSuccess,
    DeleteMailingInput,
    DeleteMailingPayload,
    DeleteMailingSuccess,
    Mailing,
    MailingClient,
    MailingClientFilter,
    MailingFilter,
    MailingProgress,
    RecipientFilterInput,
    UpdateMailingClientInput,
    UpdateMailingClientPayload,
    UpdateMailingClientSuccess,
    UpdateMailingInput,
    UpdateMailingPayload,
    UpdateMailingSuccess,
)
from schema.relay import Connection, global_id, id_of, int_id_of

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterator
    from datetime import time

# The service's entity names, as this API calls them.
TYPE_NAMES = {"Client": "MailingClient", "Mailing": "Mailing"}
# The API's input names for the service's field names (snake case: the error table
# camel-cases them).
FIELD_NAMES = {"filter_params": "filter"}


@contextlib.contextmanager
def told_in_api_names(*, query: bool = False) -> Iterator[None]:
    """Domain errors in this API's names (``told_in_names``). An owner named who does not
    exist is a NotFoundError, as every unknown id in a GraphQL input (the legacy routes keep
    DRF's "Invalid pk" on ``owner``)."""
    with told_in_names(TYPE_NAMES, lambda f, m: (FIELD_NAMES.get(f, f), m), query=query):
        try:
            yield
        except Invalid as exc:
            if set(exc.field_errors) != {"owner"}:
                raise
            raise NotFound("User") from None


def _owner_id(value: strawberry.ID | None) -> uuid.UUID | None:
    return None if value is None else id_of(value, "User", "ownerId")


def _client_id(value: strawberry.ID) -> int:
    return int_id_of(value, "MailingClient", "mailingClientId")


def _mailing_id(value: strawberry.ID) -> int:
    return int_id_of(value, "Mailing", "mailingId")


def filter_params(given: RecipientFilterInput) -> dict[str, object]:
    """The legacy ``filter_params``: the filters given (not null), under the legacy keys."""
    values = {"tag": given.tag, "operator_code": given.operator_code}
    return {key: value for key, value in values.items() if value is not None}


def daytime_window(given: DaytimeWindowInput | None) -> tuple[time | None, time | None]:
    """The service's (start, end) of a daytime window; (None, None): none."""
    return (None, None) if given is None else (given.start, given.end)


def client_filter(given: MailingClientFilter | None) -> rules.ClientFilter:
    if given is None:
        return rules.ClientFilter()
    return rules.ClientFilter(
        owner_id=_owner_id(given.owner_id),
        tag=given.tag,
        operator_code=given.operator_code,
        phone_number_prefix=given.phone_number_prefix,
    )


def mailing_filter(given: MailingFilter | None) -> rules.MailingFilter:
    if given is None:
        return rules.MailingFilter()
    return rules.MailingFilter(owner_id=_owner_id(given.owner_id), active=given.active)


@strawberry.type
class MailingQuery:
    @strawberry.field(
        description="The clients of your workspace (admins: every owner's), by id. Pages go "
        "forward (first, after; 20 by default) or backward (last, before)."
    )
    async def mailing_clients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: MailingClientFilter | None = None,
    ) -> Connection[MailingClient]:
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: mailing.client_page(
                uow, page, actor=actor, where=client_filter(filter)
            ),
            MailingClient.from_model,
            mailing.client_cursor,
            told=told_in_api_names(query=True),
            last=last,
            before=before,
        )

    @strawberry.field(
        description="The mailings of your workspace (admins: every owner's), newest start "
        "first (then newest id). Pages go forward (first, after; 20 by default) or backward "
        "(last, before)."
    )
    async def mailings(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: MailingFilter | None = None,
    ) -> Connection[Mailing]:
        clock = info.context.auth.clock
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: mailing.mailing_page(
                uow, clock, page, actor=actor, where=mailing_filter(filter)
            ),
            Mailing.from_model,
            mailing.mailing_cursor,
            told=told_in_api_names(query=True),
            last=last,
            before=before,
        )


@strawberry.type
class MailingMutation:
    # --- clients ---

    @strawberry.mutation(
        description="A client in your workspace (admins: in the ownerId's); its operatorCode "
        "comes from the phone."
    )
    async def create_mailing_client(
        self, info: Info, input: CreateMailingClientInput
    ) -> CreateMailingClientPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            owner_id = _owner_id(input.owner_id)
            async with info.context.uow() as uow:
                client = await mailing.create_client(
                    uow,
                    actor=viewer,
                    phone_number=input.phone_number,
                    tag=input.tag,
                    timezone=input.timezone,
                    owner_id=owner_id,
                )
        return CreateMailingClientSuccess(mailing_client=MailingClient.from_model(client))

    @strawberry.mutation(description="Change a client's phone, tag or timezone.")
    async def update_mailing_client(
        self, info: Info, input: UpdateMailingClientInput
    ) -> UpdateMailingClientPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            client_id = _client_id(input.mailing_client_id)
            async with info.context.uow() as uow:
                client = await mailing.update_client(
                    uow,
                    actor=viewer,
                    client_id=client_id,
                    phone_number=input.phone_number,
                    tag=input.tag,
                    timezone=input.timezone,
                )
        return UpdateMailingClientSuccess(mailing_client=MailingClient.from_model(client))

    @strawberry.mutation(description="Delete a client.")
    async def delete_mailing_client(
        self, info: Info, input: DeleteMailingClientInput
    ) -> DeleteMailingClientPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            client_id = _client_id(input.mailing_client_id)
            async with info.context.uow() as uow:
                await mailing.delete_client(uow, actor=viewer, client_id=client_id)
        return DeleteMailingClientSuccess(mailing_client_id=global_id("MailingClient", client_id))

    # --- mailings ---

    @strawberry.mutation(
        description="A mailing in your workspace (admins: in the ownerId's), for the clients "
        "its filter picks. A window already past is taken."
    )
    async def create_mailing(self, info: Info, input: CreateMailingInput) -> CreateMailingPayload:
        viewer = require_viewer(info.context)
        daytime = daytime_window(input.daytime)
        with told_in_api_names():
            owner_id = _owner_id(input.owner_id)
            async with info.context.uow() as uow:
                created = await mailing.create_mailing(
                    uow,
                    actor=viewer,
                    start_time=input.start_time,
                    end_time=input.end_time,
                    message_text=input.message_text,
                    filter_params=filter_params(input.filter),
                    owner_id=owner_id,
                    daytime_start=daytime[0],
                    daytime_end=daytime[1],
                )
        return CreateMailingSuccess(mailing=Mailing.from_model(created))

    @strawberry.mutation(
        description="Change a mailing's window, text or filter (a new filter replaces the "
        "old whole)."
    )
    async def update_mailing(self, info: Info, input: UpdateMailingInput) -> UpdateMailingPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            mailing_id = _mailing_id(input.mailing_id)
            async with info.context.uow() as uow:
                updated = await mailing.update_mailing(
                    uow,
                    actor=viewer,
                    mailing_id=mailing_id,
                    start_time=input.start_time,
                    end_time=input.end_time,
                    message_text=input.message_text,
                    filter_params=None if input.filter is None else filter_params(input.filter),
                    # Left out: unchanged; null: removed.
                    daytime=None if input.daytime is UNSET else daytime_window(input.daytime),
                )
        return UpdateMailingSuccess(mailing=Mailing.from_model(updated))

    @strawberry.mutation(description="Delete a mailing.")
    async def delete_mailing(self, info: Info, input: DeleteMailingInput) -> DeleteMailingPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            mailing_id = _mailing_id(input.mailing_id)
            async with info.context.uow() as uow:
                await mailing.delete_mailing(uow, actor=viewer, mailing_id=mailing_id)
        return DeleteMailingSuccess(mailing_id=global_id("Mailing", mailing_id))

    @strawberry.mutation(
        description="Stop a mailing: one not started never starts, a running one's pending "
        "deliveries expire now. Cancelling again changes nothing; a finished mailing cannot "
        "be cancelled (ConflictError)."
    )
    async def cancel_mailing(self, info: Info, input: CancelMailingInput) -> CancelMailingPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            mailing_id = _mailing_id(input.mailing_id)
            async with info.context.uow() as uow:
                cancelled = await mailing.cancel_mailing(uow, actor=viewer, mailing_id=mailing_id)
        return CancelMailingSuccess(mailing=Mailing.from_model(cancelled))


@strawberry.type
class MailingSubscription:
    @strawberry.subscription(
        description="A mailing's progress now, then as it changes (about once a second while "
        "messages go), until it has finished or is cancelled."
    )
    async def mailing_progress(
        self, info: Info, mailing_id: strawberry.ID
    ) -> AsyncGenerator[MailingProgress, None]:
        viewer = require_viewer(info.context)
        with told_in_api_names(query=True):
            wanted = _mailing_id(mailing_id)
        # Listen first, read second: a change between the two is not missed.
        async with info.context.events.subscribe(channel_of(wanted)) as messages:
            with told_in_api_names(query=True):
                async with info.context.uow() as uow:
                    last = await mailing.mailing_progress(uow, actor=viewer, mailing_id=wanted)
            yield MailingProgress.from_event(last)
            if _ended(last):
                return
            async for text in messages:
                event = decoded(text)
                # News published before the read above may arrive after it: passed over.
                if not isinstance(event, ProgressEvent) or event.mailing_id != wanted:
                    continue
                if not event.supersedes(last):
                    continue
                last = event
                yield MailingProgress.from_event(event)
                if _ended(event):
                    return


def _ended(progress: ProgressEvent) -> bool:
    return progress.finished or progress.cancelled
