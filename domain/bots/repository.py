"""SQL of bot management."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from domain import pages
from domain.bots.errors import BotNotFound, LinkNotFound
from domain.bots.model import Bot, ChannelDailyStats, ChannelLink, ChannelPost
from domain.bots.rules import CURRENT, LinkStatus
from domain.types import Page, fits_int

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from domain.types import PageRequest


class ChannelTaken(Exception):
    """Another new or active link serves the channel."""


# -- bots ------------------------------------------------------------------------------------


async def upsert_bot(session: AsyncSession, values: dict[str, object]) -> tuple[int, bool]:
    """The bot with this Telegram id written (inserted or updated); its id and whether it was
    inserted. One statement, so two concurrent registrations of a bot cannot both insert."""
    statement = insert(Bot).values(**values)
    changed = {k: statement.excluded[k] for k in values if k != "telegram_id"}
    upsert: Any = statement.on_conflict_do_update(
        index_elements=[Bot.telegram_id], set_={**changed, "updated_at": func.now()}
    ).returning(Bot.id, literal_column("xmax = 0"))
    row = (await session.execute(upsert)).one()
    return int(row[0]), bool(row[1])


async def get_bot(session: AsyncSession, bot_id: int, *, for_update: bool = False) -> Bot:
    query = select(Bot).where(Bot.id == bot_id)
    if for_update:
        query = query.with_for_update()
    found: Bot | None = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise BotNotFound(bot_id)
    return found


async def list_bots(session: AsyncSession) -> list[Bot]:
    return list((await session.execute(select(Bot).order_by(Bot.id))).scalars())


async def get_bots(session: AsyncSession, ids: list[int]) -> dict[int, Bot]:
    rows = (await session.execute(select(Bot).where(Bot.id.in_(ids)))).scalars()
    return {bot.id: bot for bot in rows}


async def lock_active_bots(session: AsyncSession) -> list[int]:
    """The active bots' ids, their rows locked in id order: link choices queue here."""
    query = select(Bot.id).where(Bot.is_active).order_by(Bot.id).with_for_update()
    return list((await session.execute(query)).scalars())


async def current_loads(session: AsyncSession, bot_ids: list[int]) -> dict[int, int]:
    """New and active links per bot (0 for a bot without any)."""
    query = (
        select(ChannelLink.bot_id, func.count())
        .where(ChannelLink.bot_id.in_(bot_ids), ChannelLink.status.in_(CURRENT))
        .group_by(ChannelLink.bot_id)
    )
    counted = {int(bot_id): int(n) for bot_id, n in (await session.execute(query)).all()}
    return {bot_id: counted.get(bot_id, 0) for bot_id in bot_ids}


async def count_current_links(session: AsyncSession, bot_id: int) -> int:
    return (await current_loads(session, [bot_id]))[bot_id]


# -- links -----------------------------------------------------------------------------------


async def get_link(session: AsyncSession, link_id: int, *, for_update: bool = False) -> ChannelLink:
    query = select(ChannelLink).where(ChannelLink.id == link_id)
    if for_update:
        query = query.with_for_update()
    found: ChannelLink | None = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise LinkNotFound(link_id)
    return found


async def link_of_job(session: AsyncSession, job_id: str) -> ChannelLink | None:
    query = select(ChannelLink).where(ChannelLink.job_id == job_id)
    found: ChannelLink | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def add_link(session: AsyncSession, link: ChannelLink) -> None:
    session.add(link)
    await session.flush()


async def save_resolved(session: AsyncSession, link: ChannelLink) -> None:
    """Raises ChannelTaken when another new or active link serves the channel (also under a
    race: the partial unique index decides)."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise ChannelTaken from exc


async def links(
    session: AsyncSession,
    *,
    channel_id: int | None = None,
    statuses: tuple[LinkStatus, ...] | None = None,
) -> list[ChannelLink]:
    query = select(ChannelLink).order_by(ChannelLink.id)
    if channel_id is not None:
        query = query.where(ChannelLink.channel_id == channel_id)
    if statuses is not None:
        query = query.where(ChannelLink.status.in_(statuses))
    return list((await session.execute(query)).scalars())


async def current_link(
    session: AsyncSession, channel_id: int, *, statuses: tuple[LinkStatus, ...] = CURRENT
) -> ChannelLink | None:
    found = await links(session, channel_id=channel_id, statuses=statuses)
    return found[0] if found else None


# -- posts and stats -------------------------------------------------------------------------


async def post_of_job(session: AsyncSession, job_id: str) -> ChannelPost | None:
    query = select(ChannelPost).where(ChannelPost.job_id == job_id)
    found: ChannelPost | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def record_posts(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    """Posts by (channel, message id): a known one gets its views, text and date updated."""
    if not rows:
        return
    statement = insert(ChannelPost).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[ChannelPost.channel_id, ChannelPost.message_id],
        set_={
            "views": statement.excluded.views,
            "text": statement.excluded.text,
            "date": statement.excluded.date,
        },
    )
    await session.execute(statement)


async def set_views(session: AsyncSession, channel_id: int, views: dict[int, int]) -> None:
    """The views Telegram counts now, of these posts of the channel (by message id)."""
    for message_id, count in views.items():
        await session.execute(
            update(ChannelPost)
            .where(ChannelPost.channel_id == channel_id, ChannelPost.message_id == message_id)
            .values(views=count)
        )


async def last_message_id(session: AsyncSession, channel_id: int) -> int:
    query = select(func.max(ChannelPost.message_id)).where(ChannelPost.channel_id == channel_id)
    return int(await session.scalar(query) or 0)


async def posts_between(
    session: AsyncSession, channel_id: int, start: datetime, end: datetime
) -> list[ChannelPost]:
    query = (
        select(ChannelPost)
        .where(
            ChannelPost.channel_id == channel_id,
            ChannelPost.date >= start,
            ChannelPost.date < end,
        )
        .order_by(ChannelPost.message_id)
    )
    return list((await session.execute(query)).scalars())


async def posts_of(session: AsyncSession, channel_id: int) -> list[ChannelPost]:
    query = (
        select(ChannelPost)
        .where(ChannelPost.channel_id == channel_id)
        .order_by(ChannelPost.message_id)
    )
    return list((await session.execute(query)).scalars())


async def upsert_daily_stats(session: AsyncSession, values: dict[str, object]) -> None:
    statement = insert(ChannelDailyStats).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[ChannelDailyStats.channel_id, ChannelDailyStats.day],
        set_={
            name: statement.excluded[name] for name in ("link_id", "posts", "views", "collected_at")
        },
    )
    await session.execute(statement)


async def daily_stats(
    session: AsyncSession, *, channel_id: int | None = None, day: date | None = None
) -> list[ChannelDailyStats]:
    query = select(ChannelDailyStats).order_by(ChannelDailyStats.day, ChannelDailyStats.channel_id)
    if channel_id is not None:
        query = query.where(ChannelDailyStats.channel_id == channel_id)
    if day is not None:
        query = query.where(ChannelDailyStats.day == day)
    return list((await session.execute(query)).scalars())


# -- pages and lookups of the GraphQL API (bots-graphql) -------------------------------------

PageRow = TypeVar("PageRow", Bot, ChannelLink, ChannelPost, ChannelDailyStats)


async def id_page(
    session: AsyncSession, model: type[PageRow], query: Select[PageRow], page: PageRequest
) -> Page[PageRow]:
    """Up to ``page.first`` rows of ``query`` by id after the cursor (an id), with the count
    of all that match."""
    return await pages.id_page(session, query, model.id, page)


def bot_query(*, is_active: bool | None = None) -> Select[Bot]:
    query = select(Bot)
    if is_active is not None:
        query = query.where(Bot.is_active.is_(is_active))
    return query


def link_query(
    *,
    status: LinkStatus | None = None,
    bot_id: int | None = None,
    channel_id: int | None = None,
) -> Select[ChannelLink]:
    query = select(ChannelLink)
    if status is not None:
        query = query.where(ChannelLink.status == status)
    if bot_id is not None:
        query = query.where(ChannelLink.bot_id == bot_id)
    if channel_id is not None:
        query = query.where(ChannelLink.channel_id == channel_id)
    return query


def post_query(
    *,
    channel_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[ChannelPost]:
    """Posts of the channel dated within [since, until)."""
    query = select(ChannelPost)
    if channel_id is not None:
        query = query.where(ChannelPost.channel_id == channel_id)
    if since is not None:
        query = query.where(ChannelPost.date >= since)
    if until is not None:
        query = query.where(ChannelPost.date < until)
    return query


def daily_stats_query(
    *,
    channel_id: int | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Select[ChannelDailyStats]:
    """Daily rows of the channel for the days within [first_day, last_day]."""
    query = select(ChannelDailyStats)
    if channel_id is not None:
        query = query.where(ChannelDailyStats.channel_id == channel_id)
    if first_day is not None:
        query = query.where(ChannelDailyStats.day >= first_day)
    if last_day is not None:
        query = query.where(ChannelDailyStats.day <= last_day)
    return query


async def rows_by_ids(
    session: AsyncSession, model: type[PageRow], ids: Iterable[int]
) -> dict[int, PageRow]:
    """The rows of these ids; ids past the column's range name nothing."""
    wanted = sorted({i for i in ids if fits_int(i)})
    if not wanted:
        return {}
    query = select(model).where(model.id.in_(wanted))
    return {row.id: row for row in (await session.execute(query)).scalars()}
