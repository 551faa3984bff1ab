"""The per-request context every resolver receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import strawberry

from domain.types import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket
    from strawberry.dataloader import DataLoader

    from domain.access import Actor
    from domain.accounts.model import User
    from domain.accounts.service import Viewer
    from domain.bots.model import ChannelDailyStats, ChannelLink, ChannelPost
    from domain.bots.service import BotView
    from domain.errors import DomainError
    from domain.invites.model import InviteLog
    from domain.invites.service import DayCounts
    from domain.jobs.model import Job
    from domain.jobs.schedule import Schedule
    from domain.mailing.model import Client as MailingClient
    from domain.mailing.model import Delivery, DeliveryStatus, Mailing
    from domain.mailing.repository import Counts
    from domain.messenger.cards import ChatRow, MessageCard
    from domain.messenger.model import Chat
    from domain.messenger.service import ChatOverview
    from domain.ports import AuthPorts, EventSource, MessengerPorts, SecretBox, TelegramSandbox
    from domain.telegram.model import TelegramAccount
    from domain.tracking.model import OnlineStatus, TelegramUser, TrackedUser, TrackerSetting
    from domain.tracking.service import TrackerView
    from domain.types import Page, PageRequest
    from domain.uow import UnitOfWorkFactory


class Loaders(Protocol):
    """Per-request DataLoaders (built in resolvers.loaders); those keyed by an actor answer
    only what that actor may see."""

    @property
    def users(self) -> DataLoader[uuid.UUID, User | None]: ...

    @property
    def jobs(self) -> DataLoader[tuple[str, Actor], Job | None]: ...

    @property
    def telegram_accounts(
        self,
    ) -> DataLoader[tuple[uuid.UUID, Actor], TelegramAccount | None]: ...

    @property
    def chats(self) -> DataLoader[tuple[uuid.UUID, Viewer], Chat | None]:
        """Chats the viewer is a member of; None for any other id."""
        ...

    @property
    def chat_overviews(self) -> DataLoader[tuple[Chat | ChatRow, Viewer], ChatOverview]:
        """Chats the viewer was given (by ``chats`` or a messenger service) as their chat
        list shows them."""
        ...

    @property
    def messages(self) -> DataLoader[tuple[uuid.UUID, Viewer], MessageCard | None]:
        """Cards of messages in the viewer's chats; None for any other id."""
        ...

    # Online tracking, by legacy integer id: admins see every row, anyone else none.
    @property
    def trackers(self) -> DataLoader[tuple[int, Actor], TrackerView | None]: ...

    @property
    def tracker_settings(self) -> DataLoader[tuple[int, Actor], TrackerSetting | None]: ...

    @property
    def tracking_clients(self) -> DataLoader[tuple[int, Actor], TelegramUser | None]: ...

    @property
    def tracked_users(self) -> DataLoader[tuple[int, Actor], TrackedUser | None]: ...

    @property
    def online_statuses(self) -> DataLoader[tuple[int, Actor], OnlineStatus | None]: ...

    # Bot management, by legacy integer id: admins see every row, anyone else none.
    @property
    def bots(self) -> DataLoader[tuple[int, Actor], BotView | None]: ...

    @property
    def channel_links(self) -> DataLoader[tuple[int, Actor], ChannelLink | None]: ...

    @property
    def channel_posts(self) -> DataLoader[tuple[int, Actor], ChannelPost | None]: ...

    @property
    def channel_daily_stats(self) -> DataLoader[tuple[int, Actor], ChannelDailyStats | None]: ...

    # Mailing, by legacy integer id: a user sees their own rows, admins every owner's.
    @property
    def mailing_clients(self) -> DataLoader[tuple[int, Actor], MailingClient | None]: ...

    @property
    def mailings(self) -> DataLoader[tuple[int, Actor], Mailing | None]: ...

    @property
    def mailing_stats(self) -> DataLoader[tuple[int, Actor], Counts | None]:
        """Each mailing's deliveries by status: a page of mailings in one query."""
        ...

    @property
    def mailing_deliveries(self) -> DataLoader[tuple[int, Actor], Delivery | None]:
        """Deliveries by id, of the mailings the actor sees."""
        ...

    @property
    def delivery_pages(
        self,
    ) -> DataLoader[tuple[int, PageRequest, DeliveryStatus | None, Actor], Page[Delivery]]:
        """A page of a mailing's deliveries (of one status, if given): one query per page."""
        ...

    # Invites (admins): log rows by id, and accounts' rows per day by status.
    @property
    def invite_logs(self) -> DataLoader[tuple[int, Actor], InviteLog | None]: ...

    @property
    def invite_analytics(self) -> DataLoader[tuple[uuid.UUID, int, Actor], list[DayCounts]]:
        """An account's invite log rows per day over the last ``days`` (the key's int): the
        accounts of a page in one query per number of days."""
        ...


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    uow: UnitOfWorkFactory
    auth: AuthPorts
    events: EventSource
    loaders: Loaders
    secrets: SecretBox
    messenger: MessengerPorts
    # The scheduled jobs (domain/jobs/schedule.py), built from the app's settings.
    schedule: Schedule
    # The simulated Telegram's controls; None when tghub talks to real Telegram.
    sandbox: TelegramSandbox | None = None
    max_page_size: int = MAX_PAGE_SIZE
    # Where queueInvites reads phones without a country code (TGHUB_INVITE_DEFAULT_REGION).
    invite_region: str = "RU"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    viewer: Viewer | None = None
    # The presented access token: a websocket's is re-checked before every operation.
    token: str | None = None
    # Why authentication failed, when a token was presented but refused.
    auth_error: DomainError | None = None
    # Strawberry stores the websocket connection_init payload here, and drops it silently
    # when the context has no such attribute (docs/libraries.md).
    connection_params: dict[str, Any] | None = None


Info = strawberry.Info[Context, None]
