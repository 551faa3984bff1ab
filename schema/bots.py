"""GraphQL shapes of bot management (admins only): bots, their links to channels, the
channels' posts and daily stats, and the channel events.

Every id is a global ID keyed by the legacy integer id (``Bot:7``); Telegram's ids (a bot's,
a channel's, a message's) are ``BigInt`` fields named for Telegram. A bot's token is shown
only masked (``<bot id>:****<last 4>``), never whole.
"""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from typing_extensions import override

from domain.bots.rules import LinkStatus
from schema.context import Info
from schema.errors import ConflictError, NotFoundError, ValidationError
from schema.jobs import Task
from schema.relay import global_id, int_nodes
from schema.scalars import BigInt

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.bots.model import ChannelDailyStats as StatsModel
    from domain.bots.model import ChannelLink as LinkModel
    from domain.bots.model import ChannelPost as PostModel
    from domain.bots.service import BotView

ChannelLinkStatus = strawberry.enum(
    LinkStatus,
    name="ChannelLinkStatus",
    description=(
        "NEW until the bot is an admin allowed to post, then ACTIVE; INVALID (see reason) "
        "when it cannot be used; INACTIVE once an admin deactivated it."
    ),
)


@strawberry.enum(description="What happened to a linked channel.")
class BotChannelEventKind(enum.Enum):
    LINK_STATUS = "link_status"
    POST_PUBLISHED = "post_published"
    STATS_COLLECTED = "stats_collected"


@strawberry.type(description="A Telegram bot tghub posts through. Its token is shown masked.")
class Bot(relay.Node):
    id: relay.NodeID[str]
    alias: str
    description: str
    name: str
    telegram_id: BigInt = strawberry.field(description="The bot's Telegram user id.")
    username: str
    is_active: bool = strawberry.field(description="Only active bots take new links and post.")
    masked_token: str = strawberry.field(
        description="The token masked, <bot id>:****<last 4>: enough to tell tokens apart."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: BotView) -> Bot:
        return cls(
            id=str(view.id),
            alias=view.alias,
            description=view.description,
            name=view.name,
            telegram_id=BigInt(view.telegram_id),
            username=view.username,
            is_active=view.is_active,
            masked_token=view.token,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Bot | None]:
        return await int_nodes(info, info.context.loaders.bots, node_ids, cls.from_view)


@strawberry.type(description="A channel served by a bot: tghub posts into it through the bot.")
class ChannelLink(relay.Node):
    id: relay.NodeID[str]
    channel_telegram_id: BigInt | None = strawberry.field(
        description="The channel's Telegram id; null until the bot has resolved the channel."
    )
    channel_ref: str = strawberry.field(
        description="What linkChannel was given: a t.me link, an invite link or an id."
    )
    title: str
    username: str | None = strawberry.field(description="The channel's; null for a private one.")
    status: ChannelLinkStatus  # type: ignore[valid-type]
    reason: str | None = strawberry.field(
        description="Why the link is INVALID, or why a NEW one cannot post yet; null otherwise."
    )
    last_checked_at: datetime | None = strawberry.field(
        description="When the hourly check last asked Telegram for the bot's rights."
    )
    bot_id: strawberry.ID = strawberry.field(description="The global ID of its Bot.")
    created_at: datetime
    updated_at: datetime
    bot_key: strawberry.Private[int]

    @strawberry.field(description="The bot serving the channel.")
    async def bot(self, info: Info) -> Bot | None:
        [found] = await Bot.resolve_nodes(info=info, node_ids=[str(self.bot_key)])
        return found

    @classmethod
    def from_model(cls, link: LinkModel) -> ChannelLink:
        return cls(
            id=str(link.id),
            channel_telegram_id=None if link.channel_id is None else BigInt(link.channel_id),
            channel_ref=link.channel_ref,
            title=link.title,
            username=link.username,
            status=link.status,
            reason=link.reason,
            last_checked_at=link.last_checked_at,
            bot_id=global_id("Bot", link.bot_id),
            created_at=link.created_at,
            updated_at=link.updated_at,
            bot_key=link.bot_id,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ChannelLink | None]:
        return await int_nodes(info, info.context.loaders.channel_links, node_ids, cls.from_model)


@strawberry.type(description="A post of a linked channel: published by tghub or found later.")
class ChannelPost(relay.Node):
    id: relay.NodeID[str]
    channel_telegram_id: BigInt
    channel_link_id: strawberry.ID | None = strawberry.field(
        description="The global ID of the ChannelLink it was published or found through."
    )
    message_id: BigInt = strawberry.field(description="Telegram's id of the message.")
    text: str = strawberry.field(description="The text as Telegram keeps it (markup parsed).")
    views: BigInt = strawberry.field(description="As last read (the daily stats refresh them).")
    date: datetime

    @classmethod
    def from_model(cls, post: PostModel) -> ChannelPost:
        link = post.link_id
        return cls(
            id=str(post.id),
            channel_telegram_id=BigInt(post.channel_id),
            channel_link_id=None if link is None else global_id("ChannelLink", link),
            message_id=BigInt(post.message_id),
            text=post.text,
            views=BigInt(post.views),
            date=post.date,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ChannelPost | None]:
        return await int_nodes(info, info.context.loaders.channel_posts, node_ids, cls.from_model)


@strawberry.type(description="A channel's posts of one UTC date and their views.")
class ChannelDailyStats(relay.Node):
    id: relay.NodeID[str]
    channel_telegram_id: BigInt
    channel_link_id: strawberry.ID | None = strawberry.field(
        description="The global ID of the ChannelLink counted through."
    )
    date: dt.date
    posts: int
    views: BigInt
    collected_at: datetime

    @classmethod
    def from_model(cls, stats: StatsModel) -> ChannelDailyStats:
        link = stats.link_id
        return cls(
            id=str(stats.id),
            channel_telegram_id=BigInt(stats.channel_id),
            channel_link_id=None if link is None else global_id("ChannelLink", link),
            date=stats.day,
            posts=stats.posts,
            views=BigInt(stats.views),
            collected_at=stats.collected_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ChannelDailyStats | None]:
        return await int_nodes(
            info, info.context.loaders.channel_daily_stats, node_ids, cls.from_model
        )


@strawberry.type(description="Something happened to a linked channel.")
class BotChannelEvent:
    kind: BotChannelEventKind
    channel_link_id: strawberry.ID = strawberry.field(
        description="The global ID of the ChannelLink."
    )
    channel_telegram_id: BigInt | None = strawberry.field(
        description="Null for a link whose channel was never resolved."
    )
    status: ChannelLinkStatus = strawberry.field(  # type: ignore[valid-type]
        description="The link's status (LINK_STATUS: its new one)."
    )
    reason: str | None = strawberry.field(description="LINK_STATUS: why, for INVALID and NEW.")
    message_id: BigInt | None = strawberry.field(
        description="POST_PUBLISHED: Telegram's id of the post."
    )
    date: dt.date | None = strawberry.field(description="STATS_COLLECTED: the UTC date counted.")


# --- filters --------------------------------------------------------------------------------


@strawberry.input(description="Every filter given must match.")
class BotFilter:
    is_active: bool | None = None


@strawberry.input(description="Every filter given must match.")
class ChannelLinkFilter:
    status: ChannelLinkStatus | None = None  # type: ignore[valid-type]
    bot_id: strawberry.ID | None = strawberry.field(default=None, description="A Bot's ID.")
    channel_telegram_id: BigInt | None = None


@strawberry.input(description="Every filter given must match.")
class ChannelPostFilter:
    channel_telegram_id: BigInt | None = None
    posted_after: datetime | None = strawberry.field(
        default=None, description="Dated at or after this time (no offset: UTC)."
    )
    posted_before: datetime | None = strawberry.field(
        default=None, description="Dated before this time (no offset: UTC)."
    )


@strawberry.input(description="Every filter given must match; both dates inclusive (UTC).")
class ChannelDailyStatsFilter:
    channel_telegram_id: BigInt | None = None
    from_: dt.date | None = strawberry.field(default=None, name="from")
    to: dt.date | None = None


# --- mutations --------------------------------------------------------------------------------


@strawberry.input
class RegisterBotInput:
    token: str = strawberry.field(
        description="What @BotFather gave, <bot id>:<secret>; stored encrypted, never returned."
    )
    alias: str = ""
    description: str = ""
    name: str = strawberry.field(default="", description="Empty: the bot's Telegram name.")


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateBotInput:
    bot_id: strawberry.ID
    alias: str | None = None
    description: str | None = None
    name: str | None = None
    is_active: bool | None = None


@strawberry.input
class DeleteBotInput:
    bot_id: strawberry.ID = strawberry.field(
        description="Refused while it serves a channel (a NEW or ACTIVE link)."
    )


@strawberry.input
class LinkChannelInput:
    channel: str = strawberry.field(
        description="@name, t.me/name, t.me/c/<id>/<post>, an invite link or the channel's id."
    )
    bot_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active Bot; without it the least-loaded active bot."
    )


@strawberry.input
class DeactivateChannelLinkInput:
    channel_link_id: strawberry.ID


@strawberry.input(description="Exactly one of channelLinkId and channelTelegramId.")
class PostToChannelInput:
    channel_link_id: strawberry.ID | None = strawberry.field(
        default=None, description="An ACTIVE ChannelLink."
    )
    channel_telegram_id: BigInt | None = strawberry.field(
        default=None, description="A channel an ACTIVE link serves."
    )
    text: str = strawberry.field(description="Telegram Markdown, 1 to 4096 characters.")


@strawberry.type
class RegisterBotSuccess:
    task: Task = strawberry.field(
        description="The job checking the token with Telegram, then storing the bot; its "
        "result is {id, new}: the bot's integer key (Bot:<id>) and whether it is new."
    )


@strawberry.type
class UpdateBotSuccess:
    bot: Bot


@strawberry.type
class DeleteBotSuccess:
    bot_id: strawberry.ID


@strawberry.type
class LinkChannelSuccess:
    task: Task = strawberry.field(
        description="The job linking the channel; its result names the channel and the bot."
    )


@strawberry.type
class DeactivateChannelLinkSuccess:
    channel_link: ChannelLink


@strawberry.type
class PostToChannelSuccess:
    task: Task = strawberry.field(description="The job posting; its result names the message.")


RegisterBotPayload = Annotated[
    RegisterBotSuccess | ValidationError, strawberry.union("RegisterBotPayload")
]
UpdateBotPayload = Annotated[
    UpdateBotSuccess | ValidationError | NotFoundError, strawberry.union("UpdateBotPayload")
]
# ConflictError: the bot serves a channel (bot_in_use).
DeleteBotPayload = Annotated[
    DeleteBotSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("DeleteBotPayload"),
]
# ConflictError: the bot asked for is not active (bot_inactive).
LinkChannelPayload = Annotated[
    LinkChannelSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("LinkChannelPayload"),
]
DeactivateChannelLinkPayload = Annotated[
    DeactivateChannelLinkSuccess | ValidationError | NotFoundError,
    strawberry.union("DeactivateChannelLinkPayload"),
]
# ConflictError: no ACTIVE link with an active bot serves the channel (no_usable_bot).
PostToChannelPayload = Annotated[
    PostToChannelSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("PostToChannelPayload"),
]
