"""The Telethon adapter offline: real Telethon errors and TL objects in, domain values out.

The gateway runs end to end on real ``TelegramClient`` objects whose transport is replaced by
``FakeTelegram`` (a function from TL request to TL reply or Telethon error), under real Redis
leases. ``TelegramClient.connect`` refuses in every test, so nothing can reach Telegram.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from telethon import TelegramClient, errors, utils
from telethon.crypto.authkey import AuthKey
from telethon.events.userupdate import UserUpdate
from telethon.extensions import markdown
from telethon.network.mtprotosender import MTProtoSender
from telethon.sessions.string import StringSession
from telethon.tl import functions, types
from typing_extensions import override

from domain.adapters.lease import Lease
from domain.adapters.telegram.telethon import TelethonGateway, default_client
from domain.adapters.telegram.translate import (
    channel_from_tl,
    channel_peer,
    posted_from_messages,
    posted_from_tl,
    rights_from_participant,
    sent_from_tl,
    status_from_tl,
    translate_error,
    user_from_tl,
    views_from_tl,
)
from domain.errors import DomainError, ExternalUnavailable, Invalid, NotFound, RateLimited
from domain.telegram.errors import (
    AccountNotSignedIn,
    AccountSessionRevoked,
    BotCannotOpenInvite,
    ChatAdminRequired,
    InvalidBotToken,
    InvalidLoginCode,
    InvalidPassword,
    InviteNotVisible,
    InviteRejected,
    PasswordRequired,
    PeerFlood,
    PrivacyRestricted,
    SessionBusy,
    TelegramNotFound,
)
from domain.telegram.model import (
    AccountCredentials,
    AdminRights,
    BotCredentials,
    BotInfo,
    ChannelInfo,
    InviteOutcome,
    PostedMessage,
    SentMessage,
    SignedIn,
    StatusObservation,
    TelegramUser,
)
from domain.types import TelegramID
from tests.conftest import DEADLINE, until

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Iterator

    from telethon.tl.tlobject import TLRequest


API_ID = 12345
API_HASH = "0123456789abcdef0123456789abcdef"
BOT_TOKEN = "5001:AAH-bot-token-that-must-never-leak"
LOGIN_CODE = "80417"
PASSWORD = "correct-horse-battery"
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def _session_string() -> str:
    session = StringSession()
    session.set_dc(2, "149.154.167.51", 443)
    # Telethon's auth_key setter is unannotated, so mypy sees a read-only property.
    cast("Any", session).auth_key = AuthKey(bytes(range(256)))
    return str(session.save())


SESSION = _session_string()
SECRETS = (API_HASH, BOT_TOKEN, SESSION, LOGIN_CODE, PASSWORD)

BOT = types.User(id=5001, bot=True, username="demo_bot", first_name="Demo", access_hash=51)
ME = types.User(id=9001, is_self=True, username="inviter", first_name="Inv", access_hash=91)
IVAN = types.User(
    id=1001,
    username="ivan",
    first_name="Ivan",
    last_name="Petrov",
    phone="79990000001",
    access_hash=11,
    status=types.UserStatusOnline(expires=NOW),
)
MARIA = types.User(
    id=1002, username="maria", access_hash=12, status=types.UserStatusOffline(was_online=NOW)
)
CHANNEL_HASH = 77
CHANNEL = types.Channel(
    id=1234567890,
    title="Demo",
    photo=types.ChatPhotoEmpty(),
    date=NOW,
    username="demo_channel",
    access_hash=CHANNEL_HASH,
    broadcast=True,
)
CHANNEL_ID = TelegramID(-1001234567890)

# Telegram's 2048-bit SRP prime, which Telethon accepts without factoring it.
SRP_PRIME = bytes.fromhex(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d2"
    "2530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454"
    "f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051"
    "907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6b"
    "c465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f"
    "0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b"
)


def assert_no_secrets(exc: BaseException) -> None:
    """Neither the error nor anything it was raised from shows a secret."""
    seen: BaseException | None = exc
    while seen is not None:
        text = f"{seen!s} {seen!r}"
        for secret in SECRETS:
            assert secret not in text, f"{type(seen).__name__} shows a secret"
        seen = seen.__cause__ or seen.__context__


# -- translate_error -------------------------------------------------------------------------


def shape(error: DomainError | None) -> tuple[str, object] | None:
    """An error's class and the one field that matters for it."""
    if error is None:
        return None
    detail: object = None
    if isinstance(error, RateLimited):
        detail = error.retry_after
    elif isinstance(error, InviteRejected):
        detail = error.reason
    elif isinstance(error, NotFound):
        detail = error.entity
    elif isinstance(error, Invalid):
        detail = tuple(error.field_errors)
    return type(error).__name__, detail


TRANSLATIONS = [
    (errors.FloodWaitError(request=None, capture=30), ("RateLimited", 30.0)),
    (errors.SlowModeWaitError(request=None, capture=12), ("RateLimited", 12.0)),
    (errors.FloodPremiumWaitError(request=None, capture=5), ("RateLimited", 5.0)),
    (errors.FloodTestPhoneWaitError(request=None, capture=7), ("RateLimited", 7.0)),
    (errors.FrozenMethodInvalidError(request=None), ("PeerFlood", None)),
    (errors.PeerFloodError(request=None), ("PeerFlood", None)),
    (errors.UserPrivacyRestrictedError(request=None), ("PrivacyRestricted", None)),
    (errors.UserNotMutualContactError(request=None), ("PrivacyRestricted", None)),
    (errors.ChatAdminRequiredError(request=None), ("ChatAdminRequired", None)),
    (errors.ChatWriteForbiddenError(request=None), ("ChatAdminRequired", None)),
    (errors.UserChannelsTooMuchError(request=None), ("InviteRejected", "user_channels_too_much")),
    (errors.UsersTooMuchError(request=None), ("InviteRejected", "users_too_much")),
    (errors.UserBannedInChannelError(request=None), ("InviteRejected", "user_banned")),
    (errors.UserKickedError(request=None), ("InviteRejected", "user_banned")),
    (errors.AuthKeyUnregisteredError(request=None), ("AccountSessionRevoked", None)),
    (errors.AuthKeyDuplicatedError(request=None), ("AccountSessionRevoked", None)),
    (errors.SessionRevokedError(request=None), ("AccountSessionRevoked", None)),
    (errors.SessionExpiredError(request=None), ("AccountSessionRevoked", None)),
    (errors.UserDeactivatedError(request=None), ("AccountSessionRevoked", None)),
    (errors.UserDeactivatedBanError(request=None), ("AccountSessionRevoked", None)),
    (errors.UnauthorizedError(request=None, message="NEW_401"), ("AccountSessionRevoked", None)),
    (errors.UsernameNotOccupiedError(request=None), ("TelegramNotFound", "user")),
    (errors.UsernameInvalidError(request=None), ("TelegramNotFound", "user")),
    (errors.PeerIdInvalidError(request=None), ("TelegramNotFound", "user")),
    (errors.UserIdInvalidError(request=None), ("TelegramNotFound", "user")),
    (errors.ChannelPrivateError(request=None), ("TelegramNotFound", "channel")),
    (errors.ChannelInvalidError(request=None), ("TelegramNotFound", "channel")),
    (errors.ChatIdInvalidError(request=None), ("TelegramNotFound", "channel")),
    (errors.InviteHashExpiredError(request=None), ("TelegramNotFound", "channel")),
    (errors.InviteHashInvalidError(request=None), ("TelegramNotFound", "channel")),
    (errors.MessageIdInvalidError(request=None), ("TelegramNotFound", "message")),
    (errors.MessageTooLongError(request=None), ("Invalid", ("text",))),
    (errors.MessageEmptyError(request=None), ("Invalid", ("text",))),
    (errors.AccessTokenInvalidError(request=None), ("InvalidBotToken", ("token",))),
    (errors.AccessTokenExpiredError(request=None), ("InvalidBotToken", ("token",))),
    (errors.PhoneCodeInvalidError(request=None), ("InvalidLoginCode", ("code",))),
    (errors.PhoneCodeExpiredError(request=None), ("InvalidLoginCode", ("code",))),
    (errors.PhoneCodeEmptyError(request=None), ("InvalidLoginCode", ("code",))),
    (errors.SessionPasswordNeededError(request=None), ("PasswordRequired", ("password",))),
    (errors.PasswordHashInvalidError(request=None), ("InvalidPassword", ("password",))),
    (errors.PhoneNumberInvalidError(request=None), ("Invalid", ("phone",))),
    (errors.PhoneNumberBannedError(request=None), ("Invalid", ("phone",))),
    (errors.PhoneNumberUnoccupiedError(request=None), ("Invalid", ("phone",))),
    (errors.ServerError(request=None, message="INTERNAL"), ("ExternalUnavailable", None)),
    (
        errors.TimedOutError(request=None, message="Timeout", code=-503),
        ("ExternalUnavailable", None),
    ),
    (ConnectionError("Cannot send requests while disconnected"), ("ExternalUnavailable", None)),
    (OSError("network unreachable"), ("ExternalUnavailable", None)),
    (TimeoutError(), ("ExternalUnavailable", None)),
    (ValueError("not a Telegram failure"), None),
    (RuntimeError("a bug"), None),
    (errors.BotMethodInvalidError(request=None), ("TelegramError", None)),
]


class TestTranslateError:
    @pytest.mark.parametrize(
        ("exc", "expected"), TRANSLATIONS, ids=[type(e).__name__ for e, _ in TRANSLATIONS]
    )
    def test_maps_telethon_errors_to_domain_errors(
        self, exc: BaseException, expected: tuple[str, object] | None
    ) -> None:
        assert shape(translate_error(exc)) == expected

    def test_messages_never_carry_what_the_request_held(self) -> None:
        request = functions.auth.ImportBotAuthorizationRequest(
            flags=0, api_id=API_ID, api_hash=API_HASH, bot_auth_token=BOT_TOKEN
        )
        exc = errors.AccessTokenInvalidError(request=request)
        error = translate_error(exc)
        assert error is not None
        error.__cause__ = exc
        assert_no_secrets(error)

    def test_rate_limit_names_the_wait(self) -> None:
        error = translate_error(errors.FloodWaitError(request=None, capture=30))
        assert isinstance(error, RateLimited)
        assert error.retry_after == 30
        assert "30" in error.message


# -- value converters ------------------------------------------------------------------------


class TestUserFromTl:
    def test_a_full_user(self) -> None:
        assert user_from_tl(IVAN) == TelegramUser(
            id=TelegramID(1001),
            username="ivan",
            first_name="Ivan",
            last_name="Petrov",
            phone="+79990000001",
        )

    def test_a_bare_bot(self) -> None:
        assert user_from_tl(types.User(id=7, bot=True)) == TelegramUser(
            id=TelegramID(7), username=None, is_bot=True
        )

    def test_collectible_usernames_stand_in_for_a_missing_main_one(self) -> None:
        user = types.User(
            id=8,
            usernames=[
                types.Username(username="old", active=False),
                types.Username(username="fancy", active=True),
            ],
        )
        assert user_from_tl(user).username == "fancy"


class TestStatusFromTl:
    def test_online(self) -> None:
        seen = status_from_tl(1001, types.UserStatusOnline(expires=NOW), NOW, username="ivan")
        assert seen == StatusObservation(TelegramID(1001), True, NOW, username="ivan")

    def test_offline_carries_the_last_seen_time(self) -> None:
        was = datetime(2025, 3, 4, 4, 0, tzinfo=UTC)
        seen = status_from_tl(1001, types.UserStatusOffline(was_online=was), NOW)
        assert (seen.online, seen.last_seen, seen.observed_at) == (False, was, NOW)

    @pytest.mark.parametrize(
        "status",
        [
            types.UserStatusRecently(),
            types.UserStatusLastWeek(),
            types.UserStatusLastMonth(),
            types.UserStatusEmpty(),
            None,
        ],
        ids=["recently", "last_week", "last_month", "empty", "none"],
    )
    def test_vague_statuses_mean_hidden(self, status: object) -> None:
        seen = status_from_tl(1001, status, NOW)
        assert (seen.online, seen.last_seen) == (None, None)


class TestRightsFromParticipant:
    def test_the_creator_has_every_right(self) -> None:
        creator = types.ChannelParticipantCreator(user_id=1, admin_rights=types.ChatAdminRights())
        assert rights_from_participant(creator) == AdminRights(True, True, True, True, True)

    def test_an_admin_has_what_telegram_lists(self) -> None:
        admin = types.ChannelParticipantAdmin(
            user_id=5001,
            promoted_by=9001,
            date=NOW,
            admin_rights=types.ChatAdminRights(post_messages=True, invite_users=True),
            rank="poster",
        )
        assert rights_from_participant(admin) == AdminRights(
            is_admin=True, post_messages=True, invite_users=True
        )

    @pytest.mark.parametrize(
        "participant",
        [
            types.ChannelParticipant(user_id=1, date=NOW),
            types.ChannelParticipantSelf(user_id=1, inviter_id=2, date=NOW),
            types.ChannelParticipantLeft(peer=types.PeerUser(1)),
            None,
        ],
        ids=["member", "self", "left", "none"],
    )
    def test_anyone_else_has_none(self, participant: object) -> None:
        assert rights_from_participant(participant) == AdminRights.none()


class TestChannelFromTl:
    def test_uses_the_marked_id(self) -> None:
        assert channel_from_tl(CHANNEL) == ChannelInfo(CHANNEL_ID, "Demo", "demo_channel")
        assert utils.get_peer_id(types.PeerChannel(CHANNEL.id)) == CHANNEL_ID

    def test_channel_peer_takes_marked_and_bare_ids(self) -> None:
        assert channel_peer(CHANNEL_ID) == types.PeerChannel(CHANNEL.id)
        assert channel_peer(CHANNEL.id) == types.PeerChannel(CHANNEL.id)

    def test_a_basic_group_id_is_no_channel(self) -> None:
        with pytest.raises(TelegramNotFound):
            channel_peer(-4242)


class TestPostedFromTl:
    def test_a_channel_post(self) -> None:
        message = types.Message(
            id=7, peer_id=types.PeerChannel(CHANNEL.id), date=NOW, message="hi", views=5, post=True
        )
        assert posted_from_tl(message, CHANNEL_ID) == PostedMessage(CHANNEL_ID, 7, NOW, "hi", 5)

    def test_posts_among_messages_fetched_by_id(self) -> None:
        peer = types.PeerChannel(CHANNEL.id)
        pin = types.MessageService(
            id=3, peer_id=peer, date=NOW, action=types.MessageActionPinMessage()
        )
        found = posted_from_messages(
            [
                types.Message(id=1, peer_id=peer, date=NOW, message="a", views=10),
                None,
                pin,
                types.MessageEmpty(id=4, peer_id=peer),
            ],
            CHANNEL_ID,
        )
        assert found == [PostedMessage(CHANNEL_ID, 1, NOW, "a", 10)]

    def test_views_leave_out_missing_messages(self) -> None:
        peer = types.PeerChannel(CHANNEL.id)
        found = views_from_tl(
            [
                types.Message(id=1, peer_id=peer, date=NOW, message="a", views=10),
                types.MessageEmpty(id=2, peer_id=peer),
                types.Message(id=3, peer_id=peer, date=NOW, message="b"),
            ]
        )
        assert found == {1: 10, 3: 0}


class TestSentFromTl:
    def test_the_short_reply(self) -> None:
        reply = types.UpdateShortSentMessage(id=77, pts=1, pts_count=1, date=NOW, out=True)
        assert sent_from_tl(reply, 1001, datetime.now(UTC)) == SentMessage(
            TelegramID(1001), 77, NOW
        )

    def test_full_updates(self) -> None:
        reply = types.Updates(
            updates=[types.UpdateMessageID(id=78, random_id=5)],
            users=[],
            chats=[],
            date=NOW,
            seq=0,
        )
        assert sent_from_tl(reply, 1001, datetime.now(UTC)) == SentMessage(
            TelegramID(1001), 78, NOW
        )


# -- the gateway, offline --------------------------------------------------------------------


class FakeTelegram:
    """Telegram's side of the wire: a reply (TL object, Telethon error, or function) per request."""

    def __init__(self) -> None:
        self.me = ME
        self.authorized = True
        self.users = {u.id: u for u in (BOT, ME, IVAN, MARIA)}
        self.requests: list[Any] = []
        self.clients: list[OfflineClient] = []
        self.replies: dict[type, object] = {
            functions.users.GetUsersRequest: self._get_users,
            functions.updates.GetStateRequest: types.updates.State(1, 0, NOW, 1, 0),
            functions.updates.GetDifferenceRequest: types.updates.DifferenceEmpty(NOW, 1),
            functions.auth.ImportBotAuthorizationRequest: self._log_in,
            functions.auth.SignInRequest: self._log_in,
            functions.contacts.ResolveUsernameRequest: self._resolve,
            functions.channels.GetChannelsRequest: types.messages.Chats(chats=[CHANNEL]),
        }

    def on(self, request_type: type, reply: object) -> None:
        self.replies[request_type] = reply

    def sent(self, request_type: type) -> list[Any]:
        return [r for r in self.requests if isinstance(r, request_type)]

    def answer(self, request: TLRequest) -> object:
        self.requests.append(request)
        reply = self.replies[type(request)]
        if callable(reply):
            reply = reply(request)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def factory(self, session: str, api_id: int, api_hash: str) -> TelegramClient:
        client = OfflineClient(session, api_id, api_hash, self)
        self.clients.append(client)
        return client

    def _get_users(self, request: Any) -> object:
        if not self.authorized:
            return errors.AuthKeyUnregisteredError(request=None)
        return [
            self.me
            if isinstance(u, types.InputUserSelf)
            else self.users.get(u.user_id, types.UserEmpty(u.user_id))
            for u in request.id
        ]

    def _log_in(self, request: Any) -> object:
        self.authorized = True
        return types.auth.Authorization(user=self.me)

    def _resolve(self, request: Any) -> object:
        for user in self.users.values():
            if user.username == request.username:
                return types.contacts.ResolvedPeer(types.PeerUser(user.id), [], [user])
        if request.username == CHANNEL.username:
            return types.contacts.ResolvedPeer(types.PeerChannel(CHANNEL.id), [CHANNEL], [])
        return errors.UsernameNotOccupiedError(request=None)


class OfflineClient(TelegramClient):
    """A real TelegramClient whose connection is ``FakeTelegram``."""

    def __init__(self, session: str, api_id: int, api_hash: str, server: FakeTelegram) -> None:
        super().__init__(StringSession(session), api_id, api_hash, flood_sleep_threshold=0)
        self.server = server
        self.online = False
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @override
    async def connect(self) -> None:
        self.online = True

    @override
    def is_connected(self) -> bool:
        return self.online

    @property
    @override
    def disconnected(self) -> asyncio.Future[None]:
        return asyncio.shield(self.gone)

    @override
    def disconnect(self) -> Any:
        self.online = False
        if not self.gone.done():
            self.gone.set_result(None)
        return super().disconnect()

    @override
    async def __call__(
        self, request: Any, ordered: bool = False, flood_sleep_threshold: int | None = None
    ) -> Any:
        await request.resolve(self, utils)  # turns peers into input peers, as the real call does
        return self.server.answer(request)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionError("tests never connect to Telegram")

    monkeypatch.setattr(TelegramClient, "connect", refuse)
    monkeypatch.setattr(MTProtoSender, "connect", refuse)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    name = f"test-telethon-{uuid.uuid4().hex[:12]}"
    yield name
    keys = [key async for key in redis.scan_iter(f"{name}:*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def server() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def gateway(
    redis: Redis, prefix: str, server: FakeTelegram
) -> AsyncIterator[TelethonGateway]:
    gateway = TelethonGateway(
        redis,
        prefix=prefix,
        bot_api_id=API_ID,
        bot_api_hash=API_HASH,
        lease_ttl=5.0,
        client_factory=server.factory,
    )
    yield gateway
    await gateway.close()


@pytest.fixture
def bot(server: FakeTelegram) -> BotCredentials:
    """The bot's credentials, with Telegram expecting a fresh bot login."""
    server.me, server.authorized = BOT, False
    return BotCredentials(BOT_TOKEN)


@pytest.fixture
def account() -> AccountCredentials:
    return AccountCredentials("+79990000100", API_ID, API_HASH, SESSION)


def account_key(prefix: str) -> str:
    return f"{prefix}:lease:telegram:account:+79990000100"


async def lease_released(redis: Redis, prefix: str) -> bool:
    return bool(await redis.exists(account_key(prefix)) == 0)


@pytest.fixture
def looker(redis_url: str) -> Iterator[SyncRedis]:
    """A blocking Redis client, for looks from inside the fake server's synchronous answers."""
    client = SyncRedis.from_url(redis_url)
    yield client
    client.close()


def lease_seen_by_each_request(server: FakeTelegram, looker: SyncRedis, key: str) -> list[bool]:
    """Whether ``key`` was leased at each GetUsers request, seen from Telegram's side."""
    seen: list[bool] = []
    answer = server.replies[functions.users.GetUsersRequest]
    assert callable(answer)

    def looking(request: Any) -> object:
        seen.append(bool(looker.exists(key)))
        return answer(request)

    server.on(functions.users.GetUsersRequest, looking)
    return seen


async def raised(step: Awaitable[object], expected: type[BaseException]) -> BaseException:
    """The error ``step`` raised, after checking its type and that it shows no secret."""
    with pytest.raises(expected) as caught:
        await step
    assert_no_secrets(caught.value)
    return caught.value


class TestDefaultClient:
    def test_surfaces_flood_waits_instead_of_sleeping(self) -> None:
        client = default_client("", API_ID, API_HASH)
        assert client.flood_sleep_threshold == 0
        assert isinstance(client.session, StringSession)

    async def test_an_unreachable_telegram_is_unavailable(
        self, redis: Redis, prefix: str, account: AccountCredentials
    ) -> None:
        gateway = TelethonGateway(redis, prefix=prefix, bot_api_id=API_ID, bot_api_hash=API_HASH)
        await raised(gateway.user_statuses(account, ["@ivan"]), ExternalUnavailable)
        assert await redis.exists(account_key(prefix)) == 0


class TestVerifyBot:
    async def test_logs_in_with_the_token_and_reuses_the_client(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        assert await gateway.verify_bot(bot) == BotInfo(TelegramID(5001), "demo_bot", "Demo")
        assert await gateway.verify_bot(bot) == BotInfo(TelegramID(5001), "demo_bot", "Demo")
        assert len(server.clients) == 1
        [login] = server.sent(functions.auth.ImportBotAuthorizationRequest)
        assert (login.api_id, login.bot_auth_token) == (API_ID, BOT_TOKEN)

    async def test_a_refused_token_is_invalid_and_frees_the_lease(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials, redis: Redis
    ) -> None:
        server.on(
            functions.auth.ImportBotAuthorizationRequest,
            errors.AccessTokenInvalidError(request=None),
        )
        await raised(gateway.verify_bot(bot), InvalidBotToken)
        assert not server.clients[0].online
        assert await redis.keys("*:lease:telegram:bot:5001") == []

    async def test_a_token_revoked_while_connected_is_invalid(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        await gateway.verify_bot(bot)
        server.on(functions.users.GetUsersRequest, errors.SessionRevokedError(request=None))
        await raised(gateway.verify_bot(bot), InvalidBotToken)
        assert not server.clients[0].online


class TestResolveChannel:
    async def test_by_username(self, gateway: TelethonGateway, bot: BotCredentials) -> None:
        found = await gateway.resolve_channel(bot, "https://t.me/demo_channel")
        assert found == ChannelInfo(CHANNEL_ID, "Demo", "demo_channel")

    async def test_by_marked_id(self, gateway: TelethonGateway, bot: BotCredentials) -> None:
        found = await gateway.resolve_channel(bot, str(CHANNEL_ID))
        assert found == ChannelInfo(CHANNEL_ID, "Demo", "demo_channel")

    async def test_an_unknown_username_is_not_found(
        self, gateway: TelethonGateway, bot: BotCredentials
    ) -> None:
        error = await raised(gateway.resolve_channel(bot, "@nobody_here"), NotFound)
        assert "@nobody_here" in str(error)

    async def test_a_user_is_no_channel(
        self, gateway: TelethonGateway, bot: BotCredentials
    ) -> None:
        await raised(gateway.resolve_channel(bot, "@ivan"), TelegramNotFound)

    async def test_by_a_link_to_a_private_channels_post(
        self, gateway: TelethonGateway, bot: BotCredentials
    ) -> None:
        found = await gateway.resolve_channel(bot, f"https://t.me/c/{CHANNEL.id}/15")
        assert found == ChannelInfo(CHANNEL_ID, "Demo", "demo_channel")

    @pytest.mark.parametrize("ref", ["https://t.me/+AbCdEf12", "t.me/joinchat/AbCdEf12"])
    async def test_bots_cannot_open_invite_links(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials, ref: str
    ) -> None:
        # messages.checkChatInvite is for user accounts only: not even asked.
        error = await raised(gateway.resolve_channel(bot, ref), BotCannotOpenInvite)
        assert isinstance(error, TelegramNotFound)
        assert server.requests == []


class TestBotRights:
    async def test_an_admin_bot(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        admin = types.ChannelParticipantAdmin(
            5001, 9001, NOW, types.ChatAdminRights(post_messages=True, edit_messages=True)
        )
        server.on(
            functions.channels.GetParticipantRequest,
            types.channels.ChannelParticipant(admin, [], [BOT]),
        )
        rights = await gateway.bot_rights(bot, CHANNEL_ID)
        assert rights == AdminRights(is_admin=True, post_messages=True, edit_messages=True)
        [asked] = server.sent(functions.channels.GetParticipantRequest)
        assert asked.channel == types.InputChannel(CHANNEL.id, CHANNEL_HASH)

    async def test_a_bot_outside_the_channel_has_no_rights(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(
            functions.channels.GetParticipantRequest, errors.UserNotParticipantError(request=None)
        )
        assert await gateway.bot_rights(bot, CHANNEL_ID) == AdminRights.none()


class TestPostMarkdown:
    async def test_posts_parsed_markdown(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        def reply(request: Any) -> object:
            message = types.Message(
                id=7,
                peer_id=types.PeerChannel(CHANNEL.id),
                date=NOW,
                message=request.message,
                entities=request.entities,
                post=True,
                views=1,
            )
            return types.Updates(
                updates=[
                    types.UpdateMessageID(id=7, random_id=request.random_id),
                    types.UpdateNewChannelMessage(message, pts=2, pts_count=1),
                ],
                users=[],
                chats=[CHANNEL],
                date=NOW,
                seq=0,
            )

        server.on(functions.messages.SendMessageRequest, reply)
        text = "**Hello** 🎉 [there](https://example.com) `x`"
        posted = await gateway.post_markdown(bot, CHANNEL_ID, text)
        assert posted == PostedMessage(CHANNEL_ID, 7, NOW, "Hello 🎉 there x", views=1)
        [sent] = server.sent(functions.messages.SendMessageRequest)
        # Telethon's own Markdown parser, offsets in UTF-16 units (the emoji counts two).
        assert (sent.message, sent.entities) == markdown.parse(text)
        assert sent.entities == [
            types.MessageEntityBold(0, 5),
            types.MessageEntityTextUrl(9, 5, "https://example.com"),
            types.MessageEntityCode(15, 1),
        ]

    @pytest.mark.parametrize(
        ("text", "shown"),
        [("x" * 4097, "has 4097."), ("🎉" * 2049, "has 4098."), ("** **", "no text")],
        ids=["long", "long_in_utf16", "empty"],
    )
    async def test_refused_before_anything_is_sent(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        bot: BotCredentials,
        text: str,
        shown: str,
    ) -> None:
        error = await raised(gateway.post_markdown(bot, CHANNEL_ID, text), Invalid)
        assert isinstance(error, Invalid)
        assert shown in error.message
        assert tuple(error.field_errors) == ("text",)
        assert server.clients == []

    async def test_at_most_4096_once_parsed(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(
            functions.messages.SendMessageRequest,
            types.UpdateShortSentMessage(id=8, pts=1, pts_count=1, date=NOW, out=True),
        )
        await gateway.post_markdown(bot, CHANNEL_ID, "**" + "x" * 4096 + "**")
        [sent] = server.sent(functions.messages.SendMessageRequest)
        assert (len(sent.message), sent.entities) == (4096, [types.MessageEntityBold(0, 4096)])

    async def test_a_flood_wait_is_rate_limited(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(
            functions.messages.SendMessageRequest, errors.FloodWaitError(request=None, capture=42)
        )
        error = await raised(gateway.post_markdown(bot, CHANNEL_ID, "hi"), RateLimited)
        assert isinstance(error, RateLimited)
        assert error.retry_after == 42

    async def test_a_bot_without_the_post_right(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(
            functions.messages.SendMessageRequest, errors.ChatWriteForbiddenError(request=None)
        )
        await raised(gateway.post_markdown(bot, CHANNEL_ID, "hi"), ChatAdminRequired)


class TestMessageViews:
    async def test_leaves_out_missing_ids(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        peer = types.PeerChannel(CHANNEL.id)
        server.on(
            functions.channels.GetMessagesRequest,
            types.messages.ChannelMessages(
                pts=1,
                count=2,
                messages=[
                    types.Message(id=1, peer_id=peer, date=NOW, message="a", views=10),
                    types.MessageEmpty(id=2, peer_id=peer),
                ],
                topics=[],
                chats=[CHANNEL],
                users=[],
            ),
        )
        assert await gateway.message_views(bot, CHANNEL_ID, [1, 2]) == {1: 10}
        [asked] = server.sent(functions.channels.GetMessagesRequest)
        assert asked.id == [types.InputMessageID(1), types.InputMessageID(2)]

    async def test_no_ids_ask_nothing(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        assert await gateway.message_views(bot, CHANNEL_ID, []) == {}
        assert server.clients == []


class TestChannelMessages:
    @staticmethod
    def answer(request: Any) -> types.messages.ChannelMessages:
        """Posts 1 to 250 exist but for 2 (deleted) and 3 (a pin, a service message)."""
        peer = types.PeerChannel(CHANNEL.id)
        messages: list[types.TypeMessage] = []
        for asked in request.id:
            number = asked.id
            if number == 2 or number > 250:
                messages.append(types.MessageEmpty(id=number, peer_id=peer))
            elif number == 3:
                action = types.MessageActionPinMessage()
                messages.append(types.MessageService(id=3, peer_id=peer, date=NOW, action=action))
            else:
                text = f"post {number}"
                messages.append(
                    types.Message(id=number, peer_id=peer, date=NOW, message=text, views=number)
                )
        return types.messages.ChannelMessages(
            pts=1, count=len(messages), messages=messages, topics=[], chats=[CHANNEL], users=[]
        )

    async def test_the_posts_of_those_ids_in_id_order(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(functions.channels.GetMessagesRequest, self.answer)
        found = await gateway.channel_messages(bot, CHANNEL_ID, [5, 1, 2, 3, 5, 999])
        assert found == [
            PostedMessage(CHANNEL_ID, 1, NOW, "post 1", 1),
            PostedMessage(CHANNEL_ID, 5, NOW, "post 5", 5),
        ]
        [asked] = server.sent(functions.channels.GetMessagesRequest)
        assert asked.channel == types.InputChannel(CHANNEL.id, CHANNEL_HASH)
        assert asked.id == [types.InputMessageID(i) for i in (1, 2, 3, 5, 999)]

    async def test_reads_forward_a_hundred_ids_a_call(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(functions.channels.GetMessagesRequest, self.answer)
        found = await gateway.channel_messages(bot, CHANNEL_ID, range(1, 351))
        assert [m.message_id for m in found] == [1, *range(4, 251)]
        asked = server.sent(functions.channels.GetMessagesRequest)
        assert [len(request.id) for request in asked] == [100, 100, 100, 50]

    async def test_all_ids_missing(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(functions.channels.GetMessagesRequest, errors.MessageIdsEmptyError(request=None))
        assert await gateway.channel_messages(bot, CHANNEL_ID, [7000, 7001]) == []

    async def test_no_ids_ask_nothing(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        assert await gateway.channel_messages(bot, CHANNEL_ID, []) == []
        assert server.clients == []

    async def test_a_channel_the_bot_cannot_see_is_not_found(
        self, gateway: TelethonGateway, server: FakeTelegram, bot: BotCredentials
    ) -> None:
        server.on(functions.channels.GetMessagesRequest, errors.ChannelPrivateError(request=None))
        await raised(gateway.channel_messages(bot, CHANNEL_ID, [1]), TelegramNotFound)


class TestSendLoginCode:
    async def test_returns_the_hash_and_the_session_to_continue(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        redis: Redis,
        prefix: str,
    ) -> None:
        server.on(
            functions.auth.SendCodeRequest,
            types.auth.SentCode(types.auth.SentCodeTypeApp(length=5), phone_code_hash="h-1"),
        )
        code = await gateway.send_login_code(account)
        assert (code.phone_code_hash, code.session) == ("h-1", SESSION)
        # The next step may run in another worker: nothing stays connected or leased.
        assert not server.clients[0].online
        assert await redis.exists(account_key(prefix)) == 0

    async def test_an_invalid_phone(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.auth.SendCodeRequest, errors.PhoneNumberInvalidError(request=None))
        error = await raised(gateway.send_login_code(account), Invalid)
        assert isinstance(error, Invalid)
        assert list(error.field_errors) == ["phone"]


class TestSignIn:
    @pytest.fixture(autouse=True)
    def signed_out(self, server: FakeTelegram) -> None:
        server.authorized = False

    async def sign_in(
        self, gateway: TelethonGateway, account: AccountCredentials, password: str | None = None
    ) -> SignedIn:
        return await gateway.sign_in(
            account, code=LOGIN_CODE, phone_code_hash="h-1", password=password
        )

    async def test_with_the_code(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        assert await self.sign_in(gateway, account) == SignedIn(SESSION, TelegramID(9001))
        [request] = server.sent(functions.auth.SignInRequest)
        assert (request.phone_code, request.phone_code_hash) == (LOGIN_CODE, "h-1")
        assert not server.clients[0].online

    async def test_a_wrong_code(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.auth.SignInRequest, errors.PhoneCodeInvalidError(request=None))
        await raised(self.sign_in(gateway, account), InvalidLoginCode)

    async def test_two_step_verification_needs_the_password(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.auth.SignInRequest, errors.SessionPasswordNeededError(request=None))
        await raised(self.sign_in(gateway, account), PasswordRequired)

    async def test_with_the_password(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        self.two_step(server, server._log_in)
        signed = await self.sign_in(gateway, account, PASSWORD)
        assert signed == SignedIn(SESSION, TelegramID(9001))
        [check] = server.sent(functions.auth.CheckPasswordRequest)
        assert check.password.srp_id == 42

    async def test_a_wrong_password(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        self.two_step(server, errors.PasswordHashInvalidError(request=None))
        await raised(self.sign_in(gateway, account, PASSWORD), InvalidPassword)

    @staticmethod
    def two_step(server: FakeTelegram, check_reply: object) -> None:
        prime = int.from_bytes(SRP_PRIME, "big")
        algo = types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
            salt1=b"salt-one", salt2=b"salt-two", g=3, p=SRP_PRIME
        )
        server.on(functions.auth.SignInRequest, errors.SessionPasswordNeededError(request=None))
        server.on(
            functions.account.GetPasswordRequest,
            types.account.Password(
                new_algo=types.PasswordKdfAlgoUnknown(),
                new_secure_algo=types.SecurePasswordKdfAlgoUnknown(),
                secure_random=bytes(32),
                has_password=True,
                current_algo=algo,
                srp_B=pow(3, 1234567890123456789, prime).to_bytes(256, "big"),
                srp_id=42,
            ),
        )
        server.on(functions.auth.CheckPasswordRequest, check_reply)


class TestAccountSessions:
    async def test_an_account_without_a_session_is_not_signed_in(
        self, gateway: TelethonGateway, server: FakeTelegram
    ) -> None:
        account = AccountCredentials("+79990000100", API_ID, API_HASH, None)
        await raised(gateway.send_message(account, "@ivan", "hi", random_id=1), AccountNotSignedIn)
        assert server.clients == []

    async def test_an_unregistered_auth_key_is_a_revoked_session(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        redis: Redis,
        prefix: str,
    ) -> None:
        server.authorized = False
        await raised(
            gateway.send_message(account, "@ivan", "hi", random_id=1), AccountSessionRevoked
        )
        assert not server.clients[0].online
        assert await redis.exists(account_key(prefix)) == 0

    async def test_a_session_revoked_while_connected_is_dropped(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        redis: Redis,
        prefix: str,
    ) -> None:
        await gateway.user_statuses(account, ["@ivan"])
        server.on(
            functions.messages.SendMessageRequest, errors.AuthKeyUnregisteredError(request=None)
        )
        await raised(
            gateway.send_message(account, "@ivan", "hi", random_id=1), AccountSessionRevoked
        )
        assert not server.clients[0].online
        assert await redis.exists(account_key(prefix)) == 0

    async def test_a_session_leased_elsewhere_is_busy(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        redis: Redis,
        prefix: str,
    ) -> None:
        elsewhere = Lease(redis, account_key(prefix), ttl=5, owner="other-host:1:abcd")
        assert await elsewhere.acquire()
        busy = await raised(gateway.user_statuses(account, ["@ivan"]), SessionBusy)
        assert isinstance(busy, RateLimited)  # a job waits for the lease, it does not fail
        assert 1 <= busy.retry_after <= 5
        await raised(gateway.send_login_code(account), SessionBusy)
        assert server.clients == []
        assert await elsewhere.holder() == "other-host:1:abcd"

    async def test_a_lost_lease_disconnects_the_client(
        self, redis: Redis, prefix: str, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        gateway = TelethonGateway(
            redis,
            prefix=prefix,
            bot_api_id=API_ID,
            bot_api_hash=API_HASH,
            lease_ttl=0.3,
            client_factory=server.factory,
        )
        await gateway.user_statuses(account, ["@ivan"])
        await redis.set(account_key(prefix), "thief", px=60_000)
        await until(lambda: not server.clients[0].online)
        await raised(gateway.user_statuses(account, ["@ivan"]), SessionBusy)
        await gateway.close()
        assert await redis.get(account_key(prefix)) == b"thief"

    async def test_an_idle_client_lets_its_session_go(
        self,
        redis: Redis,
        looker: SyncRedis,
        prefix: str,
        server: FakeTelegram,
        account: AccountCredentials,
    ) -> None:
        gateway = TelethonGateway(
            redis,
            prefix=prefix,
            bot_api_id=API_ID,
            bot_api_hash=API_HASH,
            idle_after=0.2,
            client_factory=server.factory,
        )
        leased_during_calls = lease_seen_by_each_request(server, looker, account_key(prefix))
        await gateway.user_statuses(account, ["@ivan"])
        # The client disconnects, then its lease is released: wait for both, in that order.
        await until(lambda: not server.clients[0].online)
        await until(lambda: lease_released(redis, prefix))  # another worker may take it now
        await gateway.user_statuses(account, ["@ivan"])  # and this one again, later
        await gateway.close()

        assert len(leased_during_calls) >= 2  # each call asked Telegram at least once
        assert all(leased_during_calls)
        assert [client.online for client in server.clients] == [False, False]

    async def test_close_disconnects_and_releases(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        redis: Redis,
        prefix: str,
    ) -> None:
        await gateway.user_statuses(account, ["@ivan"])
        assert await redis.exists(account_key(prefix)) == 1
        await gateway.close()
        assert [c.online for c in server.clients] == [False]
        assert await redis.exists(account_key(prefix)) == 0


class TestUserStatuses:
    async def test_by_username_and_id_leaving_out_unknown_users(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        seen = await gateway.user_statuses(account, ["@ivan", "1002", "@nobody_here"])
        assert [(s.user_id, s.online, s.last_seen, s.username) for s in seen] == [
            (1001, True, None, "ivan"),
            (1002, False, NOW, "maria"),
        ]
        [batch] = [r for r in server.sent(functions.users.GetUsersRequest) if len(r.id) == 2]
        assert batch.id == [types.InputUser(1001, 11), types.InputUser(1002, 12)]


class TestStatusUpdates:
    async def test_yields_status_changes_and_unregisters(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        stream = cast("AsyncGenerator[StatusObservation, None]", gateway.status_updates(account))
        first = asyncio.ensure_future(anext(stream))
        client = await self.listening(server)
        [(handler, _)] = client.list_event_handlers()
        await handler(
            UserUpdate.Event(types.PeerUser(1001), typing=types.SendMessageTypingAction())
        )
        offline = types.UserStatusOffline(was_online=NOW)
        await handler(UserUpdate.Event(types.PeerUser(1001), status=offline))
        seen = await asyncio.wait_for(first, DEADLINE)
        assert (seen.user_id, seen.online, seen.last_seen) == (1001, False, NOW)
        await stream.aclose()
        assert client.list_event_handlers() == []

    async def test_ends_when_the_client_disconnects(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        stream = gateway.status_updates(account)
        waiting = asyncio.ensure_future(anext(stream))
        client = await self.listening(server)
        await client.disconnect()
        with pytest.raises(ExternalUnavailable):
            await asyncio.wait_for(waiting, DEADLINE)

    @staticmethod
    async def listening(server: FakeTelegram) -> OfflineClient:
        await until(lambda: bool(server.clients and server.clients[0].list_event_handlers()))
        return server.clients[0]


class TestImportPhone:
    async def test_returns_the_user_behind_the_phone(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.contacts.ImportContactsRequest,
            lambda r: types.contacts.ImportedContacts(
                [types.ImportedContact(1001, r.contacts[0].client_id)], [], [], [IVAN]
            ),
        )
        user = await gateway.import_phone(account, "+79990000001")
        assert user is not None
        assert (user.id, user.phone) == (1001, "+79990000001")

    async def test_none_when_nobody_has_the_phone(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.contacts.ImportContactsRequest,
            types.contacts.ImportedContacts([], [], [], []),
        )
        assert await gateway.import_phone(account, "+79990000009") is None

    async def test_a_deferred_import_is_rate_limited(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.contacts.ImportContactsRequest,
            lambda r: types.contacts.ImportedContacts([], [], [r.contacts[0].client_id], []),
        )
        await raised(gateway.import_phone(account, "+79990000001"), RateLimited)


class TestDeleteContact:
    NO_UPDATES = types.Updates(updates=[], users=[], chats=[], date=NOW, seq=0)

    async def test_deletes_the_user_as_an_input_user(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.contacts.DeleteContactsRequest, self.NO_UPDATES)
        await gateway.delete_contact(account, TelegramID(1001))
        [request] = server.sent(functions.contacts.DeleteContactsRequest)
        assert request.id == [types.InputUser(1001, 11)]

    @pytest.mark.parametrize(
        "reply",
        [NO_UPDATES, errors.ContactIdInvalidError(request=None)],
        ids=["no_change", "contact_id_invalid"],
    )
    async def test_someone_who_is_no_contact_is_no_error(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        reply: object,
    ) -> None:
        server.on(functions.contacts.DeleteContactsRequest, reply)
        await gateway.delete_contact(account, TelegramID(1002))
        await gateway.delete_contact(account, TelegramID(1002))
        assert len(server.sent(functions.contacts.DeleteContactsRequest)) == 2

    async def test_a_flood_wait_is_rate_limited(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.contacts.DeleteContactsRequest,
            errors.FloodWaitError(request=None, capture=42),
        )
        error = await raised(gateway.delete_contact(account, TelegramID(1001)), RateLimited)
        assert isinstance(error, RateLimited)
        assert error.retry_after == 42

    async def test_a_revoked_session_is_dropped(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        redis: Redis,
        prefix: str,
    ) -> None:
        server.on(
            functions.contacts.DeleteContactsRequest, errors.SessionRevokedError(request=None)
        )
        await raised(gateway.delete_contact(account, TelegramID(1001)), AccountSessionRevoked)
        assert not server.clients[0].online
        assert await lease_released(redis, prefix)

    async def test_an_account_without_a_session_is_not_signed_in(
        self, gateway: TelethonGateway, server: FakeTelegram
    ) -> None:
        account = AccountCredentials("+79990000100", API_ID, API_HASH, None)
        await raised(gateway.delete_contact(account, TelegramID(1001)), AccountNotSignedIn)
        assert server.clients == []

    async def test_an_unknown_user_is_not_found(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        await raised(gateway.delete_contact(account, TelegramID(4040)), TelegramNotFound)
        assert server.sent(functions.contacts.DeleteContactsRequest) == []


class TestInviteToChannel:
    @staticmethod
    def invited(missing: list[types.MissingInvitee]) -> types.messages.InvitedUsers:
        return types.messages.InvitedUsers(types.Updates([], [], [], NOW, 0), missing)

    async def test_invites_by_channel_username(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.channels.InviteToChannelRequest, self.invited([]))
        outcome = await gateway.invite_to_channel(account, "@demo_channel", TelegramID(1001))
        assert outcome == InviteOutcome(TelegramID(1001), CHANNEL_ID, invited=True)
        [request] = server.sent(functions.channels.InviteToChannelRequest)
        assert request.users == [types.InputUser(1001, 11)]

    async def test_invites_by_invite_link(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.messages.CheckChatInviteRequest, types.ChatInviteAlready(CHANNEL))
        server.on(functions.channels.InviteToChannelRequest, self.invited([]))
        outcome = await gateway.invite_to_channel(account, "t.me/+AbCdEf12", TelegramID(1001))
        assert outcome.channel_id == CHANNEL_ID

    async def test_a_member_already_is_not_invited_again(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.channels.InviteToChannelRequest,
            errors.UserAlreadyParticipantError(request=None),
        )
        outcome = await gateway.invite_to_channel(account, str(CHANNEL_ID), TelegramID(1001))
        assert outcome == InviteOutcome(TelegramID(1001), CHANNEL_ID, invited=False)

    @pytest.mark.parametrize(
        "reply",
        [
            errors.UserPrivacyRestrictedError(request=None),
            invited([types.MissingInvitee(1001, premium_would_allow_invite=True)]),
        ],
        ids=["error", "missing_invitee"],
    )
    async def test_privacy_settings_refuse(
        self,
        gateway: TelethonGateway,
        server: FakeTelegram,
        account: AccountCredentials,
        reply: object,
    ) -> None:
        server.on(functions.channels.InviteToChannelRequest, reply)
        await raised(
            gateway.invite_to_channel(account, "@demo_channel", TelegramID(1001)), PrivacyRestricted
        )

    async def test_an_unknown_user_is_not_found(
        self, gateway: TelethonGateway, account: AccountCredentials
    ) -> None:
        await raised(
            gateway.invite_to_channel(account, "@demo_channel", TelegramID(4040)), TelegramNotFound
        )


class TestExportInviteLink:
    async def test_returns_the_new_link(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.messages.ExportChatInviteRequest,
            types.ChatInviteExported("https://t.me/+XyZ123", admin_id=9001, date=NOW),
        )
        assert await gateway.export_invite_link(account, "@demo_channel") == "https://t.me/+XyZ123"
        [request] = server.sent(functions.messages.ExportChatInviteRequest)
        assert request.peer == types.InputPeerChannel(CHANNEL.id, CHANNEL_HASH)


class TestOpenInvite:
    async def test_a_member_learns_the_channel(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.messages.CheckChatInviteRequest, types.ChatInviteAlready(CHANNEL))
        info = await gateway.open_invite(account, "https://t.me/+AbCdEf12")
        assert (info.id, info.title, info.username) == (CHANNEL_ID, "Demo", "demo_channel")
        [request] = server.sent(functions.messages.CheckChatInviteRequest)
        assert request.hash == "AbCdEf12"

    async def test_a_non_member_sees_only_the_title(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        invite = types.ChatInvite(
            title="Demo", photo=types.PhotoEmpty(id=0), participants_count=3, broadcast=True,
            color=0,
        )  # fmt: skip
        server.on(functions.messages.CheckChatInviteRequest, invite)
        with pytest.raises(InviteNotVisible):
            await gateway.open_invite(account, "https://t.me/joinchat/AbCdEf12")


class TestSendMessage:
    async def test_sends_with_the_given_random_id(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.messages.SendMessageRequest,
            types.UpdateShortSentMessage(id=77, pts=1, pts_count=1, date=NOW, out=True),
        )
        sent = await gateway.send_message(account, "@ivan", "hello", random_id=424242)
        assert sent == SentMessage(TelegramID(1001), 77, NOW)
        [request] = server.sent(functions.messages.SendMessageRequest)
        assert (request.peer, request.message, request.random_id) == (
            types.InputPeerUser(1001, 11),
            "hello",
            424242,
        )

    async def test_a_repeated_random_id_was_delivered_once(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.messages.SendMessageRequest, errors.RandomIdDuplicateError(request=None)
        )
        sent = await gateway.send_message(account, "1001", "hello", random_id=424242)
        assert (sent.user_id, sent.message_id) == (1001, 0)

    async def test_a_flood_wait_is_rate_limited(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(
            functions.messages.SendMessageRequest, errors.FloodWaitError(request=None, capture=30)
        )
        error = await raised(gateway.send_message(account, "@ivan", "hi", random_id=1), RateLimited)
        assert isinstance(error, RateLimited)
        assert error.retry_after == 30

    async def test_a_spam_limited_account_is_peer_flood(
        self, gateway: TelethonGateway, server: FakeTelegram, account: AccountCredentials
    ) -> None:
        server.on(functions.messages.SendMessageRequest, errors.PeerFloodError(request=None))
        await raised(gateway.send_message(account, "@ivan", "hi", random_id=1), PeerFlood)

    async def test_an_unknown_user_is_not_found(
        self, gateway: TelethonGateway, account: AccountCredentials
    ) -> None:
        await raised(
            gateway.send_message(account, "@nobody_here", "hi", random_id=1), TelegramNotFound
        )
