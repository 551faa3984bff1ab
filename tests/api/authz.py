"""The authorization matrix's machinery (tests/api/test_authorization_matrix.py holds the
tables): the five roles, the scene they meet, GraphQL documents generated from the schema,
the legacy route table, and what one answer says (its outcome).

Scenes are arranged through the legacy REST routes and the domain services, whose shapes do
not change while the GraphQL conventions are refitted; only the cells themselves go through
the interface they judge.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import httpx
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.relay import GlobalID
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from domain.bots import repository as bot_repository
from domain.bots import rules as bot_rules
from domain.bots.model import Bot, ChannelDailyStats, ChannelLink, ChannelPost, LinkStatus
from domain.invites.model import InviteLog, InviteStatus
from domain.jobs import service as jobs
from domain.mailing import repository as mailing_repository
from domain.mailing import service as mailing
from domain.mailing.model import DeliveryStatus
from domain.telegram import service as telegram
from domain.telegram.model import AccountStatus, TelegramAccount
from domain.tracking import service as tracking
from domain.types import PageRequest
from resolvers.loaders import Loaders
from resolvers.rest import legacy_routes
from resolvers.root import GraphQLLimits, build_schema
from schema.context import Context
from tests import canaries
from tests.api.graphql.factories import Tokens
from tests.api.rest.factories import create_admin
from tests.api.rest.messenger_factories import PNG
from tests.conftest import DEADLINE, ORIGIN
from tests.world import API_HASH, SYSTEM, load_world

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine

    from graphql import GraphQLOutputType
    from websockets.asyncio.client import ClientConnection

    from domain.bootstrap import Runtime
    from resolvers.root import Schema
    from tests.conftest import InProcessApp, LiveServer

Role = Literal["anonymous", "user", "other", "member", "admin"]
# anonymous: no token; user: signed in, unrelated to anything of the scene; other: signed in,
# with a chat, a message and a task of their own (something else of the same kind);
# member: the member or owner of what the operation acts on; admin: an admin, in nothing.
ROLES: tuple[Role, ...] = ("anonymous", "user", "other", "member", "admin")
# Who plays ``member``: the scene's owner (the chat's creator, the message's sender, the
# task's requester, the profile's user) or the group's plain member.
Cast = Literal["user", "other", "owner", "member", "admin"]
# Besides, the companion, never a role: the second member of the groups the scene makes for
# someone other than the owner (a group needs a member besides its creator).
Who = Cast | Literal["companion"]

# Outcomes of GraphQL cells: an ``extensions.code``, a payload's error member, or the data.
UNAUTH = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
GONE = "NotFoundError"
DENIED = "PermissionDeniedError"
INVALID = "ValidationError"
OK, NULL, LISTED, UNLISTED = "ok", "null", "listed", "unlisted"

PASSWORD = canaries.PASSWORD
PROTOCOL = "graphql-transport-ws"
# How long a subscription cell waits for an answer before it makes its event again: a
# subscription has no acknowledgement, and an event published before the server listens is
# lost (delivery is at most once), so the trigger repeats until something arrives.
RETRIGGER_AFTER = 0.05


def fresh_name(prefix: str) -> str:
    """A username nobody has (letters then hex digits: both username rules accept it)."""
    return f"{prefix}{secrets.token_hex(5)}"


def fresh_phone() -> str:
    """A phone number nobody has (the tests' world uses +7999…)."""
    return f"+7998{secrets.randbelow(10**7):07d}"


def fresh_mailing_phone() -> str:
    """A mailing client's phone nobody has (7 and ten digits)."""
    return f"79{secrets.randbelow(10**9):09d}"


def fresh_telegram_id() -> int:
    """A Telegram id nobody has (a tracking client's or a tracker's)."""
    return 10**12 + secrets.randbelow(10**15)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@contextlib.asynccontextmanager
async def client_of(app: InProcessApp) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of an in-process app (unexpected errors answer 500, as a server's)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, timeout=DEADLINE) as client:
        yield client


# --- the scene -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A registered user, signed in once (``tokens``); the password is ``PASSWORD``."""

    username: str
    tokens: Tokens

    @property
    def token(self) -> str:
        return self.tokens.access

    @property
    def raw_id(self) -> str:
        return self.tokens.user_id

    @property
    def id(self) -> str:
        return str(GlobalID("User", self.raw_id))


@dataclass(frozen=True)
class Thing:
    """Something of the scene, by its UUID (legacy routes) and its global ID (GraphQL)."""

    type_name: str
    raw: str
    title: str = ""  # a chat's: unique, so a search finds this chat alone

    @property
    def id(self) -> str:
        return str(GlobalID(self.type_name, self.raw))


@dataclass(frozen=True)
class TrackingClient:
    """A seed-000 Telegram user: its primary key and its Telegram id, as path parameters."""

    id: str
    telegram_id: str


@dataclass(frozen=True)
class Tracker:
    """A seed-000 tracker: what its routes' paths and bodies need (its setting's too)."""

    id: str
    telegram_id: str
    api_id: int
    api_hash: str
    setting_id: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Tracked:
    """A seed-000 tracked user: its id and username (path parameters) and its client's id."""

    id: str
    username: str
    owner_id: int


class Scene:
    """What the roles of a cell meet, each piece made on first use and kept.

    A shared scene serves every cell that leaves it as it found it; a cell that deletes or
    leaves something gets new things among the same people, or new people too (a deleted
    account); a cell that ends a session signs in anew. Its people are: ``owner``, who
    created a group chat with ``member`` in it, sent its message and requested its task;
    ``other``, with a chat (with the companion), a message and a task of their own; ``user``,
    with nothing; and ``admin``.
    """

    def __init__(
        self, http: httpx.AsyncClient, runtime: Runtime, *, people: Scene | None = None
    ) -> None:
        self.http = http
        self.runtime = runtime
        # A scene of new things among the same people asks ``people`` for them.
        self._people = people
        self._made: dict[str, asyncio.Future[Any]] = {}

    async def _once(self, key: str, make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        # The task, not its result, is kept: cells running at once share one making.
        if key not in self._made:
            self._made[key] = asyncio.ensure_future(make())
        return await self._made[key]

    async def person(self, who: Who) -> Person:
        if self._people is not None:
            return await self._people.person(who)
        found: Person = await self._once(f"person:{who}", lambda: self._person(who))
        return found

    async def _person(self, who: Who) -> Person:
        username = fresh_name(who)
        if who == "admin":
            await create_admin(self.runtime, username=username, password=PASSWORD)
        else:
            await self._post("/api/register/", json={"username": username, "password": PASSWORD})
        person = Person(username, await self.session_of(username))
        if who == "other":  # something of every kind, none of it the scene's
            chat = await self._group(person, [await self.person("companion")])
            await self._send(person, chat, "the other's")
            await self._job(person)
            await self.new_mailing_client(person)
            await self.new_mailing(person)
        return person

    async def session_of(self, username: str) -> Tokens:
        """A new sign-in (a session of its own) of ``username``."""
        body = {"username": username, "password": PASSWORD}
        pair = await self._post("/api/auth/", json=body)
        return Tokens(access=pair["access"], refresh=pair["refresh"])

    async def session(self, who: Who) -> Tokens:
        return await self.session_of((await self.person(who)).username)

    async def chat(self) -> Thing:
        """The owner's group chat, the member in it."""

        async def make() -> Thing:
            owner, member = await self.person("owner"), await self.person("member")
            return await self._group(owner, [member])

        found: Thing = await self._once("chat", make)
        return found

    async def message(self) -> Thing:
        """The owner's message in the chat."""

        async def make() -> Thing:
            return await self._send(await self.person("owner"), await self.chat(), "hi")

        found: Thing = await self._once("message", make)
        return found

    async def task(self) -> str:
        """The task id of a task the owner requested."""

        async def make() -> str:
            return await self._job(await self.person("owner"))

        found: str = await self._once("task", make)
        return found

    async def account(self, status: AccountStatus = AccountStatus.NEW) -> Thing:
        """A Telegram account in ``status``."""
        found: Thing = await self._once(f"account:{status}", lambda: self._account(status))
        return found

    async def media_key(self) -> str:
        """The key of a file the owner sent in the chat."""

        async def make() -> str:
            owner, chat = await self.person("owner"), await self.chat()
            sent = await self._post(
                "/api/messages/",
                token=owner.token,
                data={"chat": chat.raw},
                files=[("files", ("picture.png", PNG, "image/png"))],
            )
            url: str = sent["files"][0]["item"]
            return url.split("/media/", 1)[1]

        found: str = await self._once("media", make)
        return found

    async def telegram_user(self) -> TrackingClient:
        """A client of the tracking bot (seed 000's Telegram user), role ``user``."""

        async def make() -> TrackingClient:
            telegram_id = fresh_telegram_id()
            async with self.runtime.uow() as uow:
                # Room for every cell that tracks someone more.
                user = await tracking.create_telegram_user(
                    uow, actor=SYSTEM, telegram_id=telegram_id, max_users=1000
                )
            return TrackingClient(str(user.id), str(telegram_id))

        found: TrackingClient = await self._once("telegram_user", make)
        return found

    async def tracker(self) -> Tracker:
        """An active, authorised tracker with a setting with room for every cell's users."""
        found: Tracker = await self._once("tracker", self.new_tracker)
        return found

    async def new_tracker(self, *, with_setting: bool = True) -> Tracker:
        """A tracker of its own (and its setting, unless not ``with_setting``)."""
        telegram_id, api_id = fresh_telegram_id(), secrets.randbelow(2**31 - 1)
        api_hash = secrets.token_hex(16)
        async with self.runtime.uow() as uow:
            created = await tracking.create_tracker(
                uow,
                self.runtime.secrets,
                actor=SYSTEM,
                telegram_id=telegram_id,
                api_id=api_id,
                api_hash=api_hash,
                is_active=True,
                is_auth=True,
            )
        tracker = Tracker(str(created.id), str(telegram_id), api_id, api_hash)
        if not with_setting:
            return tracker
        phone = fresh_phone()
        async with self.runtime.uow() as uow:
            setting = await tracking.create_setting(
                uow,
                self.runtime.secrets,
                actor=SYSTEM,
                tracker_id=created.id,
                phone_number=phone,
                max_users=1000,
            )
        return Tracker(tracker.id, tracker.telegram_id, api_id, api_hash, str(setting.id), phone)

    async def tracked_user(self) -> Tracked:
        """A username the scene's tracking client watches, through the scene's tracker."""

        async def make() -> Tracked:
            owner = await self.telegram_user()
            await self.tracker()
            username = fresh_name("watched")
            async with self.runtime.uow() as uow:
                tracked = await tracking.track_user(
                    uow, actor=SYSTEM, telegram_user_id=int(owner.id), username=username
                )
            return Tracked(str(tracked.id), username, int(owner.id))

        found: Tracked = await self._once("tracked_user", make)
        return found

    async def status(self) -> str:
        """The id of a row of the status log: the scene's tracked user came online."""

        async def make() -> str:
            tracked = await self.tracked_user()
            async with self.runtime.uow() as uow:
                row = await tracking.add_status(
                    uow, actor=SYSTEM, tracked_user_id=int(tracked.id), is_online=True
                )
            return str(row.id)

        found: str = await self._once("status", make)
        return found

    async def new_bot(self) -> int:
        """A bot of its own (stored as its registration would store it), by id."""
        token = f"{secrets.randbelow(10**9) + 1}:{secrets.token_urlsafe(26)}"
        async with self.runtime.uow() as uow:
            bot = Bot(
                alias=fresh_name("alias"),
                token_enc=self.runtime.secrets.encrypt(token),
                token_digest=bot_rules.token_digest(token),
                telegram_id=fresh_telegram_id(),
                username=fresh_name("bot"),
            )
            uow.session.add(bot)
            await uow.commit()
        return bot.id

    async def active_link(self) -> int:
        """The id of the scene's active link (of the scene's bot to a channel of its own)."""
        found: int = await self._once("active_link", self.new_link)
        return found

    async def new_link(self, status: LinkStatus = LinkStatus.ACTIVE) -> int:
        """A link of the scene's bot to a new channel, in ``status``, by id."""
        bot_id, channel = await self.bot(), -(10**12) - fresh_telegram_id()
        async with self.runtime.uow() as uow:
            link = ChannelLink(
                channel_ref=str(channel), channel_id=channel, title="T", bot_id=bot_id
            )
            link.status = status
            uow.session.add(link)
            await uow.commit()
        return link.id

    async def channel_of_link(self) -> int:
        """The Telegram id of the channel the scene's link serves."""
        async with self.runtime.uow() as uow:
            link = await uow.session.get(ChannelLink, await self.active_link())
            assert link is not None
            assert link.channel_id is not None
            return link.channel_id

    async def channel_post(self) -> int:
        """The id of a post of the scene's channel."""

        async def make() -> int:
            link_id, channel = await self.active_link(), await self.channel_of_link()
            async with self.runtime.uow() as uow:
                post = ChannelPost(
                    channel_id=channel,
                    link_id=link_id,
                    message_id=1,
                    text="hi",
                    views=1,
                    date=datetime.now(UTC),
                )
                uow.session.add(post)
                await uow.commit()
            return post.id

        found: int = await self._once("channel_post", make)
        return found

    async def channel_daily_stats(self) -> int:
        """The id of a daily row of the scene's channel."""

        async def make() -> int:
            link_id, channel = await self.active_link(), await self.channel_of_link()
            async with self.runtime.uow() as uow:
                row = ChannelDailyStats(
                    channel_id=channel,
                    link_id=link_id,
                    day=date(2025, 1, 1),
                    posts=1,
                    views=1,
                    collected_at=datetime.now(UTC),
                )
                uow.session.add(row)
                await uow.commit()
            return row.id

        found: int = await self._once("channel_daily_stats", make)
        return found

    async def world(self) -> None:
        """The simulated Telegram holds the tests' world (tests/world.py)."""
        await self._once("world", lambda: load_world(self.runtime))

    async def own_chat(self, person: Person) -> Thing:
        """A group chat of ``person`` and the companion."""

        async def make() -> Thing:
            return await self._group(person, [await self.person("companion")])

        found: Thing = await self._once(f"own:{person.username}", make)
        return found

    async def bot(self) -> int:
        """The id of a bot of seed 002, stored as registration stores one (no Telegram)."""
        found: int = await self._once("bot", self._bot)
        return found

    async def _bot(self) -> int:
        token = f"{secrets.randbelow(10**9) + 1}:{secrets.token_urlsafe(26)}"
        values: dict[str, object] = {
            "telegram_id": fresh_telegram_id(),
            "username": fresh_name("bot"),
            "token_enc": self.runtime.secrets.encrypt(token),
            "token_digest": bot_rules.token_digest(token),
            "alias": "",
            "description": "",
            "name": "Bot",
        }
        async with self.runtime.uow() as uow:
            bot_id, _ = await bot_repository.upsert_bot(uow.session, values)
            await uow.commit()
        return bot_id

    async def channel_link(self) -> tuple[int, int]:
        """A new link of a channel to the scene's bot: (the link's id, the channel's id)."""

        async def make() -> tuple[int, int]:
            channel = -(10**12) - secrets.randbelow(10**11)
            found = ChannelLink(channel_ref=str(channel), bot_id=await self.bot(), job_id=None)
            found.channel_id, found.status, found.title = channel, LinkStatus.NEW, "Channel"
            async with self.runtime.uow() as uow:
                await bot_repository.add_link(uow.session, found)
                await uow.commit()
            return found.id, channel

        found: tuple[int, int] = await self._once("channel_link", make)
        return found

    async def mailing_client(self) -> Thing:
        """A mailing client of the owner's workspace (its unique phone as the title)."""

        async def make() -> Thing:
            return await self.new_mailing_client(await self.person("owner"))

        found: Thing = await self._once("mailing_client", make)
        return found

    async def new_mailing_client(self, owner: Person) -> Thing:
        phone = fresh_mailing_phone()
        async with self.runtime.uow() as uow:
            client = await mailing.create_client(
                uow, actor=SYSTEM, phone_number=phone, owner_id=uuid.UUID(owner.raw_id)
            )
        return Thing("MailingClient", str(client.id), phone)

    async def mailing(self) -> Thing:
        """A mailing of the owner's workspace."""

        async def make() -> Thing:
            return await self.new_mailing(await self.person("owner"))

        found: Thing = await self._once("mailing", make)
        return found

    async def new_mailing(self, owner: Person) -> Thing:
        start = datetime(2030, 1, 1, tzinfo=UTC)
        async with self.runtime.uow() as uow:
            made = await mailing.create_mailing(
                uow,
                actor=SYSTEM,
                start_time=start,
                end_time=start + timedelta(hours=1),
                message_text="hi",
                filter_params={"tag": "vip"},
                owner_id=uuid.UUID(owner.raw_id),
            )
        return Thing("Mailing", str(made.id))

    async def mailing_delivery(self) -> Thing:
        """A delivery of a started mailing of the owner's workspace, to a client of its own
        (a unique tag), made as dispatch makes one when the mailing starts."""

        async def make() -> Thing:
            owner_id = uuid.UUID((await self.person("owner")).raw_id)
            tag = fresh_name("tag")
            start = datetime(2030, 1, 1, tzinfo=UTC)
            async with self.runtime.uow() as uow:
                await mailing.create_client(
                    uow,
                    actor=SYSTEM,
                    phone_number=fresh_mailing_phone(),
                    tag=tag,
                    owner_id=owner_id,
                )
                made = await mailing.create_mailing(
                    uow,
                    actor=SYSTEM,
                    start_time=start,
                    end_time=start + timedelta(hours=1),
                    message_text="hi",
                    filter_params={"tag": tag},
                    owner_id=owner_id,
                )
                await mailing_repository.create_deliveries(
                    uow.session, made, DeliveryStatus.PENDING, None
                )
                made.matched_at = start
                await uow.commit()
                page = await mailing.list_deliveries(
                    uow, actor=SYSTEM, mailing_id=made.id, page=PageRequest()
                )
            [delivery] = page.items
            return Thing("MailingDelivery", str(delivery.id))

        found: Thing = await self._once("mailing_delivery", make)
        return found

    async def invite_log(self) -> Thing:
        """A row of the invite log (its unique phone as the title), as the dispatcher writes
        one."""

        async def make() -> Thing:
            phone = fresh_phone()
            async with self.runtime.uow() as uow:
                row = InviteLog(
                    task_id=uuid.uuid4(),
                    channel_username="test_channel",
                    phone=phone,
                    status=InviteStatus.FAILED,
                    reason="not_telegram_user",
                    created_at=datetime.now(UTC),
                )
                uow.session.add(row)
                await uow.commit()
            return Thing("InviteLog", str(row.id), phone)

        found: Thing = await self._once("invite_log", make)
        return found

    # --- how: legacy routes and domain services, whose shapes stay put --------------------

    async def _post(self, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        response = await self.http.post(path, headers=bearer(token), **kwargs)
        assert response.status_code in {200, 201}, (path, response.text)
        return response.json()

    async def _group(self, owner: Person, members: list[Person]) -> Thing:
        title = fresh_name("chat")
        body = {"is_private": False, "title": title, "members": [m.raw_id for m in members]}
        chat = await self._post("/api/chats/", token=owner.token, json=body)
        return Thing("Chat", chat["id"], title)

    async def _send(self, sender: Person, chat: Thing, text: str) -> Thing:
        body = {"chat": chat.raw, "text": text}
        message = await self._post("/api/messages/", token=sender.token, json=body)
        return Thing("Message", message["id"])

    async def send(self, sender: Person, chat: Thing) -> None:
        await self._send(sender, chat, "an event")

    async def _job(self, owner: Person) -> str:
        # Only admins queue tasks through the API; the rule under test is "whoever asked".
        async with self.runtime.uow() as uow:
            owner_id = uuid.UUID(owner.raw_id)
            job = await jobs.create_job(uow, kind=jobs.NOOP, args={}, owner_id=owner_id)
            await uow.commit()
        return job.id

    async def _account(self, status: AccountStatus) -> Thing:
        phone = fresh_phone()
        async with self.runtime.uow() as uow:
            account = await telegram.add_account(
                uow,
                self.runtime.secrets,
                actor=SYSTEM,
                phone=phone,
                api_id=12345,
                api_hash=API_HASH,
            )
            # The status is arrangement here: the jobs that reach it are tested with the
            # accounts themselves (tests/api/graphql/test_telegram_accounts.py).
            stmt = update(TelegramAccount).where(TelegramAccount.id == account.id)
            await uow.session.execute(stmt.values(status=status))
            await uow.commit()
        return Thing("TelegramAccount", str(account.id))


# --- GraphQL: every root field, its document generated from the schema -----------------------

KINDS = {"Query": "query", "Mutation": "mutation", "Subscription": "subscription"}


@functools.cache
def strawberry_schema() -> Schema:
    """The schema as the tests' app serves it (the simulated Telegram: sandbox included)."""
    return build_schema(GraphQLLimits())


def graphql_schema() -> GraphQLSchema:
    return strawberry_schema()._schema


def root_fields() -> set[str]:
    """Every operation a client can start: ``Query.chat``, ``Mutation.createChat``, …"""
    schema = graphql_schema()
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    return {f"{root.name}.{name}" for root in roots if root is not None for name in root.fields}


@functools.cache
def error_types() -> frozenset[str]:
    """The types implementing ``Error``: what a payload union answers instead of success."""
    schema = graphql_schema()
    error = schema.get_type("Error")
    assert isinstance(error, GraphQLInterfaceType)
    return frozenset(t.name for t in schema.get_possible_types(error))


def selection(output: GraphQLOutputType) -> str:
    """Just enough of a result to tell its outcome: a union's member (and an error's code), a
    connection's node ids, an object's type and id."""
    named = get_named_type(output)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLUnionType):
        has_errors = any(member.name in error_types() for member in named.types)
        return "{ __typename ... on Error { message code } }" if has_errors else "{ __typename }"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType), named
    if {"totalCount", "nodes"} <= named.fields.keys():
        return f"{{ __typename totalCount nodes {selection(named.fields['nodes'].type)} }}"
    return "{ __typename id }" if "id" in named.fields else "{ __typename }"


@functools.cache
def document(operation: str) -> str:
    """A document running ``operation`` (``Root.field``) with every argument a variable."""
    root_name, field_name = operation.split(".")
    root = graphql_schema().get_type(root_name)
    assert isinstance(root, GraphQLObjectType), operation
    field = root.fields[field_name]
    definitions = ", ".join(f"${name}: {arg.type}" for name, arg in field.args.items())
    arguments = ", ".join(f"{name}: ${name}" for name in field.args)
    head = f"{KINDS[root_name]} Matrix" + (f"({definitions})" if definitions else "")
    call = field_name + (f"({arguments})" if arguments else "")
    return f"{head} {{ {call} {selection(field.type)} }}"


def outcome(body: dict[str, Any], field: str, listed: str | None = None) -> str:
    """What an answer says: its errors' codes, the payload's error member, null, whether a
    connection lists ``listed``, or ok."""
    codes = {str(error.get("extensions", {}).get("code")) for error in body.get("errors") or []}
    if codes:
        return "/".join(sorted(codes))
    value = (body.get("data") or {}).get(field)
    if value is None:
        return NULL
    if isinstance(value, dict) and value.get("__typename") in error_types():
        return str(value["__typename"])
    if listed is not None:
        return LISTED if listed in {node["id"] for node in value["nodes"]} else UNLISTED
    return OK


@dataclass(frozen=True)
class FilePart:
    """A file in a cell's variables: the request goes as the GraphQL multipart request spec
    sends uploads (the variable null in ``operations``, the file a part named in ``map``)."""

    name: str
    content: bytes
    content_type: str = "application/octet-stream"


def _without_files(value: object, path: str, found: dict[str, FilePart]) -> object:
    """``value`` with each FilePart replaced by null, and each one's path into ``found``."""
    if isinstance(value, FilePart):
        found[path] = value
        return None
    if isinstance(value, dict):
        return {key: _without_files(item, f"{path}.{key}", found) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_files(item, f"{path}.{i}", found) for i, item in enumerate(value)]
    return value


async def execute(
    http: httpx.AsyncClient, operation: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """A query or mutation over HTTP, as a client sends it (multipart when it sends files)."""
    files: dict[str, FilePart] = {}
    request = {
        "query": document(operation),
        "variables": _without_files(variables, "variables", files),
    }
    if files:
        mapping = {str(i): [path] for i, path in enumerate(files)}
        parts = [
            (str(i), (f.name, f.content, f.content_type)) for i, f in enumerate(files.values())
        ]
        form = {"operations": json.dumps(request), "map": json.dumps(mapping)}
        response = await http.post("/graphql", data=form, files=parts, headers=bearer(token))
    else:
        response = await http.post("/graphql", json=request, headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@contextlib.asynccontextmanager
async def socket(live: LiveServer, token: str) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws socket of the live server, acknowledged for ``token``."""
    protocols = [Subprotocol(PROTOCOL)]
    async with connect(live.ws_url, subprotocols=protocols, open_timeout=DEADLINE) as ws:
        init = {"type": "connection_init", "payload": bearer(token)}
        await ws.send(json.dumps(init))
        assert await first_message(ws, None) == {"type": "connection_ack"}
        yield ws


async def first_message(
    ws: ClientConnection, trigger: Callable[[], Awaitable[None]] | None
) -> dict[str, Any]:
    """The server's next message; ``trigger`` runs again while none has come."""
    receiving = asyncio.ensure_future(ws.recv())
    try:
        async with asyncio.timeout(DEADLINE):
            while not receiving.done():
                await asyncio.wait({receiving}, timeout=RETRIGGER_AFTER)
                if trigger is not None and not receiving.done():
                    await trigger()
    finally:
        receiving.cancel()
    message: dict[str, Any] = json.loads(receiving.result())
    return message


async def subscribe(
    live: LiveServer,
    token: str,
    operation: str,
    variables: dict[str, Any],
    trigger: Callable[[], Awaitable[None]] | None,
) -> dict[str, Any]:
    """The first answer of a subscription over a real socket, as a response body."""
    async with socket(live, token) as ws:
        payload = {"query": document(operation), "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message = await first_message(ws, trigger)
        if message["type"] == "next" and message["payload"].get("errors"):
            # A refused subscription ends there: its completion is all that follows.
            assert await first_message(ws, None) == {"id": "1", "type": "complete"}
    if message["type"] == "error":  # refused before it ran (the document, the variables)
        return {"errors": message["payload"]}
    assert message["type"] == "next", message
    body: dict[str, Any] = message["payload"]
    return body


async def subscribe_anonymously(
    runtime: Runtime, operation: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The first answer of a subscription run by the schema for a context without a viewer:
    a socket refuses anonymous callers before any operation, so the field's own refusal is
    seen through the schema's subscribe path."""

    async def unused(*_: Any) -> Any:
        raise AssertionError("the schema itself never talks to the socket")

    context = Context(
        request=WebSocket({"type": "websocket", "headers": []}, unused, unused),
        response=None,
        uow=runtime.uow,
        auth=runtime.auth,
        events=runtime.bus,
        loaders=Loaders(runtime.uow, runtime.secrets),
        secrets=runtime.secrets,
        messenger=runtime.messenger,
        schedule=jobs.scheduled_jobs(runtime.settings),
        sandbox=runtime.sandbox,
    )
    stream = await strawberry_schema().subscribe(
        document(operation), variable_values=variables, context_value=context
    )
    try:
        result = await asyncio.wait_for(anext(stream), DEADLINE)
    finally:
        await stream.aclose()
    return {"data": result.data, "errors": [error.formatted for error in result.errors or []]}


# --- legacy routes ---------------------------------------------------------------------------

_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def legacy_operations() -> set[tuple[str, str]]:
    """Every (path, method) the legacy router answers, HEAD of each GET route included."""
    return {
        (route.path, method)
        for route in legacy_routes()
        if isinstance(route, Route)
        for method in route.methods or ()
    }


def twins(path: str) -> list[str]:
    """The documented path and its bare twin (both are routes, neither redirects)."""
    return [path, path.rstrip("/")] if path.endswith("/") else [path]


def filled(template: str, params: dict[str, str]) -> str:
    return _PARAMETER.sub(lambda match: params[match.group(1)], template)


def app_operations(app: object) -> set[tuple[str, str]]:
    """Every (path, method) the app answers: each route's methods, WEBSOCKET for a socket,
    GET and HEAD under a mount (its static files)."""
    assert isinstance(app, Starlette)
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        if isinstance(route, Route):
            found |= {(route.path, method) for method in route.methods or ()}
        elif isinstance(route, WebSocketRoute):
            found.add((route.path, "WEBSOCKET"))
        else:  # anything else would need a rule of its own here
            assert isinstance(route, Mount), route
            found |= {(f"{route.path}/{{path}}", method) for method in ("GET", "HEAD")}
    return found


# --- the Centrifugo-compatible socket (seed 001's realtime) --------------------------------


async def centrifugo_subscription(
    live: LiveServer, path: str, tokens: tuple[str, str] | None, channel: str
) -> str:
    """Connects with ``tokens`` (the connect and subscribe tokens the legacy routes issue;
    None: no token) and subscribes to ``channel``: ``subscribed``, ``error <code>`` for a
    refused subscription, or ``closed <code>`` for a refused connection."""
    connect_token, subscribe_token = tokens or ("", "")
    async with connect(f"ws://127.0.0.1:{live.port}{path}", open_timeout=DEADLINE) as ws:
        try:
            await centrifugo_command(ws, {"id": 1, "connect": {"token": connect_token}})
            subscribe = {"channel": channel, "token": subscribe_token}
            reply = await centrifugo_command(ws, {"id": 2, "subscribe": subscribe})
        except ConnectionClosed as closed:
            return f"closed {closed.rcvd.code if closed.rcvd else None}"
    return f"error {reply['error']['code']}" if "error" in reply else "subscribed"


async def centrifugo_command(ws: ClientConnection, command: dict[str, Any]) -> dict[str, Any]:
    """Sends one command; its reply (pushes and pings before it are passed over)."""
    await ws.send(json.dumps(command))
    while True:
        frame = await asyncio.wait_for(ws.recv(), DEADLINE)
        for line in str(frame).splitlines():
            message: dict[str, Any] = json.loads(line)
            if message.get("id") == command["id"]:
                return message
