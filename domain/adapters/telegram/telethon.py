"""``TelegramGateway`` over MTProto with Telethon: one leased client per session.

An auth key used from two processes at once is destroyed by Telegram (AUTH_KEY_DUPLICATED),
so every client runs under a Redis lease on its session and is dropped the moment the lease
is lost. Clients are cached per session inside the process; ``close()`` ends them all.
Every Telethon call goes through ``_guard``, which turns Telegram failures into domain errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from redis.exceptions import RedisError
from telethon import TelegramClient, errors
from telethon.events.userupdate import UserUpdate
from telethon.sessions.string import StringSession
from telethon.tl import functions, types

from domain.adapters.lease import Lease, LeaseKeeper
from domain.adapters.telegram.markdown import parse_post
from domain.adapters.telegram.translate import (
    bot_from_tl,
    channel_from_tl,
    channel_peer,
    marked_channel_id,
    peer_user_id,
    posted_from_messages,
    posted_from_tl,
    rights_from_participant,
    sent_from_tl,
    status_from_tl,
    translate_error,
    user_from_tl,
    views_from_tl,
)
from domain.errors import ExternalUnavailable, NotFound, RateLimited
from domain.telegram.errors import (
    AccountNotSignedIn,
    AccountSessionRevoked,
    BotCannotOpenInvite,
    InvalidBotToken,
    InvalidLoginCode,
    InviteNotVisible,
    PrivacyRestricted,
    SessionBusy,
    TelegramNotFound,
)
from domain.telegram.model import (
    AdminRights,
    BotInfo,
    ChannelInfo,
    InviteOutcome,
    LoginCode,
    PostedMessage,
    SentMessage,
    SignedIn,
    StatusObservation,
    TelegramUser,
)
from domain.telegram.rules import RefKind, parse_channel_ref
from domain.telegram.rules import random_id as stable_id
from domain.types import TelegramID

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

    from redis.asyncio import Redis
    from telethon.events.common import EventBuilder
    from telethon.hints import EntitiesLike, EntityLike
    from telethon.sessions.abstract import Session

    from domain.ports import TelegramGateway
    from domain.telegram.model import AccountCredentials, BotCredentials

    ClientFactory = Callable[[str, int, str], TelegramClient]

T = TypeVar("T")
log = logging.getLogger(__name__)

# Telegram answers at most this many ids per users.getUsers / channels.getMessages call.
_USERS_PER_CALL = 200
_MESSAGES_PER_CALL = 100
# importContacts names no wait when it defers a phone; a minute matches its usual pace.
_IMPORT_RETRY_AFTER = 60.0
# Telethon's event builders are unannotated; this gives the one we use its real type.
_status_events: Callable[[], EventBuilder] = UserUpdate


def default_client(session: str, api_id: int, api_hash: str) -> TelegramClient:
    """A real client; FloodWait is raised (then RateLimited) instead of slept through."""
    return TelegramClient(
        StringSession(session),
        api_id,
        api_hash,
        flood_sleep_threshold=0,
        receive_updates=True,  # status_updates needs them; other verbs just ignore them
    )


@dataclass
class _Held:
    """A connected client and the lease that lets this process use its session."""

    key: str
    client: TelegramClient
    keeper: LeaseKeeper
    # What the client was built from (a session or a token): a different one needs a new client.
    fingerprint: str = field(repr=False)
    last_used: float = 0.0
    # Streams (status_updates) using the client; an idle client is released only at zero.
    streams: int = 0
    reaper: asyncio.Task[None] | None = None


class TelethonGateway:
    """The real Telegram, for workers and listeners; sessions arrive decrypted in credentials."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        bot_api_id: int,
        bot_api_hash: str,
        lease_ttl: float = 30.0,
        idle_after: float = 60.0,
        client_factory: ClientFactory | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._bot_app = (bot_api_id, bot_api_hash)
        self._lease_ttl = lease_ttl
        # A client unused this long is disconnected and its lease released, so the session
        # can serve jobs in other worker processes.
        self._idle_after = idle_after
        self._factory = client_factory or default_client
        self._held: dict[str, _Held] = {}
        self._opening: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    # -- bot verbs ---------------------------------------------------------------------------

    async def verify_bot(self, bot: BotCredentials) -> BotInfo:
        """The bot behind the token; ``InvalidBotToken`` when Telegram refuses it."""
        return bot_from_tl(await self._as_bot(bot, _me))

    async def resolve_channel(self, bot: BotCredentials, ref: str) -> ChannelInfo:
        """A channel by t.me link, @username or id; bots cannot open invite links."""
        parsed = parse_channel_ref(ref)
        if parsed.kind is RefKind.INVITE:
            # messages.checkChatInvite is a user-only method: no bot can resolve this link.
            raise BotCannotOpenInvite(ref)
        key = parsed.value if parsed.kind is RefKind.USERNAME else channel_peer(int(parsed.value))
        return await self._as_bot(bot, lambda c: _find_channel(c, key, ref))

    async def open_invite(self, account: AccountCredentials, ref: str) -> ChannelInfo:
        """The channel of a private invite link; the account must be one of its members."""
        return await self._as_account(account, lambda c: _open_invite(c, ref))

    async def bot_rights(self, bot: BotCredentials, channel_id: TelegramID) -> AdminRights:
        """What the bot may do in the channel; no rights when it is not an admin there."""
        return await self._as_bot(bot, lambda c: _own_rights(c, channel_id))

    async def post_markdown(
        self, bot: BotCredentials, channel_id: TelegramID, text: str
    ) -> PostedMessage:
        """Post ``text`` (Telethon's Markdown) in the channel as the bot.

        The text is parsed first, with the parser the client then sends with, so a post
        Telegram would refuse (empty, or over 4096 characters once parsed) is ``Invalid``
        before any connection.
        """
        parse_post(text)
        return await self._as_bot(bot, lambda c: _post(c, channel_id, text))

    async def message_views(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> dict[int, int]:
        """Views per message id; ids that do not exist are left out."""
        if not message_ids:
            return {}
        return await self._as_bot(bot, lambda c: _views(c, channel_id, message_ids))

    async def channel_messages(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> list[PostedMessage]:
        """The channel's messages of these ids that exist, in id order (``get_messages``)."""
        if not message_ids:
            return []
        return await self._as_bot(bot, lambda c: _messages(c, channel_id, message_ids))

    # -- account verbs -----------------------------------------------------------------------

    async def send_login_code(self, account: AccountCredentials) -> LoginCode:
        """Ask Telegram to send a login code; the returned session must be continued."""
        async with self._login(account) as client:
            sent = await _guard(client.send_code_request(account.phone))
            return LoginCode(phone_code_hash=sent.phone_code_hash, session=_saved(client))

    async def sign_in(
        self,
        account: AccountCredentials,
        *,
        code: str,
        phone_code_hash: str,
        password: str | None = None,
    ) -> SignedIn:
        """``InvalidLoginCode``, ``PasswordRequired`` or ``InvalidPassword`` on refusal."""
        async with self._login(account) as client:
            user = await _guard(_sign_in(client, account.phone, code, phone_code_hash, password))
            return SignedIn(session=_saved(client), user_id=TelegramID(user.id))

    async def user_statuses(
        self, account: AccountCredentials, users: Sequence[str]
    ) -> list[StatusObservation]:
        """Current status of users by @username or id; users Telegram does not know are left out."""
        return await self._as_account(account, lambda c: _statuses(c, users))

    async def status_updates(self, account: AccountCredentials) -> AsyncIterator[StatusObservation]:
        """Status changes of the users the account can see, until the client disconnects."""
        key, client = await self._account_client(account)
        held = self._held[key]
        held.streams += 1
        queue: asyncio.Queue[StatusObservation | BaseException] = asyncio.Queue()

        async def on_update(event: UserUpdate.Event) -> None:
            if event.status is not None:  # typing notifications arrive as UserUpdate too
                queue.put_nowait(status_from_tl(event.user_id, event.status, _now()))

        gone = client.disconnected
        gone.add_done_callback(lambda done: queue.put_nowait(_disconnection(done)))
        builder = _status_events()
        client.add_event_handler(on_update, builder)
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            client.remove_event_handler(on_update, builder)
            gone.cancel()
            held.streams -= 1
            self._touch(key, client)

    async def import_phone(self, account: AccountCredentials, phone: str) -> TelegramUser | None:
        """Add a phone to the account's contacts; None when no Telegram user has it."""
        return await self._as_account(account, lambda c: _import(c, phone))

    async def delete_contact(self, account: AccountCredentials, user_id: TelegramID) -> None:
        """Remove the user from the account's contacts; one not among them is no error."""
        await self._as_account(account, lambda c: _delete_contact(c, user_id))

    async def invite_to_channel(
        self, account: AccountCredentials, channel: str, user_id: TelegramID
    ) -> InviteOutcome:
        """``PrivacyRestricted``/``ChatAdminRequired``/``InviteRejected`` when it cannot be done."""
        return await self._as_account(account, lambda c: _invite(c, channel, user_id))

    async def export_invite_link(self, account: AccountCredentials, channel: str) -> str:
        """A new invite link to the channel (the account needs the invite right)."""
        return await self._as_account(account, lambda c: _export_link(c, channel))

    async def send_message(
        self, account: AccountCredentials, user: str, text: str, *, random_id: int
    ) -> SentMessage:
        """Send a text; a repeated ``random_id`` is delivered once (Telegram's own dedup)."""
        return await self._as_account(account, lambda c: _send(c, user, text, random_id))

    async def close(self) -> None:
        """Disconnect clients and release their session leases."""
        await asyncio.gather(*(self._drop(held) for held in list(self._held.values())))

    # -- clients under leases ----------------------------------------------------------------

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}:lease:telegram:{kind}:{name}"

    async def _as_bot(self, bot: BotCredentials, op: Callable[[TelegramClient], Awaitable[T]]) -> T:
        key = self._key("bot", str(bot.bot_id))
        try:
            make = partial(self._factory, "", *self._bot_app)
            client = await self._client(key, bot.token, make, _bot_login(bot.token))
            return await self._use(key, client, op)
        except AccountSessionRevoked as exc:
            # A bot session dies when its token is revoked: the token is what is wrong.
            raise InvalidBotToken() from exc

    async def _account_client(self, account: AccountCredentials) -> tuple[str, TelegramClient]:
        session = account.session
        if session is None:
            raise AccountNotSignedIn()
        key = self._key("account", account.phone)
        make = partial(self._factory, session, account.api_id, account.api_hash)
        return key, await self._client(key, session, make, _require_authorized)

    async def _as_account(
        self, account: AccountCredentials, op: Callable[[TelegramClient], Awaitable[T]]
    ) -> T:
        key, client = await self._account_client(account)
        return await self._use(key, client, op)

    async def _use(
        self, key: str, client: TelegramClient, op: Callable[[TelegramClient], Awaitable[T]]
    ) -> T:
        try:
            return await _guard(op(client))
        except AccountSessionRevoked:
            await self._forget(key, client)  # useless now; the next call starts afresh
            raise
        finally:
            self._touch(key, client)

    def _touch(self, key: str, client: TelegramClient) -> None:
        held = self._held.get(key)
        if held is None or held.client is not client:
            return
        held.last_used = asyncio.get_running_loop().time()
        if held.reaper is None or held.reaper.done():
            held.reaper = asyncio.create_task(self._release_when_idle(held))

    async def _release_when_idle(self, held: _Held) -> None:
        loop = asyncio.get_running_loop()
        while self._held.get(held.key) is held:
            idle = loop.time() - held.last_used
            if idle >= self._idle_after and held.streams == 0:
                await self._drop(held)
                return
            await asyncio.sleep(max(self._idle_after - idle, self._idle_after / 10))

    async def _client(
        self,
        key: str,
        fingerprint: str,
        make: Callable[[], TelegramClient],
        prepare: Callable[[TelegramClient], Awaitable[object]],
    ) -> TelegramClient:
        """The cached client of ``key``, or a new one under a freshly acquired lease."""
        async with self._opening[key]:
            held = self._held.get(key)
            if held and held.fingerprint == fingerprint and held.client.is_connected():
                return held.client
            if held is not None:
                await self._drop(held)
            held = await self._hold(key, fingerprint, make)
            self._held[key] = held
            try:
                await _guard(prepare(held.client))
            except BaseException:
                await self._drop(held)
                raise
            return held.client

    @contextlib.asynccontextmanager
    async def _login(self, account: AccountCredentials) -> AsyncIterator[TelegramClient]:
        """A client for one login step, under the account's lease, disconnected afterwards.

        Not cached: the next step may run in another worker, which needs the lease free.
        """
        key = self._key("account", account.phone)
        session = account.session or ""
        async with self._opening[key]:
            await self._forget(key)  # a cached client of this account holds its lease
            make = partial(self._factory, session, account.api_id, account.api_hash)
            held = await self._hold(key, session, make)
        try:
            await _guard(held.client.connect())
            yield held.client
        finally:
            await self._drop(held)

    async def _hold(self, key: str, fingerprint: str, make: Callable[[], TelegramClient]) -> _Held:
        lease = Lease(self._redis, key, ttl=self._lease_ttl)
        try:
            acquired = await lease.acquire()
        except RedisError as exc:
            raise ExternalUnavailable("The session lease store is unavailable.") from exc
        if not acquired:
            raise SessionBusy(retry_after=min(max(await lease.remaining(), 1.0), self._lease_ttl))
        try:
            client = make()
        except BaseException:
            with contextlib.suppress(RedisError):
                await lease.release()
            raise
        keeper = LeaseKeeper(lease, on_lost=lambda: self._lost(held))
        held = _Held(key=key, client=client, keeper=keeper, fingerprint=fingerprint)
        keeper.start()
        return held

    async def _lost(self, held: _Held) -> None:
        log.warning("Lost the lease of %s; disconnecting its Telegram client", held.key)
        await self._drop(held)

    async def _forget(self, key: str, client: TelegramClient | None = None) -> None:
        held = self._held.get(key)
        if held is not None and (client is None or held.client is client):
            await self._drop(held)

    async def _drop(self, held: _Held) -> None:
        """Forget, disconnect, then release: never two live clients on one session."""
        if self._held.get(held.key) is held:
            del self._held[held.key]
        if held.reaper is not None and held.reaper is not asyncio.current_task():
            held.reaper.cancel()
        try:
            await held.client.disconnect()
        except Exception:
            log.warning("Disconnecting the client of %s failed", held.key, exc_info=True)
        await held.keeper.stop()


# -- Telethon steps (each runs inside _guard) ------------------------------------------------


async def _guard(step: Awaitable[T]) -> T:
    """Await a Telethon step; Telegram failures we know leave as domain errors."""
    try:
        return await step
    except Exception as exc:
        error = translate_error(exc)
        if error is None:
            raise
        raise error from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _saved(client: TelegramClient) -> str:
    # Telethon annotates ``client.session`` as None; it is the StringSession we gave it.
    return str(StringSession.save(cast("Session", client.session)))


def _disconnection(done: asyncio.Future[Any]) -> BaseException:
    """Why a status stream ends: the connection failed (translated) or was closed."""
    cause = None if done.cancelled() else done.exception()
    translated = translate_error(cause) if cause is not None else None
    return translated or ExternalUnavailable("The Telegram client disconnected.")


def _bot_login(token: str) -> Callable[[TelegramClient], Awaitable[object]]:
    async def login(client: TelegramClient) -> None:
        # What client.start(bot_token=...) does, minus its prompts and an extra users.getUsers.
        await client.connect()
        await client.sign_in(bot_token=token)

    return login


async def _require_authorized(client: TelegramClient) -> None:
    await client.connect()
    # get_me is None only on 401; is_user_authorized would also say False on a flood wait.
    if await client.get_me() is None:
        raise AccountSessionRevoked()


async def _me(client: TelegramClient) -> types.User:
    me = await client.get_me()
    if not isinstance(me, types.User):
        raise AccountSessionRevoked()
    return me


async def _sign_in(
    client: TelegramClient, phone: str, code: str, code_hash: str, password: str | None
) -> types.User:
    try:
        user = await client.sign_in(phone=phone, code=code, phone_code_hash=code_hash)
    except errors.SessionPasswordNeededError:
        if password is None:
            raise  # becomes PasswordRequired
        user = await client.sign_in(password=password)
    if not isinstance(user, types.User):
        raise InvalidLoginCode()
    return user


def _peer_key(ref: str) -> str | int:
    """``@name``/``name``/``+phone`` go to Telethon as text, ids as numbers."""
    text = ref.strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else text


async def _input_peer(client: TelegramClient, key: EntityLike) -> types.TypeInputPeer | None:
    """The input peer, from Telethon's cache when it can; None when Telegram has no such peer."""
    try:
        return await client.get_input_entity(key)
    except ValueError:  # Telethon's "cannot find any entity", also for unknown usernames
        return None
    except Exception as exc:
        if isinstance(translate_error(exc), NotFound):
            return None
        raise


async def _input_channel(
    client: TelegramClient, key: EntityLike, shown: object
) -> types.InputChannel:
    peer = await _input_peer(client, key)
    if not isinstance(peer, types.InputPeerChannel):
        raise TelegramNotFound("channel", shown)
    return types.InputChannel(peer.channel_id, peer.access_hash)


async def _account_channel(client: TelegramClient, ref: str) -> types.InputChannel:
    parsed = parse_channel_ref(ref)
    if parsed.kind is RefKind.USERNAME:
        return await _input_channel(client, parsed.value, ref)
    if parsed.kind is RefKind.ID:
        return await _input_channel(client, channel_peer(int(parsed.value)), ref)
    invite = await client(functions.messages.CheckChatInviteRequest(hash=parsed.value))
    chat = getattr(invite, "chat", None)  # ChatInviteAlready/Peek; a bare ChatInvite: not in it
    if not isinstance(chat, types.Channel):
        raise TelegramNotFound("channel", ref)
    return types.InputChannel(chat.id, chat.access_hash or 0)


async def _open_invite(client: TelegramClient, ref: str) -> ChannelInfo:
    parsed = parse_channel_ref(ref)
    if parsed.kind is not RefKind.INVITE:
        return await _find_channel(client, ref, ref)
    invite = await client(functions.messages.CheckChatInviteRequest(hash=parsed.value))
    chat = getattr(invite, "chat", None)  # ChatInviteAlready/Peek; a bare ChatInvite: not in it
    if not isinstance(chat, types.Channel):
        raise InviteNotVisible(ref)
    return channel_from_tl(chat)


async def _find_channel(client: TelegramClient, key: EntitiesLike, shown: str) -> ChannelInfo:
    try:
        found = await client.get_entity(key)
    except ValueError:
        found = None
    if not isinstance(found, types.Channel):
        raise TelegramNotFound("channel", shown)
    return channel_from_tl(found)


async def _own_rights(client: TelegramClient, channel_id: TelegramID) -> AdminRights:
    channel = await _input_channel(client, channel_peer(channel_id), channel_id)
    request = functions.channels.GetParticipantRequest(channel, types.InputPeerSelf())
    try:
        result = await client(request)
    except errors.UserNotParticipantError:
        return AdminRights.none()
    return rights_from_participant(result.participant)


async def _post(client: TelegramClient, channel_id: TelegramID, text: str) -> PostedMessage:
    channel = await _input_channel(client, channel_peer(channel_id), channel_id)
    peer = types.InputPeerChannel(channel.channel_id, channel.access_hash)
    message = await client.send_message(peer, text, parse_mode="md")
    return posted_from_tl(message, marked_channel_id(channel.channel_id))


async def _views(
    client: TelegramClient, channel_id: TelegramID, message_ids: Sequence[int]
) -> dict[int, int]:
    channel = await _input_channel(client, channel_peer(channel_id), channel_id)
    views: dict[int, int] = {}
    for start in range(0, len(message_ids), _MESSAGES_PER_CALL):
        chunk: list[types.TypeInputMessage] = [
            types.InputMessageID(i) for i in message_ids[start : start + _MESSAGES_PER_CALL]
        ]
        result = await client(functions.channels.GetMessagesRequest(channel, chunk))
        views.update(views_from_tl(result.messages))
    return views


async def _messages(
    client: TelegramClient, channel_id: TelegramID, message_ids: Sequence[int]
) -> list[PostedMessage]:
    channel = await _input_channel(client, channel_peer(channel_id), channel_id)
    peer = types.InputPeerChannel(channel.channel_id, channel.access_hash)
    marked = marked_channel_id(channel.channel_id)
    ids = sorted(set(message_ids))
    found: list[PostedMessage] = []
    # At most 100 ids a call: past 300 Telethon would sleep between its own chunks.
    for start in range(0, len(ids), _MESSAGES_PER_CALL):
        chunk = ids[start : start + _MESSAGES_PER_CALL]
        # With a list of ids Telethon answers a list, None where an id has no message.
        messages = cast("list[object]", await client.get_messages(peer, ids=chunk))
        found += posted_from_messages(messages, marked)
    return sorted(found, key=lambda posted: posted.message_id)


async def _statuses(client: TelegramClient, refs: Sequence[str]) -> list[StatusObservation]:
    peers = [await _input_peer(client, _peer_key(ref)) for ref in refs]
    wanted: list[types.TypeInputUser] = [
        types.InputUser(p.user_id, p.access_hash)
        for p in peers
        if isinstance(p, types.InputPeerUser)
    ]
    found: list[StatusObservation] = []
    for start in range(0, len(wanted), _USERS_PER_CALL):
        users = await client(
            functions.users.GetUsersRequest(wanted[start : start + _USERS_PER_CALL])
        )
        now = _now()
        found += [
            status_from_tl(u.id, u.status, now, username=user_from_tl(u).username)
            for u in users
            if isinstance(u, types.User)
        ]
    return found


async def _import(client: TelegramClient, phone: str) -> TelegramUser | None:
    client_id = stable_id("import", phone)
    # The contact name is only the account's own label; the phone is a label that tells the truth.
    contact = types.InputPhoneContact(client_id, phone, first_name=phone, last_name="")
    result = await client(functions.contacts.ImportContactsRequest([contact]))
    if client_id in result.retry_contacts:
        raise RateLimited(_IMPORT_RETRY_AFTER, "Telegram deferred this contact import.")
    users = [u for u in result.users if isinstance(u, types.User)]
    return user_from_tl(users[0]) if users else None


async def _input_user(client: TelegramClient, user_id: int) -> types.InputUser:
    peer = await _input_peer(client, user_id)
    if not isinstance(peer, types.InputPeerUser):
        raise TelegramNotFound("user", user_id)
    return types.InputUser(peer.user_id, peer.access_hash)


async def _delete_contact(client: TelegramClient, user_id: TelegramID) -> None:
    user = await _input_user(client, user_id)
    try:
        await client(functions.contacts.DeleteContactsRequest([user]))
    except errors.ContactIdInvalidError:
        # Should Telegram refuse the id as none of the account's contacts, the user is not
        # among them all the same: what the (idempotent) verb promises.
        return


async def _invite(client: TelegramClient, channel_ref: str, user_id: TelegramID) -> InviteOutcome:
    channel = await _account_channel(client, channel_ref)
    user = await _input_user(client, user_id)
    outcome = InviteOutcome(user_id, marked_channel_id(channel.channel_id), invited=True)
    try:
        result = await client(functions.channels.InviteToChannelRequest(channel, [user]))
    except errors.UserAlreadyParticipantError:
        return InviteOutcome(outcome.user_id, outcome.channel_id, invited=False)
    # Since layer 166 privacy refusals come back as missing invitees, not as an error.
    if getattr(result, "missing_invitees", None):
        raise PrivacyRestricted()
    return outcome


async def _export_link(client: TelegramClient, channel_ref: str) -> str:
    channel = await _account_channel(client, channel_ref)
    peer = types.InputPeerChannel(channel.channel_id, channel.access_hash)
    result = await client(functions.messages.ExportChatInviteRequest(peer))
    if not isinstance(result, types.ChatInviteExported):
        raise ExternalUnavailable("Telegram returned no invite link.")
    return str(result.link)


async def _send(client: TelegramClient, user: str, text: str, random_id: int) -> SentMessage:
    peer = await _input_peer(client, _peer_key(user))
    if peer is None:
        raise TelegramNotFound("user", user)
    request = functions.messages.SendMessageRequest(peer, text, random_id=random_id)
    try:
        result = await client(request)
    except errors.RandomIdDuplicateError:
        # An earlier attempt with this random_id was delivered; Telegram does not say its id.
        return SentMessage(user_id=peer_user_id(peer), message_id=0, date=_now())
    return sent_from_tl(result, peer_user_id(peer), _now())


if TYPE_CHECKING:
    _conforms: type[TelegramGateway] = TelethonGateway
