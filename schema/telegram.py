"""GraphQL shapes of Telegram accounts (admins only)."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from typing_extensions import override

from domain.invites.rules import InviteStatus
from domain.telegram.model import AccountStatus
from domain.telegram.rules import AccountUse
from schema.context import Info
from schema.errors import ConflictError, NotFoundError, ValidationError
from schema.jobs import Task
from schema.relay import uuid_or_none
from schema.scalars import BigInt

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.invites.service import DayCounts
    from domain.telegram.model import TelegramAccount as AccountModel

TelegramAccountStatus = strawberry.enum(AccountStatus, name="TelegramAccountStatus")
TelegramAccountUse = strawberry.enum(
    AccountUse,
    name="TelegramAccountUse",
    description="What a Telegram account may be used for: the pools of the dispatchers "
    "(online tracking, mailings, invites) draw only on the signed-in accounts serving it.",
)


@strawberry.type(description="An account's invite log rows by status on one UTC day.")
class InviteDayCounts:
    day: dt.date
    invited: int
    link_sent: int
    failed: int
    skipped: int

    @classmethod
    def of(cls, counts: DayCounts) -> InviteDayCounts:
        return cls(
            day=counts.day.date(),
            invited=counts.counts[InviteStatus.INVITED],
            link_sent=counts.counts[InviteStatus.LINK_SENT],
            failed=counts.counts[InviteStatus.FAILED],
            skipped=counts.counts[InviteStatus.SKIPPED],
        )


@strawberry.type(description="A Telegram user account tghub signs into (secrets never shown).")
class TelegramAccount(relay.Node):
    id: relay.NodeID[str]
    phone: str
    api_id: int
    status: TelegramAccountStatus  # type: ignore[valid-type]
    telegram_id: BigInt | None
    last_error: str | None
    signed_in_at: datetime | None
    created_at: datetime
    uses: list[TelegramAccountUse] = strawberry.field(  # type: ignore[valid-type]
        description="What the account serves, in a fixed order; empty: kept but serving nothing."
    )
    paused_until: datetime | None = strawberry.field(
        description="Dispatchers (mailings, invites) leave the account alone until then: "
        "Telegram asked it to wait (FloodWait) or flagged it for spam (PeerFlood). Past or "
        "null: not paused."
    )
    pause_reason: str | None = strawberry.field(
        description="Why the account was last paused (pausedUntil): Telegram's reason, or an "
        "admin's."
    )
    invite_quota: int = strawberry.field(description="Invites a day (reset at 00:00 UTC).")
    invites_left: int = strawberry.field(description="Invites left today: only real invites count.")
    invite_last_used_at: datetime | None = strawberry.field(
        description="When the account last took an invite (the least recently used goes next)."
    )

    @strawberry.field(
        description="The account's invite log rows by status per UTC day over the last days "
        "(1 to 90, today included), oldest first; days without rows left out."
    )
    async def invite_analytics(self, info: Info, days: int = 7) -> list[InviteDayCounts]:
        viewer = info.context.viewer
        if viewer is None:
            return []
        found = await info.context.loaders.invite_analytics.load((uuid.UUID(self.id), days, viewer))
        return [InviteDayCounts.of(counts) for counts in found]

    @classmethod
    def from_model(cls, account: AccountModel) -> TelegramAccount:
        return cls(
            id=str(account.id),
            phone=account.phone,
            api_id=account.api_id,
            status=account.status,
            telegram_id=None if account.telegram_id is None else BigInt(account.telegram_id),
            last_error=account.last_error,
            signed_in_at=account.signed_in_at,
            created_at=account.created_at,
            uses=[use for use in AccountUse if use in account.uses],
            paused_until=account.paused_until,
            pause_reason=account.pause_reason,
            invite_quota=account.invite_quota,
            invites_left=account.invites_left,
            invite_last_used_at=account.invite_last_used_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TelegramAccount | None]:
        viewer = info.context.viewer
        ids = [uuid_or_none(node_id) for node_id in node_ids]
        if viewer is None:
            return [None for _ in ids]
        loader = info.context.loaders.telegram_accounts
        found = await loader.load_many([(i, viewer) for i in ids if i is not None])
        by_id = {account.id: account for account in found if account is not None}
        return [cls.from_model(by_id[i]) if i in by_id else None for i in ids]


@strawberry.input
class AddTelegramAccountInput:
    phone: str = strawberry.field(description="International format, e.g. +79990000001.")
    api_id: int
    api_hash: str = strawberry.field(description="Stored encrypted; never returned.")
    uses: list[TelegramAccountUse] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="What the account serves; every use when not given."
    )


@strawberry.input
class SetTelegramAccountUsesInput:
    account_id: strawberry.ID = strawberry.field(description="A TelegramAccount's global ID.")
    uses: list[TelegramAccountUse] = strawberry.field(  # type: ignore[valid-type]
        description="The uses the account serves from now on (replacing them); empty: none."
    )


@strawberry.input
class RequestTelegramLoginCodeInput:
    account_id: strawberry.ID = strawberry.field(description="A TelegramAccount's global ID.")


@strawberry.input
class SignInTelegramAccountInput:
    account_id: strawberry.ID = strawberry.field(description="A TelegramAccount's global ID.")
    code: str
    password: str | None = strawberry.field(
        default=None, description="The two-step verification password, if the account has one."
    )


@strawberry.input
class SendTelegramMessageInput:
    account_id: strawberry.ID = strawberry.field(description="A TelegramAccount's global ID.")
    recipients: list[str] = strawberry.field(description="@usernames or numeric ids (≤ 100).")
    text: str


@strawberry.type
class AddTelegramAccountSuccess:
    account: TelegramAccount


@strawberry.type
class SetTelegramAccountUsesSuccess:
    account: TelegramAccount


@strawberry.type
class RequestTelegramLoginCodeSuccess:
    task: Task


@strawberry.type
class SignInTelegramAccountSuccess:
    task: Task


@strawberry.type
class SendTelegramMessageSuccess:
    task: Task


AddTelegramAccountPayload = Annotated[
    AddTelegramAccountSuccess | ValidationError | ConflictError,
    strawberry.union("AddTelegramAccountPayload"),
]
SetTelegramAccountUsesPayload = Annotated[
    SetTelegramAccountUsesSuccess | ValidationError | NotFoundError,
    strawberry.union("SetTelegramAccountUsesPayload"),
]
RequestTelegramLoginCodePayload = Annotated[
    RequestTelegramLoginCodeSuccess | ValidationError | NotFoundError,
    strawberry.union("RequestTelegramLoginCodePayload"),
]
SignInTelegramAccountPayload = Annotated[
    SignInTelegramAccountSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("SignInTelegramAccountPayload"),
]
SendTelegramMessagePayload = Annotated[
    SendTelegramMessageSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("SendTelegramMessagePayload"),
]
