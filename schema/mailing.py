"""GraphQL shapes of the mailing service (legacy 003): clients and mailings, each in one
owner's workspace (a signed-in user's own; admins see every owner's), and what dispatch made
of a mailing: its state, statistics and deliveries, and its progress as it goes.

Every id is a global ID keyed by the legacy integer id (``MailingClient:7``, ``Mailing:3``,
``MailingDelivery:12``, a bigint); owners are ``User`` global IDs. A mailing's recipients
are a typed ``filter`` (``tag``, ``operatorCode``): the two keys the stored ``filter_params``
may hold.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from typing_extensions import override

from domain.errors import Unauthenticated
from domain.mailing import rules
from schema.accounts import User
from schema.context import Info
from schema.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from schema.relay import Connection, connection, global_id, int_nodes, page_request
from schema.telegram import TelegramAccount

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.accounts.service import Viewer
    from domain.mailing.events import MailingProgress as ProgressEvent
    from domain.mailing.model import Client as ClientModel
    from domain.mailing.model import Delivery as DeliveryModel
    from domain.mailing.model import Mailing as MailingModel
    from domain.mailing.repository import Counts


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


# --- dispatch: state, statistics, deliveries ---------------------------------------------------

MailingState = strawberry.enum(
    rules.MailingState,
    name="MailingState",
    description="Where a mailing stands: SCHEDULED (its start has not come, or dispatch has "
    "not matched its clients yet), RUNNING (started, messages pending), FINISHED (nothing "
    "pending any more), CANCELLED (before or while it ran).",
)
MailingDeliveryStatus = strawberry.enum(
    rules.DeliveryStatus,
    name="MailingDeliveryStatus",
    description="PENDING (still to go, perhaps after a retry), SENT, FAILED (for good; see "
    "error), EXPIRED (the window closed, or the mailing was cancelled, first).",
)


def _viewer(info: Info) -> Viewer:
    """Objects are shown to signed-in viewers only; this names the one a field acts for."""
    viewer = info.context.viewer
    if viewer is None:
        raise info.context.auth_error or Unauthenticated()
    return viewer


@strawberry.type(
    description="A mailing's deliveries by status (one per client it matched when it "
    "started; none before), and its first and last message sent."
)
class MailingStats:
    total: int
    pending: int
    sent: int
    failed: int
    expired: int
    first_sent_at: datetime | None
    last_sent_at: datetime | None

    @classmethod
    def of(cls, counts: Counts | ProgressEvent) -> MailingStats:
        return cls(
            total=counts.total,
            pending=counts.pending,
            sent=counts.sent,
            failed=counts.failed,
            expired=counts.expired,
            first_sent_at=counts.first_sent_at,
            last_sent_at=counts.last_sent_at,
        )

    @classmethod
    def none(cls) -> MailingStats:
        return cls(
            total=0,
            pending=0,
            sent=0,
            failed=0,
            expired=0,
            first_sent_at=None,
            last_sent_at=None,
        )


@strawberry.type(
    description="Messages go only while the client's local time of day (their timezone) is "
    "in [start, end); a window with start after end wraps midnight (22:00-06:00)."
)
class DaytimeWindow:
    start: time
    end: time


@strawberry.type(description="One message of a mailing to one client, and what became of it.")
class MailingDelivery(relay.Node):
    id: relay.NodeID[str]
    status: MailingDeliveryStatus  # type: ignore[valid-type]
    attempts: int = strawberry.field(
        description="Sends tried (a send cut off by a crash is not counted)."
    )
    error: str | None = strawberry.field(
        description="Why it failed or expired, or why the last try failed while it is pending."
    )
    sent_at: datetime | None
    phone_number: str = strawberry.field(description="The client's phone when the mailing started.")
    mailing_id: strawberry.ID = strawberry.field(description="The global ID of its Mailing.")
    client_id: strawberry.ID = strawberry.field(
        description="The global ID of its MailingClient (deleting the client deletes its "
        "deliveries)."
    )
    created_at: datetime
    mailing_key: strawberry.Private[int]
    client_key: strawberry.Private[int]
    account_key: strawberry.Private[uuid.UUID | None]

    @strawberry.field(
        description="The global ID of the TelegramAccount it went (or is going) out through: "
        "for admins (accounts are theirs to see); null for anyone else, and before a send."
    )
    def account_id(self, info: Info) -> strawberry.ID | None:
        viewer = info.context.viewer
        if self.account_key is None or viewer is None or not viewer.is_admin:
            return None
        return global_id("TelegramAccount", self.account_key)

    @strawberry.field(description="That account: for admins only, as accountId.")
    async def account(self, info: Info) -> TelegramAccount | None:
        if self.account_key is None:
            return None
        [found] = await TelegramAccount.resolve_nodes(info=info, node_ids=[str(self.account_key)])
        return found

    @strawberry.field(description="Null only when it was deleted meanwhile.")
    async def mailing(self, info: Info) -> Mailing | None:
        [found] = await Mailing.resolve_nodes(info=info, node_ids=[str(self.mailing_key)])
        return found

    @strawberry.field(description="Null only when it was deleted meanwhile.")
    async def client(self, info: Info) -> MailingClient | None:
        [found] = await MailingClient.resolve_nodes(info=info, node_ids=[str(self.client_key)])
        return found

    @classmethod
    def from_model(cls, delivery: DeliveryModel) -> MailingDelivery:
        return cls(
            id=str(delivery.id),
            status=delivery.status,
            attempts=delivery.attempts,
            error=delivery.error,
            sent_at=delivery.sent_at,
            phone_number=delivery.phone_number,
            mailing_id=global_id("Mailing", delivery.mailing_id),
            client_id=global_id("MailingClient", delivery.client_id),
            created_at=delivery.created_at,
            mailing_key=delivery.mailing_id,
            client_key=delivery.client_id,
            account_key=delivery.account_id,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MailingDelivery | None]:
        return await int_nodes(
            info, info.context.loaders.mailing_deliveries, node_ids, cls.from_model
        )


def delivery_cursor(delivery: DeliveryModel) -> tuple[str]:
    """A delivery's position in its mailing's list: its id (as the repository reads a
    deliveries cursor back)."""
    return (str(delivery.id),)


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
    daytime: DaytimeWindow | None = strawberry.field(
        description="When in each client's day messages go; null: at any time of day."
    )
    state: MailingState  # type: ignore[valid-type]
    started_at: datetime | None = strawberry.field(
        description="When dispatch started it, matching its clients (its recipients are "
        "fixed from then on); null before."
    )
    finished_at: datetime | None = strawberry.field(
        description="When it ended: nothing was pending any more, or it was cancelled."
    )
    cancelled_at: datetime | None
    owner_id: strawberry.ID = strawberry.field(description="The global ID of its owner (User).")
    created_at: datetime
    updated_at: datetime
    owner_key: strawberry.Private[uuid.UUID]
    mailing_key: strawberry.Private[int]

    @strawberry.field(
        description="Whose workspace holds it; null for the legacy guests' shared workspace."
    )
    async def owner(self, info: Info) -> User | None:
        return await _owner(info, self.owner_key)

    @strawberry.field(
        description="Its deliveries by status, now (for a page of mailings, one query for all)."
    )
    async def stats(self, info: Info) -> MailingStats:
        counts = await info.context.loaders.mailing_stats.load((self.mailing_key, _viewer(info)))
        return MailingStats.none() if counts is None else MailingStats.of(counts)

    @strawberry.field(
        description="Its deliveries (one per client it matched when it started), by id; only "
        "those of this status when given. Pages go forward (first, after; 20 by default)."
    )
    async def deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: MailingDeliveryStatus | None = None,  # type: ignore[valid-type]
    ) -> Connection[MailingDelivery]:
        viewer = _viewer(info)
        page = page_request(first, after, max_size=info.context.max_page_size)
        key = (self.mailing_key, page, status, viewer)
        found = await info.context.loaders.delivery_pages.load(key)
        return connection(
            found, MailingDelivery.from_model, delivery_cursor, has_previous=after is not None
        )

    @classmethod
    def from_model(cls, mailing: MailingModel) -> Mailing:
        daytime = (
            None
            if mailing.daytime_start is None or mailing.daytime_end is None
            else DaytimeWindow(start=mailing.daytime_start, end=mailing.daytime_end)
        )
        return cls(
            id=str(mailing.id),
            start_time=mailing.start_time,
            end_time=mailing.end_time,
            message_text=mailing.message_text,
            filter=RecipientFilter.from_params(mailing.filter_params),
            daytime=daytime,
            state=rules.mailing_state(
                started=mailing.matched_at is not None,
                finished=mailing.finished_at is not None,
                cancelled=mailing.cancelled_at is not None,
            ),
            started_at=mailing.matched_at,
            finished_at=mailing.finished_at,
            cancelled_at=mailing.cancelled_at,
            owner_id=global_id("User", mailing.owner_id),
            created_at=mailing.created_at,
            updated_at=mailing.updated_at,
            owner_key=mailing.owner_id,
            mailing_key=mailing.id,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Mailing | None]:
        return await int_nodes(info, info.context.loaders.mailings, node_ids, cls.from_model)


@strawberry.type(
    description="A mailing's progress: what mailingProgress sends first, then as it changes."
)
class MailingProgress:
    mailing_id: strawberry.ID = strawberry.field(description="The global ID of the Mailing.")
    state: MailingState  # type: ignore[valid-type]
    stats: MailingStats

    @classmethod
    def from_event(cls, event: ProgressEvent) -> MailingProgress:
        return cls(
            mailing_id=global_id("Mailing", event.mailing_id),
            state=rules.mailing_state(
                started=event.started, finished=event.finished, cancelled=event.cancelled
            ),
            stats=MailingStats.of(event),
        )


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


@strawberry.input(
    description="Times of day without an offset (each client's local time), start not equal "
    "to end; start after end wraps midnight (22:00-06:00)."
)
class DaytimeWindowInput:
    start: time
    end: time


DAYTIME_INPUT = "Send only while the client's local time of day is in [start, end)."


@strawberry.input
class CreateMailingInput:
    start_time: datetime = strawberry.field(description="No offset: UTC. A past one is taken.")
    end_time: datetime = strawberry.field(description="After startTime; no offset: UTC.")
    message_text: str
    filter: RecipientFilterInput
    owner_id: strawberry.ID | None = strawberry.field(default=None, description=OWNER_INPUT)
    daytime: DaytimeWindowInput | None = strawberry.field(
        default=None, description=DAYTIME_INPUT + " Left out or null: any time of day."
    )


@strawberry.input(
    description="Fields left out (or null) stay as they are, but daytime: null removes the "
    "window; a new filter replaces the old whole. The result is checked as a new mailing "
    "would be."
)
class UpdateMailingInput:
    mailing_id: strawberry.ID
    start_time: datetime | None = None
    end_time: datetime | None = None
    message_text: str | None = None
    filter: RecipientFilterInput | None = None
    daytime: DaytimeWindowInput | None = strawberry.field(
        default=strawberry.UNSET,
        description=DAYTIME_INPUT + " Left out: unchanged; null: removed (any time of day).",
    )


@strawberry.input
class DeleteMailingInput:
    mailing_id: strawberry.ID


@strawberry.input
class CancelMailingInput:
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


@strawberry.type
class CancelMailingSuccess:
    mailing: Mailing


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
# ConflictError: the mailing has finished (a cancelled one is cancelled again: no change).
CancelMailingPayload = Annotated[
    CancelMailingSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("CancelMailingPayload"),
]
