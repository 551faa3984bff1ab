"""Bot management (admins): bots, channel links, posts, daily stats, the mutations queueing
the bots' jobs (each answers its task) and the ``botChannelEvents`` subscription.

Resolvers translate: global IDs in (integer keys), the viewer as the actor, one service call,
the result rendered. The service's errors are told in this API's names (``LinkNotFound`` is
about a ``ChannelLink``; the post's ``message`` is the input's ``text``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from domain.bots import service as bots
from domain.bots.events import CHANNEL
from domain.bots.events import BotChannelEvent as ChannelEventModel
from domain.bots.rules import LinkStatus
from domain.errors import Invalid
from domain.telegram import rules as telegram_rules
from resolvers.connections import page_of
from resolvers.errors import told_in_names
from resolvers.events import decoded
from resolvers.permissions import require_viewer
from resolvers.times import utc_input
from schema.bots import (
    Bot,
    BotChannelEvent,
    BotChannelEventKind,
    BotFilter,
    ChannelDailyStats,
    ChannelDailyStatsFilter,
    ChannelLink,
    ChannelLinkFilter,
    ChannelPost,
    ChannelPostFilter,
    DeactivateChannelLinkInput,
    DeactivateChannelLinkPayload,
    DeactivateChannelLinkSuccess,
    DeleteBotInput,
    DeleteBotPayload,
    DeleteBotSuccess,
    LinkChannelInput,
    LinkChannelPayload,
    LinkChannelSuccess,
    PostToChannelInput,
    PostToChannelPayload,
    PostToChannelSuccess,
    RegisterBotInput,
    RegisterBotPayload,
    RegisterBotSuccess,
    UpdateBotInput,
    UpdateBotPayload,
    UpdateBotSuccess,
)
from schema.context import Info
from schema.jobs import Task
from schema.permissions import admin_only
from schema.relay import Connection, global_id, int_id_of
from schema.scalars import BigInt

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from domain.access import Actor
    from domain.bots.model import ChannelLink as ChannelLink_
    from domain.types import Page, PageRequest
    from domain.uow import SqlAlchemyUnitOfWork

# The service's entity names, as this API calls them.
TYPE_NAMES = {"Bot": "Bot", "Channel": "ChannelLink"}
# The API's input names for the service's field names (snake case: the error table
# camel-cases them).
FIELD_NAMES = {"message": "text"}


def told_in_api_names(*, query: bool = False) -> AbstractContextManager[None]:
    """Domain errors in this API's names (``told_in_names``)."""
    return told_in_names(TYPE_NAMES, lambda f, m: (FIELD_NAMES.get(f, f), m), query=query)


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else int_id_of(value, type_name, field)


def _status(value: LinkStatus | None) -> LinkStatus | None:
    return None if value is None else LinkStatus(value)


def channel_reference(value: str) -> str:
    """The reference, refused (Invalid on ``channel``) unless it has the form of one: the
    job would only store it invalid."""
    if not value.strip() or len(value) > 255:
        raise Invalid.single("channel", "A t.me link, an invite link or a numeric channel id.")
    telegram_rules.parse_channel_ref(value)
    return value


@strawberry.type
class BotsQuery:
    @strawberry.field(description="Bots, by id; tokens masked.", extensions=admin_only())
    async def bots(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: BotFilter | None = None,
    ) -> Connection[Bot]:
        is_active = None if filter is None else filter.is_active
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: bots.bot_page(
                uow, info.context.secrets, page, actor=actor, is_active=is_active
            ),
            Bot.from_view,
            bots.id_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(description="Links of bots to channels, by id.", extensions=admin_only())
    async def channel_links(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: ChannelLinkFilter | None = None,
    ) -> Connection[ChannelLink]:
        given = filter or ChannelLinkFilter()

        async def fetch(
            uow: SqlAlchemyUnitOfWork, page: PageRequest, actor: Actor
        ) -> Page[ChannelLink_]:
            return await bots.link_page(
                uow,
                page,
                actor=actor,
                status=_status(given.status),
                bot_id=_optional_id(given.bot_id, "Bot", "botId"),
                channel_id=given.channel_telegram_id,
            )

        return await page_of(
            info,
            first,
            after,
            fetch,
            ChannelLink.from_model,
            bots.id_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(
        description="Posts of linked channels (published by tghub or found by the daily "
        "stats), by id.",
        extensions=admin_only(),
    )
    async def channel_posts(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: ChannelPostFilter | None = None,
    ) -> Connection[ChannelPost]:
        given = filter or ChannelPostFilter()
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: bots.post_page(
                uow,
                page,
                actor=actor,
                channel_id=given.channel_telegram_id,
                since=utc_input(given.posted_after, "postedAfter"),
                until=utc_input(given.posted_before, "postedBefore"),
            ),
            ChannelPost.from_model,
            bots.id_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(
        description="Channels' posts and views per UTC date, as the daily job counted, by id.",
        extensions=admin_only(),
    )
    async def channel_daily_stats(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: ChannelDailyStatsFilter | None = None,
    ) -> Connection[ChannelDailyStats]:
        given = filter or ChannelDailyStatsFilter()
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: bots.daily_stats_page(
                uow,
                page,
                actor=actor,
                channel_id=given.channel_telegram_id,
                first_day=given.from_,
                last_day=given.to,
            ),
            ChannelDailyStats.from_model,
            bots.id_cursor,
            told=told_in_api_names(query=True),
        )


@strawberry.type
class BotsMutation:
    @strawberry.mutation(
        description="Register a bot by its token: a task checks it with Telegram, then stores "
        "the bot (or updates the one of that Telegram id). Follow it with task or taskEvents.",
        extensions=admin_only(),
    )
    async def register_bot(self, info: Info, input: RegisterBotInput) -> RegisterBotPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            async with info.context.uow() as uow:
                job = await bots.request_bot(
                    uow,
                    info.context.secrets,
                    actor=viewer,
                    token=input.token,
                    alias=input.alias,
                    description=input.description,
                    name=input.name,
                )
        return RegisterBotSuccess(task=Task.from_model(job))

    @strawberry.mutation(
        description="Change a bot's alias, description, name or isActive (a new token: "
        "registerBot).",
        extensions=admin_only(),
    )
    async def update_bot(self, info: Info, input: UpdateBotInput) -> UpdateBotPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            bot_id = int_id_of(input.bot_id, "Bot", "botId")
            async with info.context.uow() as uow:
                view = await bots.update_bot(
                    uow,
                    info.context.secrets,
                    actor=viewer,
                    bot_id=bot_id,
                    alias=input.alias,
                    description=input.description,
                    name=input.name,
                    is_active=input.is_active,
                )
        return UpdateBotSuccess(bot=Bot.from_view(view))

    @strawberry.mutation(
        description="Delete a bot that serves no channel; its other links go with it, posts "
        "and stats stay.",
        extensions=admin_only(),
    )
    async def delete_bot(self, info: Info, input: DeleteBotInput) -> DeleteBotPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            bot_id = int_id_of(input.bot_id, "Bot", "botId")
            async with info.context.uow() as uow:
                await bots.delete_bot(uow, actor=viewer, bot_id=bot_id)
        return DeleteBotSuccess(bot_id=global_id("Bot", bot_id))

    @strawberry.mutation(
        description="Link a channel to a bot: a task resolves it (the link is NEW, ACTIVE once "
        "the hourly check finds the bot an admin allowed to post).",
        extensions=admin_only(),
    )
    async def link_channel(self, info: Info, input: LinkChannelInput) -> LinkChannelPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            reference = channel_reference(input.channel)
            bot_id = _optional_id(input.bot_id, "Bot", "botId")
            async with info.context.uow() as uow:
                job = await bots.request_link(uow, actor=viewer, channel=reference, bot_id=bot_id)
        return LinkChannelSuccess(task=Task.from_model(job))

    @strawberry.mutation(
        description="The link stops serving its channel (INACTIVE); the channel may be linked "
        "again.",
        extensions=admin_only(),
    )
    async def deactivate_channel_link(
        self, info: Info, input: DeactivateChannelLinkInput
    ) -> DeactivateChannelLinkPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            link_id = int_id_of(input.channel_link_id, "ChannelLink", "channelLinkId")
            async with info.context.uow() as uow:
                link = await bots.deactivate_link(uow, actor=viewer, link_id=link_id)
        return DeactivateChannelLinkSuccess(channel_link=ChannelLink.from_model(link))

    @strawberry.mutation(
        description="Post Markdown into a channel through the bot of its ACTIVE link (a task).",
        extensions=admin_only(),
    )
    async def post_to_channel(self, info: Info, input: PostToChannelInput) -> PostToChannelPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            link_id = _optional_id(input.channel_link_id, "ChannelLink", "channelLinkId")
            async with info.context.uow() as uow:
                job = await bots.queue_checked_post(
                    uow,
                    actor=viewer,
                    text=input.text,
                    link_id=link_id,
                    channel_id=input.channel_telegram_id,
                )
        return PostToChannelSuccess(task=Task.from_model(job))


def _event(event: ChannelEventModel) -> BotChannelEvent:
    return BotChannelEvent(
        kind=BotChannelEventKind(event.what),
        channel_link_id=global_id("ChannelLink", event.link_id),
        channel_telegram_id=None if event.channel_id is None else BigInt(event.channel_id),
        status=LinkStatus(event.status),
        reason=event.reason,
        message_id=None if event.message_id is None else BigInt(event.message_id),
        date=None if event.day is None else datetime.fromisoformat(event.day).date(),
    )


@strawberry.type
class BotsSubscription:
    @strawberry.subscription(
        description="Links' status changes, published posts and collected stats, as they "
        "happen; only those of this channel or this link when given.",
        extensions=admin_only(),
    )
    async def bot_channel_events(
        self,
        info: Info,
        channel_telegram_id: BigInt | None = None,
        channel_link_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[BotChannelEvent, None]:
        viewer = require_viewer(info.context)
        with told_in_api_names(query=True):
            link_id = _optional_id(channel_link_id, "ChannelLink", "channelLinkId")
            if link_id is not None:  # it must exist, checked once
                async with info.context.uow() as uow:
                    await bots.get_link(uow, actor=viewer, link_id=link_id)
        async with info.context.events.subscribe(CHANNEL) as messages:
            async for text in messages:
                event = decoded(text)
                if not isinstance(event, ChannelEventModel):
                    continue
                if link_id is not None and event.link_id != link_id:
                    continue
                if channel_telegram_id is not None and event.channel_id != channel_telegram_id:
                    continue
                yield _event(event)
