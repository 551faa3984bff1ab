"""Use cases of bot management (legacy 002): bots, their links to channels, posting, the
hourly rights check and the daily stats.

The API side checks and records intent and queues a job; the job side talks to Telegram
through the gateway, holding no database connection while Telegram answers. Bot tokens are
secrets: stored encrypted, carried encrypted in job arguments, shown only masked.

Lock order: bots (active ones, by id), then links (by id).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from domain.access import admits, require_admin, require_admitted
from domain.bots import repository, rules
from domain.bots.errors import (
    BotInactive,
    BotInUse,
    ChannelAlreadyLinked,
    ChannelUnresolvable,
    LinkNotFound,
    NoActiveBot,
    NoUsableBot,
)
from domain.bots.events import BotChannelEvent
from domain.bots.model import Bot, ChannelDailyStats, ChannelLink, ChannelPost, LinkStatus
from domain.errors import ExternalUnavailable, Invalid, NotFound, RateLimited
from domain.jobs import service as jobs
from domain.telegram import service as telegram
from domain.text import text_errors
from domain.types import Page, TelegramID

if TYPE_CHECKING:
    from collections.abc import Coroutine, Iterable, Sequence
    from datetime import date, datetime

    from domain.access import Actor
    from domain.jobs.model import Job
    from domain.ports import Clock, SecretBox, TelegramGateway
    from domain.settings import LegacyGroup
    from domain.types import PageRequest
    from domain.uow import SqlAlchemyUnitOfWork

__all__ = [
    "Bot",
    "BotInUse",
    "BotInactive",
    "ChannelAlreadyLinked",
    "ChannelLink",
    "ChannelUnresolvable",
    "LinkStatus",
    "NoActiveBot",
    "NoUsableBot",
]

REGISTER_BOT = "bots.register_bot"
LINK_CHANNEL = "bots.link_channel"
POST_MESSAGE = "bots.post_message"
T = TypeVar("T")

CHECK_LINKS = "bots.check_links"
COLLECT_STATS = "bots.collect_stats"

# The legacy group whose routes these use cases serve (TGHUB_LEGACY_OPEN).
GROUP: LegacyGroup = "bots"


def require_access(actor: Actor) -> None:
    """Admins, tghub itself, and guests of the opened ``bots`` group."""
    require_admitted(actor, GROUP)


def _storable(**fields: str | None) -> dict[str, list[str]]:
    return {
        name: errors
        for name, value in fields.items()
        if value is not None and (errors := text_errors(value))
    }


def _credentials(box: SecretBox, bot: Bot) -> telegram.BotCredentials:
    return telegram.BotCredentials(token=box.decrypt(bot.token_enc))


# -- bots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BotView:
    """A bot as it is shown: its token masked (``rules.mask_token``), never whole."""

    id: int
    alias: str
    description: str
    name: str
    token: str
    telegram_id: int
    username: str
    is_active: bool
    created_at: datetime
    updated_at: datetime


def _view(box: SecretBox, bot: Bot) -> BotView:
    return BotView(
        id=bot.id,
        alias=bot.alias,
        description=bot.description,
        name=bot.name,
        token=rules.mask_token(box.decrypt(bot.token_enc)),
        telegram_id=bot.telegram_id,
        username=bot.username,
        is_active=bot.is_active,
        created_at=bot.created_at,
        updated_at=bot.updated_at,
    )


async def request_bot(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    token: str,
    alias: str = "",
    description: str = "",
    name: str = "",
) -> Job:
    """Queues the job that checks the token with Telegram and then stores the bot (or
    updates the one Telegram knows by that id); the legacy handler waits for it. The token
    travels encrypted in the job's arguments. Commits."""
    require_access(actor)
    Invalid.check(
        rules.bot_errors(alias=alias, name=name, token=token)
        | _storable(alias=alias, description=description, name=name)
    )
    args = {
        "token_enc": box.encrypt(token.strip()),
        "alias": alias,
        "description": description,
        "name": name,
    }
    job = await jobs.create_job(uow, kind=REGISTER_BOT, args=args, owner_id=actor.user_id)
    await uow.commit()
    return job


async def update_bot(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    bot_id: int,
    alias: str | None = None,
    description: str | None = None,
    name: str | None = None,
    is_active: bool | None = None,
) -> BotView:
    """Changes the fields given (None: unchanged). A new token goes through ``request_bot``
    (Telegram checks it first). Commits."""
    require_access(actor)
    Invalid.check(
        rules.bot_errors(alias=alias, name=name)
        | _storable(alias=alias, description=description, name=name)
    )
    bot = await repository.get_bot(uow.session, bot_id, for_update=True)
    if alias is not None:
        bot.alias = alias
    if description is not None:
        bot.description = description
    if name is not None:
        bot.name = name
    if is_active is not None:
        bot.is_active = is_active
    await uow.flush()
    await uow.commit()
    return _view(box, bot)


async def get_bot(
    uow: SqlAlchemyUnitOfWork, box: SecretBox, *, actor: Actor, bot_id: int
) -> BotView:
    require_access(actor)
    return _view(box, await repository.get_bot(uow.session, bot_id))


async def list_bots(uow: SqlAlchemyUnitOfWork, box: SecretBox, *, actor: Actor) -> list[BotView]:
    """Every bot, by id, tokens masked."""
    require_access(actor)
    return [_view(box, bot) for bot in await repository.list_bots(uow.session)]


async def delete_bot(uow: SqlAlchemyUnitOfWork, *, actor: Actor, bot_id: int) -> None:
    """Refused (BotInUse) while the bot serves a channel (a new or active link); its other
    links go with it, posts and stats stay. Commits."""
    require_access(actor)
    session = uow.session
    await repository.lock_active_bots(session)
    bot = await repository.get_bot(session, bot_id, for_update=True)
    if await repository.count_current_links(session, bot_id):
        raise BotInUse
    await session.delete(bot)
    await uow.commit()


async def rotate_secrets(uow: SqlAlchemyUnitOfWork, box: SecretBox, *, actor: Actor) -> int:
    """Re-encrypts every bot token under the current key; returns how many. Does not commit
    (the caller commits it with the other aggregates' secrets)."""
    require_admin(actor)
    bots = await repository.list_bots(uow.session)
    for bot in bots:
        bot.token_enc = box.rotate(bot.token_enc)
    return len(bots)


# -- channel links ---------------------------------------------------------------------------


async def request_link(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, channel: str, bot_id: int | None = None
) -> Job:
    """Queues the job that links the channel (a t.me link, invite link or numeric id) to
    the bot given, or to the least-loaded active bot. Commits."""
    require_access(actor)
    reference = channel.strip()
    if not reference or len(reference) > 255:
        raise Invalid.single("channel", "A t.me link, an invite link or a numeric channel id.")
    Invalid.check(_storable(channel=reference))
    if bot_id is not None:
        bot = await repository.get_bot(uow.session, bot_id)
        if not bot.is_active:
            raise BotInactive
    args = {"channel": reference, "bot_id": bot_id}
    job = await jobs.create_job(uow, kind=LINK_CHANNEL, args=args, owner_id=actor.user_id)
    await uow.commit()
    return job


async def deactivate_link(uow: SqlAlchemyUnitOfWork, *, actor: Actor, link_id: int) -> ChannelLink:
    """The link stops serving its channel (``inactive``); the channel may be linked again.
    Commits."""
    require_access(actor)
    link = await repository.get_link(uow.session, link_id, for_update=True)
    _set_status(uow, link, LinkStatus.INACTIVE, None)
    await uow.flush()
    await uow.commit()
    return link


async def get_channel(uow: SqlAlchemyUnitOfWork, *, actor: Actor, channel_id: int) -> ChannelLink:
    """The link serving this Telegram channel (new or active), else its latest link."""
    require_access(actor)
    found = await repository.links(uow.session, channel_id=channel_id)
    if not found:
        raise LinkNotFound(channel_id)
    current = [link for link in found if link.status in rules.CURRENT]
    return current[0] if current else found[-1]


async def list_links(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> list[ChannelLink]:
    """Every link, by id."""
    require_access(actor)
    return await repository.links(uow.session)


# -- posting and stats, the API side ---------------------------------------------------------


async def queue_post(uow: SqlAlchemyUnitOfWork, *, actor: Actor, channel_id: int, text: str) -> Job:
    """Queues the job posting ``text`` (markdown) into the channel through its link's bot;
    an empty or too long text, or a channel no active link serves, fails the job with a
    readable error. Commits."""
    require_access(actor)
    Invalid.check(_storable(message=text))
    args = {"channel_id": channel_id, "text": text}
    job = await jobs.create_job(uow, kind=POST_MESSAGE, args=args, owner_id=actor.user_id)
    await uow.commit()
    return job


async def queue_check(uow: SqlAlchemyUnitOfWork, *, actor: Actor) -> Job:
    """Queues the rights check of every new and active link (the hourly job). Commits."""
    require_admin(actor)
    job = await jobs.create_job(uow, kind=CHECK_LINKS, args={}, owner_id=actor.user_id)
    await uow.commit()
    return job


async def queue_stats(uow: SqlAlchemyUnitOfWork, *, actor: Actor, day: date | None = None) -> Job:
    """Queues the daily stats of ``day`` (default: the day before the job runs). Commits."""
    require_admin(actor)
    args = {} if day is None else {"day": day.isoformat()}
    job = await jobs.create_job(uow, kind=COLLECT_STATS, args=args, owner_id=actor.user_id)
    await uow.commit()
    return job


async def channel_posts(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, channel_id: int
) -> list[ChannelPost]:
    require_access(actor)
    return await repository.posts_of(uow.session, channel_id)


async def daily_stats(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    channel_id: int | None = None,
    day: date | None = None,
) -> list[ChannelDailyStats]:
    require_access(actor)
    return await repository.daily_stats(uow.session, channel_id=channel_id, day=day)


# -- job side --------------------------------------------------------------------------------


def _set_status(
    uow: SqlAlchemyUnitOfWork, link: ChannelLink, status: LinkStatus, reason: str | None
) -> None:
    changed = link.status is not status
    link.status, link.reason = status, reason
    if changed:
        uow.emit(
            BotChannelEvent(
                what="link_status",
                link_id=link.id,
                channel_id=link.channel_id,
                status=status.value,
                reason=reason,
            )
        )


async def register_bot(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    *,
    actor: Actor,
    token_enc: str,
    alias: str,
    description: str,
    name: str,
) -> dict[str, Any]:
    """Telegram checks the token (``InvalidBotToken`` when it refuses it), then the bot is
    stored, or updated when tghub knows its Telegram id already (``new`` false). The job.
    Commits."""
    require_admin(actor)
    token = box.decrypt(token_enc)
    info = await gateway.verify_bot(telegram.BotCredentials(token=token))
    values: dict[str, object] = {
        "telegram_id": int(info.id),
        "username": info.username,
        "token_enc": box.encrypt(token),
        "token_digest": rules.token_digest(token),
        "alias": alias,
        "description": description,
        "name": name or info.first_name,
    }
    bot_id, inserted = await repository.upsert_bot(uow.session, values)
    await uow.commit()
    return {"id": bot_id, "new": inserted}


async def link_channel(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    *,
    actor: Actor,
    job_id: str,
    channel: str,
    bot_id: int | None,
) -> dict[str, Any]:
    """Links the channel (the job): a bot is chosen and the link reserved ``new`` under the
    active bots' row locks (so concurrent links spread evenly), then the chosen bot resolves
    the channel. Unresolvable: the link is ``invalid`` with Telegram's reason and
    ChannelUnresolvable fails the job; linked already: ``invalid`` and ChannelAlreadyLinked.
    A re-run continues the link its first run reserved. Commits."""
    require_admin(actor)
    session = uow.session
    link = await repository.link_of_job(session, job_id)
    if link is None:
        link = await _reserve(uow, job_id=job_id, channel=channel, bot_id=bot_id)
    elif link.channel_id is not None or link.status is not LinkStatus.NEW:
        return await _finished_link(uow, link, job_id)
    link_id = link.id
    bot = await repository.get_bot(session, link.bot_id)
    creds, username = _credentials(box, bot), bot.username
    await uow.release()
    try:
        info = await _resolve(uow, gateway, box, actor, creds, channel)
    except (NotFound, Invalid, telegram.TelegramError) as exc:
        link = await repository.get_link(session, link_id, for_update=True)
        _set_status(uow, link, LinkStatus.INVALID, exc.message)
        await uow.commit()
        raise ChannelUnresolvable from None
    link = await repository.get_link(session, link_id, for_update=True)
    _resolved(link, info)
    try:
        await repository.save_resolved(session, link)
    except repository.ChannelTaken:
        await uow.rollback()
        link = await repository.get_link(session, link_id, for_update=True)
        _resolved(link, info)
        _set_status(uow, link, LinkStatus.INVALID, ChannelAlreadyLinked.default_message)
        await uow.commit()
        raise ChannelAlreadyLinked from None
    await uow.commit()
    return _link_answer(info.id, username, job_id)


async def _resolve(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    actor: Actor,
    bot: telegram.BotCredentials,
    channel: str,
) -> telegram.ChannelInfo:
    """The channel a reference names: asked by the bot, or, for a private invite link (which
    bots cannot open), by the signed-in Telegram accounts that are in the channel."""
    if telegram.is_invite_link(channel):
        return await telegram.open_invite_link(uow, gateway, box, actor=actor, ref=channel)
    return await gateway.resolve_channel(bot, channel)


def _resolved(link: ChannelLink, info: telegram.ChannelInfo) -> None:
    link.channel_id, link.title, link.username = int(info.id), info.title, info.username


def _link_answer(channel_id: int, username: str, job_id: str) -> dict[str, Any]:
    return {
        "channel_id": channel_id,
        "bot_link": f"@{username}",
        "message": rules.LINK_ADDED,
        "task_id": job_id,
    }


async def _reserve(
    uow: SqlAlchemyUnitOfWork, *, job_id: str, channel: str, bot_id: int | None
) -> ChannelLink:
    """The link, ``new`` and not yet resolved, on the bot given or the least-loaded active
    one. The active bots' rows are locked first, so concurrent reservations queue and each
    counts the links the previous ones committed. Commits."""
    session = uow.session
    active = await repository.lock_active_bots(session)
    if bot_id is not None:
        if bot_id not in active:
            await repository.get_bot(session, bot_id)  # BotNotFound when it does not exist
            raise BotInactive
        chosen = bot_id
    else:
        choice = rules.choose_bot(await repository.current_loads(session, active))
        if choice is None:
            raise NoActiveBot
        chosen = choice
    link = ChannelLink(channel_ref=channel, bot_id=chosen, job_id=job_id)
    link.status = LinkStatus.NEW
    await repository.add_link(session, link)
    await uow.commit()
    return link


async def _finished_link(
    uow: SqlAlchemyUnitOfWork, link: ChannelLink, job_id: str
) -> dict[str, Any]:
    """A re-run of a link job whose outcome was committed: the same answer, or error."""
    if link.status is LinkStatus.INVALID:
        if link.reason == ChannelAlreadyLinked.default_message:
            raise ChannelAlreadyLinked
        raise ChannelUnresolvable
    bot = await repository.get_bot(uow.session, link.bot_id)
    return _link_answer(link.channel_id or 0, bot.username, job_id)


async def publish_post(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    *,
    actor: Actor,
    job_id: str,
    channel_id: int,
    text: str,
) -> dict[str, Any]:
    """Posts ``text`` (markdown) into the channel through the bot of its active link, and
    records the post (the job). A re-run of a job whose post was recorded posts nothing.
    Flood waits raise RateLimited (the job retries after them). Commits."""
    require_admin(actor)
    errors = rules.post_errors(text)
    if errors:
        raise Invalid({"message": errors})
    session = uow.session
    done = await repository.post_of_job(session, job_id)
    if done is not None:
        return _post_answer(done.channel_id, done.message_id, done.date)
    link = await repository.current_link(session, channel_id, statuses=(LinkStatus.ACTIVE,))
    if link is None:
        raise NoUsableBot
    bot = await repository.get_bot(session, link.bot_id)
    if not bot.is_active:
        raise NoUsableBot("The bot of this channel's link is not active.")
    creds, link_id = _credentials(box, bot), link.id
    await uow.release()
    posted = await gateway.post_markdown(creds, TelegramID(channel_id), text)
    row = {
        "channel_id": channel_id,
        "link_id": link_id,
        "message_id": posted.message_id,
        "text": posted.text,
        "views": posted.views,
        "date": posted.date,
        "job_id": job_id,
    }
    await repository.record_posts(session, [row])
    uow.emit(
        BotChannelEvent(
            what="post_published",
            link_id=link_id,
            channel_id=channel_id,
            status=LinkStatus.ACTIVE.value,
            message_id=posted.message_id,
        )
    )
    await uow.commit()
    return _post_answer(channel_id, posted.message_id, posted.date)


def _post_answer(channel_id: int, message_id: int, date: datetime) -> dict[str, Any]:
    return {"channel_id": channel_id, "message_id": message_id, "date": date.isoformat()}


@dataclass(frozen=True)
class _Checked:
    link_id: int
    was: LinkStatus
    can_post: bool | None  # None: Telegram did not answer; the link is left as it is
    problem: str | None = None


async def check_links(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    clock: Clock,
    *,
    actor: Actor,
    per_bot: int,
) -> dict[str, int]:
    """The hourly check (the job): every active link whose bot can no longer post becomes
    ``invalid`` with the reason; every new link whose bot can becomes ``active``, one that
    cannot keeps the reason and the time of the check. At most ``per_bot`` checks at a time
    per bot; no database connection is held while Telegram answers. A link changed while it
    was checked (deactivated) keeps the change. Commits."""
    require_admin(actor)
    session = uow.session
    targets = [
        link
        for link in await repository.links(session, statuses=rules.CURRENT)
        if link.channel_id is not None
    ]
    bots = await repository.get_bots(session, sorted({link.bot_id for link in targets}))
    creds = {bot_id: _credentials(box, bot) for bot_id, bot in bots.items()}
    plan = [
        (link.id, link.bot_id, TelegramID(link.channel_id or 0), link.status) for link in targets
    ]
    await uow.release()
    limits = {bot_id: asyncio.Semaphore(max(per_bot, 1)) for bot_id in creds}

    async def check(link_id: int, bot_id: int, channel_id: TelegramID, was: LinkStatus) -> _Checked:
        async with limits[bot_id]:
            try:
                rights = await gateway.bot_rights(creds[bot_id], channel_id)
            except (RateLimited, ExternalUnavailable):
                return _Checked(link_id, was, None)
            except (NotFound, Invalid, telegram.TelegramError) as exc:
                return _Checked(link_id, was, False, exc.message)
        return _Checked(link_id, was, rights.is_admin and rights.post_messages)

    results = await _all(check(*entry) for entry in plan)
    return await _apply_checks(uow, clock, results)


async def _all(calls: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Every call's result, in order. The first that fails cancels the others and is raised
    as itself: a failed job leaves nothing calling Telegram (a retry beside leftovers would
    multiply the per-bot limit)."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def _apply_checks(
    uow: SqlAlchemyUnitOfWork, clock: Clock, results: list[_Checked]
) -> dict[str, int]:
    now, counts = clock.now(), {"checked": 0, "activated": 0, "invalidated": 0, "skipped": 0}
    for result in sorted(results, key=lambda r: r.link_id):
        link = await repository.get_link(uow.session, result.link_id, for_update=True)
        if result.can_post is None or link.status is not result.was:
            counts["skipped"] += 1
            continue
        outcome = rules.checked(link.status, can_post=result.can_post, problem=result.problem)
        if outcome.status is not link.status:
            key = "activated" if outcome.status is LinkStatus.ACTIVE else "invalidated"
            counts[key] += 1
        _set_status(uow, link, outcome.status, outcome.reason)
        link.last_checked_at = now
        counts["checked"] += 1
    await uow.commit()
    return counts


# -- daily stats -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    link_id: int
    channel_id: TelegramID
    bot_id: int
    scanned_to: int
    known_of_day: tuple[int, ...]  # message ids tghub knows from the day, to refresh views


@dataclass
class _Read:
    scan: _Scan
    found: list[telegram.PostedMessage]
    views: dict[int, int]
    problem: str | None = None


async def collect_stats(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    clock: Clock,
    *,
    actor: Actor,
    day: date,
    per_bot: int,
) -> dict[str, Any]:
    """The daily stats of ``day`` (UTC) for every active link (the job): posts made outside
    tghub are found by reading message ids forward from where the last run stopped, 100 a
    call, until a batch holds none; the views of the day's known posts are read again; then
    each channel's posts of the day and their views are written (one row per channel and
    day, replaced by a re-run). A channel Telegram refuses (the bot was removed) is skipped
    and named in the result; a flood wait or an outage fails the run, which is retried
    whole. Commits."""
    require_admin(actor)
    start, end = rules.day_bounds(day)
    session = uow.session
    scans: list[_Scan] = []
    for link in await repository.links(session, statuses=(LinkStatus.ACTIVE,)):
        if link.channel_id is None:
            continue
        known = await repository.posts_between(session, link.channel_id, start, end)
        scans.append(
            _Scan(
                link.id,
                TelegramID(link.channel_id),
                link.bot_id,
                link.scanned_to,
                tuple(p.message_id for p in known),
            )
        )
    bots = await repository.get_bots(session, sorted({scan.bot_id for scan in scans}))
    creds = {bot_id: _credentials(box, bot) for bot_id, bot in bots.items()}
    await uow.release()
    limits = {bot_id: asyncio.Semaphore(max(per_bot, 1)) for bot_id in creds}

    async def read(scan: _Scan) -> _Read:
        bot = creds[scan.bot_id]
        async with limits[scan.bot_id]:
            try:
                found: list[telegram.PostedMessage] = []
                for ids in rules.id_batches(scan.scanned_to):
                    batch = await gateway.channel_messages(bot, scan.channel_id, ids)
                    if not batch:
                        break
                    found.extend(batch)
                views = {}
                if scan.known_of_day:
                    views = await gateway.message_views(bot, scan.channel_id, scan.known_of_day)
            except (NotFound, Invalid, telegram.TelegramError) as exc:
                return _Read(scan, [], {}, exc.message)
        return _Read(scan, found, views)

    reads = await _all(read(scan) for scan in scans)
    return await _write_stats(uow, clock, day, reads)


async def _write_stats(
    uow: SqlAlchemyUnitOfWork, clock: Clock, day: date, reads: Sequence[_Read]
) -> dict[str, Any]:
    session, now = uow.session, clock.now()
    start, end = rules.day_bounds(day)
    skipped: dict[str, str] = {}
    collected = 0
    for outcome in reads:
        scan = outcome.scan
        if outcome.problem is not None:
            skipped[str(scan.channel_id)] = outcome.problem
            continue
        rows = [_post_row(scan, message) for message in outcome.found]
        await repository.record_posts(session, rows)
        await repository.set_views(session, scan.channel_id, outcome.views)
        link = await repository.get_link(session, scan.link_id, for_update=True)
        if outcome.found:
            link.scanned_to = max(link.scanned_to, max(m.message_id for m in outcome.found))
        posts = await repository.posts_between(session, scan.channel_id, start, end)
        await repository.upsert_daily_stats(
            session,
            {
                "channel_id": int(scan.channel_id),
                "link_id": scan.link_id,
                "day": day,
                "posts": len(posts),
                "views": sum(post.views for post in posts),
                "collected_at": now,
            },
        )
        uow.emit(
            BotChannelEvent(
                what="stats_collected",
                link_id=scan.link_id,
                channel_id=int(scan.channel_id),
                status=link.status.value,
                day=day.isoformat(),
            )
        )
        collected += 1
    await uow.commit()
    return {"day": day.isoformat(), "channels": collected, "skipped": skipped}


def _post_row(scan: _Scan, message: telegram.PostedMessage) -> dict[str, object]:
    return {
        "channel_id": int(scan.channel_id),
        "link_id": scan.link_id,
        "message_id": message.message_id,
        "text": message.text,
        "views": message.views,
        "date": message.date,
    }


# -- pages, lookups and checked requests of the GraphQL API (bots-graphql) -------------------


def may_access(actor: Actor) -> bool:
    """Whether ``require_access`` lets ``actor`` in (lookups answer nothing otherwise)."""
    return admits(actor, GROUP)


def id_cursor(row: BotView | ChannelLink | ChannelPost | ChannelDailyStats) -> tuple[str]:
    """The keyset position of a row in its page: pages are ordered by id."""
    return (str(row.id),)


async def bot_page(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    page: PageRequest,
    *,
    actor: Actor,
    is_active: bool | None = None,
) -> Page[BotView]:
    """Bots matching the filter, by id, tokens masked."""
    require_access(actor)
    query = repository.bot_query(is_active=is_active)
    found = await repository.id_page(uow.session, Bot, query, page)
    items = [_view(box, bot) for bot in found.items]
    return Page(items=items, has_next=found.has_next, total=found.total)


async def link_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    status: LinkStatus | None = None,
    bot_id: int | None = None,
    channel_id: int | None = None,
) -> Page[ChannelLink]:
    """Links matching every filter given, by id."""
    require_access(actor)
    query = repository.link_query(status=status, bot_id=bot_id, channel_id=channel_id)
    return await repository.id_page(uow.session, ChannelLink, query, page)


async def post_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    channel_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[ChannelPost]:
    """Posts of linked channels dated within [since, until), by id."""
    require_access(actor)
    Invalid.check(_window_errors(since, until, "posted_after", "posted_before"))
    query = repository.post_query(channel_id=channel_id, since=since, until=until)
    return await repository.id_page(uow.session, ChannelPost, query, page)


async def daily_stats_page(
    uow: SqlAlchemyUnitOfWork,
    page: PageRequest,
    *,
    actor: Actor,
    channel_id: int | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Page[ChannelDailyStats]:
    """Daily rows of the days within [first_day, last_day], by id."""
    require_access(actor)
    Invalid.check(_window_errors(first_day, last_day, "from", "to", inclusive=True))
    query = repository.daily_stats_query(
        channel_id=channel_id, first_day=first_day, last_day=last_day
    )
    return await repository.id_page(uow.session, ChannelDailyStats, query, page)


def _window_errors(
    start: date | None, end: date | None, start_name: str, end_name: str, *, inclusive: bool = False
) -> dict[str, list[str]]:
    if start is None or end is None or start < end or (inclusive and start == end):
        return {}
    return {end_name: ["The window ends before it starts."]}


async def visible_bots(
    uow: SqlAlchemyUnitOfWork, box: SecretBox, ids: Sequence[int], *, actor: Actor
) -> dict[int, BotView]:
    """These bots by id, tokens masked; for an actor without access none exist."""
    if not may_access(actor):
        return {}
    found = await repository.rows_by_ids(uow.session, Bot, ids)
    return {bot_id: _view(box, bot) for bot_id, bot in found.items()}


async def visible_links(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, ChannelLink]:
    if not may_access(actor):
        return {}
    return await repository.rows_by_ids(uow.session, ChannelLink, ids)


async def visible_posts(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, ChannelPost]:
    if not may_access(actor):
        return {}
    return await repository.rows_by_ids(uow.session, ChannelPost, ids)


async def visible_daily_stats(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[int], *, actor: Actor
) -> dict[int, ChannelDailyStats]:
    if not may_access(actor):
        return {}
    return await repository.rows_by_ids(uow.session, ChannelDailyStats, ids)


async def get_link(uow: SqlAlchemyUnitOfWork, *, actor: Actor, link_id: int) -> ChannelLink:
    """The link (LinkNotFound when there is none)."""
    require_access(actor)
    return await repository.get_link(uow.session, link_id)


async def queue_checked_post(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    text: str,
    link_id: int | None = None,
    channel_id: int | None = None,
) -> Job:
    """``queue_post`` with what the job would refuse refused now: exactly one of the link
    and the channel (a Telegram id), a text Telegram takes (``text``), a link or channel
    known (LinkNotFound) and served by an active link whose bot is active (NoUsableBot).
    The job checks again when it runs. Commits."""
    require_access(actor)
    if (link_id is None) == (channel_id is None):
        raise Invalid({"non_field_errors": ["Give either the channel link or the channel."]})
    Invalid.check({"text": errors} if (errors := rules.post_errors(text)) else _storable(text=text))
    session = uow.session
    if link_id is not None:
        link = await repository.get_link(session, link_id)
        if link.status is not LinkStatus.ACTIVE or link.channel_id is None:
            raise NoUsableBot("This channel link is not active.")
        channel = link.channel_id
    else:
        channel = int(channel_id or 0)
        if not await repository.links(session, channel_id=channel):
            raise LinkNotFound(channel)
        active = await repository.current_link(session, channel, statuses=(LinkStatus.ACTIVE,))
        if active is None:
            raise NoUsableBot
        link = active
    bot = await repository.get_bot(session, link.bot_id)
    if not bot.is_active:
        raise NoUsableBot("The bot of this channel's link is not active.")
    return await queue_post(uow, actor=actor, channel_id=channel, text=text)
