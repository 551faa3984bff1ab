"""GraphQL shapes of the mailing service (legacy 003): clients and mailings, each in one
owner's workspace (a signed-in user's own; admins see every owner's).

Every id is a global ID keyed by the legacy integer id (``MailingClient:7``, ``Mailing:3``);
owners are ``User`` global IDs. A mailing's recipients are a typed ``filter`` (``tag``,
``operatorCode``): the two keys the stored ``filter_params`` may hold.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from typing_extensions import override

from domain.mailing import rules
from schema.accounts import User
from schema.context import Info
from schema.errors import NotFoundError, PermissionDeniedError, ValidationError
from schema.relay import global_id, int_nodes

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.mailing.model import Client as ClientModel
    from domain.mailing.model import Mailing as MailingModel


async def _owner(info: Info, owner: uuid.UUID) -> User | None:
    [found] = await User.resolve_nodes(info=info, node_ids=[str(owner)])
    return found


@strawberry.type(description="A phone in one owner's workspace that mailings go to.")
class MailingClient(relay.Node):
    id: relay.NodeID[str]
    phone_number: str = strawberry.field(description='7 and ten digits, "7XXXXXXXXXX".')
    operator_code: str = strawberry.field(
        description="Digits 2-4 of the phone, recomputed whenever the phone changes."
    )
    tag: str = strawberry.field(description='What mailings filter by; "" when none.')
    timezone: str = strawberry.field(description="An IANA zone name, UTC by default.")
    owner_id: strawberry.ID = strawberry.field(description="The global ID of its owner (User).")
    created_at: datetime
    updated_at: datetime
    owner_key: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="Whose workspace holds it; null for the legacy guests' shared workspace "
        "(owned by tghub's service user, which is no user anyone can see)."
    )
    async def owner(self, info: Info) -> User | None:
        return await _owner(info, self.owner_key)

    @classmethod
    def from_model(cls, client: ClientModel) -> MailingClient:
        return cls(
            id=str(client.id),
            phone_number=client.phone_number,
            operator_code=client.operator_code,
            tag=client.tag,
            timezone=client.timezone,
            owner_id=global_id("User", client.owner_id),
            created_at=client.created_at,
            updated_at=client.updated_at,
            owner_key=client.owner_id,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MailingClient | None]:
        return await int_nodes(info, info.context.loaders.mailing_clients, node_ids, cls.from_model)


@strawberry.type(
    description="Which of the owner's clients a mailing goes to: those matching every filter "
    "given (null: not filtered by it)."
)
class RecipientFilter:
    tag: str | None = strawberry.field(
        description='Clients with exactly this tag ("": the clients without one).'
    )
    operator_code: str | None = strawberry.field(
        description="Clients of this operator code (a number a legacy client stored is "
        "shown as its digits)."
    )

    @classmethod
    def from_params(cls, filter_params: dict[str, object]) -> RecipientFilter:
        values = rules.match_values(filter_params)
        return cls(tag=values.get("tag"), operator_code=values.get("operator_code"))


@strawberry.type(
    description="A message for the owner's clients that its filter picks, sent within its "
    "window [startTime, endTime)."
)
class Mailing(relay.Node):
    id: relay.NodeID[str]
    start_time: datetime
    end_time: datetime
    message_text: str
    filter: RecipientFilter
    owner_id: strawberry.ID = strawberry.field(description="The global ID of its owner (User).")
    created_at: datetime
    updated_at: datetime
    owner_key: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="Whose workspace holds it; null for the legacy guests' shared workspace."
    )
    async def owner(self, info: Info) -> User | None:
        return await _owner(info, self.owner_key)

    @classmethod
    def from_model(cls, mailing: MailingModel) -> Mailing:
        return cls(
            id=str(mailing.id),
            start_time=mailing.start_time,
            end_time=mailing.end_time,
            message_text=mailing.message_text,
            filter=RecipientFilter.from_params(mailing.filter_params),
            owner_id=global_id("User", mailing.owner_id),
            created_at=mailing.created_at,
            updated_at=mailing.updated_at,
            owner_key=mailing.owner_id,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Mailing | None]:
        return await int_nodes(info, info.context.loaders.mailings, node_ids, cls.from_model)


# --- filters --------------------------------------------------------------------------------

OWNER_FILTER = (
    "A User's ID: that owner's only. Admins see every owner's; anyone else sees only their "
    "own, so another owner's id lists nothing."
)


@strawberry.input(description="Every filter given must match.")
class MailingClientFilter:
    tag: str | None = strawberry.field(
        default=None, description='Exactly this tag ("": the clients without one).'
    )
    operator_code: str | None = None
    phone_number_prefix: str | None = strawberry.field(
        default=None, description='Phones starting with this text ("7912").'
    )
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_FILTER)


@strawberry.input(description="Every filter given must match.")
class MailingFilter:
    active: bool | None = strawberry.field(
        default=None,
        description="true: the window is open now (startTime <= now < endTime); false: not "
        "yet open, or over.",
    )
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_FILTER)


# --- mutations --------------------------------------------------------------------------------

OWNER_INPUT = (
    "Admins: create in this User's workspace (default: your own). Anyone else may name only "
    "themself."
)


@strawberry.input
class CreateMailingClientInput:
    phone_number: str = strawberry.field(
        description='7 and ten digits, "7XXXXXXXXXX"; once per owner.'
    )
    tag: str = strawberry.field(default="", description="At most 255 characters.")
    timezone: str = strawberry.field(
        default=rules.DEFAULT_TIMEZONE, description="An IANA zone name (Europe/Moscow)."
    )
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_INPUT)


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateMailingClientInput:
    mailing_client_id: strawberry.ID
    phone_number: str | None = strawberry.field(
        default=None, description="A new phone recomputes operatorCode."
    )
    tag: str | None = None
    timezone: str | None = None


@strawberry.input
class DeleteMailingClientInput:
    mailing_client_id: strawberry.ID


@strawberry.input(
    description="Which clients a mailing goes to: at least one filter, each given one must "
    "match (left out or null: not filtered by it)."
)
class RecipientFilterInput:
    tag: str | None = strawberry.field(
        default=None, description='Clients with exactly this tag ("": the clients without one).'
    )
    operator_code: str | None = None


@strawberry.input
class CreateMailingInput:
    start_time: datetime = strawberry.field(description="No offset: UTC. A past one is taken.")
    end_time: datetime = strawberry.field(description="After startTime; no offset: UTC.")
    message_text: str
    filter: RecipientFilterInput
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_INPUT)


@strawberry.input(
    description="Fields left out (or null) stay as they are; a new filter replaces the old "
    "whole. The result is checked as a new mailing would be."
)
class UpdateMailingInput:
    mailing_id: strawberry.ID
    start_time: datetime | None = None
    end_time: datetime | None = None
    message_text: str | None = None
    filter: RecipientFilterInput | None = None


@strawberry.input
class DeleteMailingInput:
    mailing_id: strawberry.ID


@strawberry.type
class CreateMailingClientSuccess:
    mailing_client: MailingClient


@strawberry.type
class UpdateMailingClientSuccess:
    mailing_client: MailingClient


@strawberry.type
class DeleteMailingClientSuccess:
    mailing_client_id: strawberry.ID


@strawberry.type
class CreateMailingSuccess:
    mailing: Mailing


@strawberry.type
class UpdateMailingSuccess:
    mailing: Mailing


@strawberry.type
class DeleteMailingSuccess:
    mailing_id: strawberry.ID


# NotFoundError: an ownerId naming no user (admins); PermissionDeniedError: anyone else naming
# someone other than themself.
CreateMailingClientPayload = Annotated[
    CreateMailingClientSuccess | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("CreateMailingClientPayload"),
]
# NotFoundError: no such client, or another owner's (a user sees only their own).
UpdateMailingClientPayload = Annotated[
    UpdateMailingClientSuccess | ValidationError | NotFoundError,
    strawberry.union("UpdateMailingClientPayload"),
]
DeleteMailingClientPayload = Annotated[
    DeleteMailingClientSuccess | ValidationError | NotFoundError,
    strawberry.union("DeleteMailingClientPayload"),
]
CreateMailingPayload = Annotated[
    CreateMailingSuccess | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("CreateMailingPayload"),
]
UpdateMailingPayload = Annotated[
    UpdateMailingSuccess | ValidationError | NotFoundError,
    strawberry.union("UpdateMailingPayload"),
]
DeleteMailingPayload = Annotated[
    DeleteMailingSuccess | ValidationError | NotFoundError,
    strawberry.union("DeleteMailingPayload"),
]
