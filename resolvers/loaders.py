"""Per-request DataLoaders: each batch opens its own short read session.

Loaders of what not everyone may see are keyed by (id, actor): the services answer only what
the actor may see, and a request's keys all name its one viewer.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

from domain.accounts import service as accounts
from domain.bots import service as bots
from domain.errors import DomainError
from domain.invites import service as invites
from domain.jobs import service as jobs
from domain.mailing import service as mailing
from domain.messenger import service as messenger
from domain.telegram import service as telegram
from domain.tracking import service as tracking
from resolvers.errors import told_in_names

if TYPE_CHECKING:
    import uuid
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from domain.access import Actor
    from domain.accounts.model import User
    from domain.accounts.service import Viewer
    from domain.bots.model import ChannelDailyStats, ChannelLink, ChannelPost
    from domain.bots.service import BotView
    from domain.invites.model import InviteLog
    from domain.invites.service import DayCounts
    from domain.jobs.model import Job
    from domain.mailing.model import Client as MailingClient
    from domain.mailing.model import Delivery, DeliveryStatus, Mailing
    from domain.mailing.repository import Counts
    from domain.messenger.cards import ChatRow, MessageCard
    from domain.messenger.model import Chat
    from domain.messenger.service import ChatOverview
    from domain.ports import Clock, SecretBox
    from domain.telegram.model import TelegramAccount
    from domain.tracking.model import OnlineStatus, TelegramUser, TrackedUser, TrackerSetting
    from domain.tracking.service import TrackerView
    from domain.types import Page, PageRequest
    from domain.uow import SqlAlchemyUnitOfWork, UnitOfWorkFactory


KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")
ActorT = TypeVar("ActorT", bound="Actor")
# A page of one mailing's deliveries: the mailing, the page, the status asked for, the actor.
DeliveryPageKey = tuple[int, "PageRequest", "DeliveryStatus | None", "Actor"]
# An account's invite analytics: the account, the number of days, the actor.
AnalyticsKey = tuple["uuid.UUID", int, "Actor"]


def _by_actor(keys: Sequence[tuple[KeyT, ActorT]]) -> dict[ActorT, list[KeyT]]:
    """The keys grouped by actor (one actor per request in practice)."""
    grouped: dict[ActorT, list[KeyT]] = {}
    for key, actor in keys:
        grouped.setdefault(actor, []).append(key)
    return grouped


class Loaders:
    def __init__(
        self, uow: UnitOfWorkFactory, secrets: SecretBox | None = None, clock: Clock | None = None
    ) -> None:
        self._uow = uow
        # Bots are shown with their tokens masked: reading one needs the box.
        self._secrets = secrets
        # What "today" is for per-day counts (the app's clock; the system's when not given).
        self._clock = clock
        # Each DataLoader is made when first used: a websocket operation builds a Loaders
        # and uses none or one of them (22 unused loaders were ~10 KiB per socket).

    @functools.cached_property
    def users(self) -> DataLoader[uuid.UUID, User | None]:
        return DataLoader(self._load_users)

    @functools.cached_property
    def jobs(self) -> DataLoader[tuple[str, Actor], Job | None]:
        # Keyed by (id, actor): the services answer only what the actor may see.
        return DataLoader(self._load_jobs)

    @functools.cached_property
    def telegram_accounts(self) -> DataLoader[tuple[uuid.UUID, Actor], TelegramAccount | None]:
        return DataLoader(self._load_telegram_accounts)

    @functools.cached_property
    def chats(self) -> DataLoader[tuple[uuid.UUID, Viewer], Chat | None]:
        # The messenger's actors are signed-in users: a chat is its members' only.
        return DataLoader(self._load_chats)

    @functools.cached_property
    def chat_overviews(self) -> DataLoader[tuple[Chat | ChatRow, Viewer], ChatOverview]:
        return DataLoader(self._load_chat_overviews)

    @functools.cached_property
    def messages(self) -> DataLoader[tuple[uuid.UUID, Viewer], MessageCard | None]:
        return DataLoader(self._load_messages)

    @functools.cached_property
    def trackers(self) -> DataLoader[tuple[int, Actor], TrackerView | None]:
        # Online tracking, by legacy integer id: admins see every row, anyone else none.
        return DataLoader(self._load_trackers)

    @functools.cached_property
    def tracker_settings(self) -> DataLoader[tuple[int, Actor], TrackerSetting | None]:
        return DataLoader(self._load_tracker_settings)

    @functools.cached_property
    def tracking_clients(self) -> DataLoader[tuple[int, Actor], TelegramUser | None]:
        return DataLoader(self._load_tracking_clients)

    @functools.cached_property
    def tracked_users(self) -> DataLoader[tuple[int, Actor], TrackedUser | None]:
        return DataLoader(self._load_tracked_users)

    @functools.cached_property
    def online_statuses(self) -> DataLoader[tuple[int, Actor], OnlineStatus | None]:
        return DataLoader(self._load_online_statuses)

    @functools.cached_property
    def bots(self) -> DataLoader[tuple[int, Actor], BotView | None]:
        # Bot management, by legacy integer id: admins see every row, anyone else none.
        return DataLoader(self._load_bots)

    @functools.cached_property
    def channel_links(self) -> DataLoader[tuple[int, Actor], ChannelLink | None]:
        return DataLoader(self._load_channel_links)

    @functools.cached_property
    def channel_posts(self) -> DataLoader[tuple[int, Actor], ChannelPost | None]:
        return DataLoader(self._load_channel_posts)

    @functools.cached_property
    def channel_daily_stats(self) -> DataLoader[tuple[int, Actor], ChannelDailyStats | None]:
        return DataLoader(self._load_channel_daily_stats)

    @functools.cached_property
    def mailing_clients(self) -> DataLoader[tuple[int, Actor], MailingClient | None]:
        # Mailing, by legacy integer id: a user sees their own rows, admins every owner's.
        return DataLoader(self._load_mailing_clients)

    @functools.cached_property
    def mailings(self) -> DataLoader[tuple[int, Actor], Mailing | None]:
        return DataLoader(self._load_mailings)

    @functools.cached_property
    def mailing_stats(self) -> DataLoader[tuple[int, Actor], Counts | None]:
        return DataLoader(self._load_mailing_stats)

    @functools.cached_property
    def mailing_deliveries(self) -> DataLoader[tuple[int, Actor], Delivery | None]:
        return DataLoader(self._load_mailing_deliveries)

    @functools.cached_property
    def delivery_pages(self) -> DataLoader[DeliveryPageKey, Page[Delivery]]:
        return DataLoader(self._load_delivery_pages)

    @functools.cached_property
    def invite_logs(self) -> DataLoader[tuple[int, Actor], InviteLog | None]:
        # Invites, admins only: log rows by integer id, accounts' rows per day.
        return DataLoader(self._load_invite_logs)

    @functools.cached_property
    def invite_analytics(self) -> DataLoader[AnalyticsKey, list[DayCounts]]:
        return DataLoader(self._load_invite_analytics)

    async def _load_users(self, ids: Sequence[uuid.UUID]) -> list[User | None]:
        async with self._uow() as uow:
            found = {user.id: user for user in await accounts.users_by_ids(uow, ids)}
        return [found.get(user_id) for user_id in ids]

    async def _visible(
        self,
        keys: Sequence[tuple[KeyT, ActorT]],
        fetch: Callable[
            [SqlAlchemyUnitOfWork, list[KeyT], ActorT], Awaitable[Mapping[KeyT, ValueT]]
        ],
    ) -> list[ValueT | None]:
        """What each (key, actor) may see: one service call per actor, in one unit of work."""
        found: dict[tuple[KeyT, ActorT], ValueT] = {}
        async with self._uow() as uow:
            for actor, ids in _by_actor(keys).items():
                visible = await fetch(uow, ids, actor)
                found.update({(key, actor): value for key, value in visible.items()})
        return [found.get(key) for key in keys]

    async def _load_jobs(self, keys: Sequence[tuple[str, Actor]]) -> list[Job | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: jobs.visible_jobs(uow, ids, actor=actor)
        )

    async def _load_telegram_accounts(
        self, keys: Sequence[tuple[uuid.UUID, Actor]]
    ) -> list[TelegramAccount | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: telegram.visible_accounts(uow, ids, actor=actor)
        )

    async def _load_chats(self, keys: Sequence[tuple[uuid.UUID, Viewer]]) -> list[Chat | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: messenger.visible_chats(uow, actor=actor, chat_ids=ids)
        )

    async def _load_chat_overviews(
        self, keys: Sequence[tuple[Chat | ChatRow, Viewer]]
    ) -> list[ChatOverview]:
        found: dict[tuple[uuid.UUID, Viewer], ChatOverview] = {}
        async with self._uow() as uow:
            for actor, chats in _by_actor(keys).items():
                overviews = await messenger.chat_overviews(uow, actor=actor, chats=chats)
                found.update({(o.chat.id, actor): o for o in overviews})
        return [found[(chat.id, actor)] for chat, actor in keys]

    async def _load_messages(
        self, keys: Sequence[tuple[uuid.UUID, Viewer]]
    ) -> list[MessageCard | None]:
        return await self._visible(
            keys,
            lambda uow, ids, actor: messenger.visible_messages(uow, actor=actor, message_ids=ids),
        )

    async def _load_trackers(self, keys: Sequence[tuple[int, Actor]]) -> list[TrackerView | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: tracking.visible_trackers(uow, ids, actor=actor)
        )

    async def _load_tracker_settings(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[TrackerSetting | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: tracking.visible_settings(uow, ids, actor=actor)
        )

    async def _load_tracking_clients(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[TelegramUser | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: tracking.visible_telegram_users(uow, ids, actor=actor)
        )

    async def _load_tracked_users(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[TrackedUser | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: tracking.visible_tracked_users(uow, ids, actor=actor)
        )

    async def _load_online_statuses(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[OnlineStatus | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: tracking.visible_statuses(uow, ids, actor=actor)
        )

    async def _load_bots(self, keys: Sequence[tuple[int, Actor]]) -> list[BotView | None]:
        box = self._secrets
        if box is None:
            raise RuntimeError("Loaders built without the secret box cannot show bots.")
        return await self._visible(
            keys, lambda uow, ids, actor: bots.visible_bots(uow, box, ids, actor=actor)
        )

    async def _load_channel_links(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[ChannelLink | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: bots.visible_links(uow, ids, actor=actor)
        )

    async def _load_channel_posts(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[ChannelPost | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: bots.visible_posts(uow, ids, actor=actor)
        )

    async def _load_channel_daily_stats(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[ChannelDailyStats | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: bots.visible_daily_stats(uow, ids, actor=actor)
        )

    async def _load_mailing_clients(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[MailingClient | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: mailing.visible_clients(uow, ids, actor=actor)
        )

    async def _load_mailings(self, keys: Sequence[tuple[int, Actor]]) -> list[Mailing | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: mailing.visible_mailings(uow, ids, actor=actor)
        )

    async def _load_mailing_stats(self, keys: Sequence[tuple[int, Actor]]) -> list[Counts | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: mailing.mailing_stats(uow, actor=actor, mailing_ids=ids)
        )

    async def _load_mailing_deliveries(
        self, keys: Sequence[tuple[int, Actor]]
    ) -> list[Delivery | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: mailing.visible_deliveries(uow, ids, actor=actor)
        )

    async def _load_delivery_pages(
        self, keys: Sequence[DeliveryPageKey]
    ) -> list[Page[Delivery] | BaseException]:
        """One query per page (pages of several mailings are rare: a client follows one), in
        one unit of work; a page's error (a cursor it did not give) is that page's alone."""
        found: list[Page[Delivery] | BaseException] = []
        async with self._uow() as uow:
            for mailing_id, page, status, actor in keys:
                try:
                    found.append(
                        await mailing.list_deliveries(
                            uow, actor=actor, mailing_id=mailing_id, page=page, status=status
                        )
                    )
                except DomainError as exc:
                    found.append(exc)
        return found

    async def _load_invite_logs(self, keys: Sequence[tuple[int, Actor]]) -> list[InviteLog | None]:
        return await self._visible(
            keys, lambda uow, ids, actor: invites.visible_logs(uow, ids, actor=actor)
        )

    async def _load_invite_analytics(
        self, keys: Sequence[AnalyticsKey]
    ) -> list[list[DayCounts] | BaseException]:
        """One query per (number of days, actor): a page of accounts asking for the same
        days is one query; an error (days out of range) is that group's alone."""
        now = self._clock.now() if self._clock is not None else datetime.now(UTC)
        groups: dict[tuple[int, Actor], list[uuid.UUID]] = {}
        for account_id, days, actor in keys:
            groups.setdefault((days, actor), []).append(account_id)
        found: dict[tuple[int, Actor], dict[uuid.UUID, list[DayCounts]] | DomainError] = {}
        async with self._uow() as uow:
            for (days, actor), ids in groups.items():
                try:
                    # A field's error: told by its message (a query has no field list).
                    with told_in_names({}, lambda field, messages: (field, messages), query=True):
                        found[(days, actor)] = await invites.analytics(
                            uow,
                            actor=actor,
                            account_ids=list(dict.fromkeys(ids)),
                            days=days,
                            now=now,
                        )
                except DomainError as exc:
                    found[(days, actor)] = exc
        answers: list[list[DayCounts] | BaseException] = []
        for account_id, days, actor in keys:
            group = found[(days, actor)]
            answers.append(group if isinstance(group, DomainError) else group[account_id])
        return answers
