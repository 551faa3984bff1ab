"""The TelegramGateway on the simulated world (tests and the embedded default).

Each verb is one atomic step of the shared world (``WorldStore.update``): the same rules a
real Telegram applies — tokens, rights, privacy, flood limits, ``random_id`` dedup — and every
effect recorded in the world's outbox.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from telethon.tl import types

from domain.adapters.simulated.document import (
    ContactDeleted,
    ContactImported,
    EntityType,
    LoginCodeSent,
    MessageSent,
    TextEntity,
    UserInvited,
)
from domain.adapters.simulated.world import member_key
from domain.adapters.telegram.markdown import parse_post
from domain.errors import DomainError, Invalid
from domain.telegram.errors import (
    AccountNotSignedIn,
    AccountSessionRevoked,
    BotCannotOpenInvite,
    ChatAdminRequired,
    InvalidBotToken,
    InvalidLoginCode,
    InvalidPassword,
    InviteNotVisible,
    PasswordRequired,
    PeerFlood,
    PrivacyRestricted,
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
from domain.telegram.rules import RefKind, normalize_phone, parse_channel_ref
from domain.types import TelegramID

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from telethon.tl.types import TypeMessageEntity

    from domain.adapters.simulated.document import (
        Account,
        Audience,
        Bot,
        Channel,
        FloodMethod,
        Post,
        SlowMethod,
        User,
    )
    from domain.adapters.simulated.store import WorldStore
    from domain.adapters.simulated.world import World
    from domain.ports import TelegramGateway
    from domain.telegram.model import AccountCredentials, BotCredentials


T = TypeVar("T")
# Telethon's Markdown entities by the names the world keeps them under.
_ENTITY_TYPES: dict[type, EntityType] = {
    types.MessageEntityBold: "bold",
    types.MessageEntityItalic: "italic",
    types.MessageEntityStrike: "strike",
    types.MessageEntityCode: "code",
    types.MessageEntityPre: "pre",
    types.MessageEntityTextUrl: "text_url",
    types.MessageEntityMentionName: "mention_name",
}


# -- rules of the world, one function per verb ------------------------------------------------


def _bot(world: World, bot: BotCredentials) -> Bot:
    found = world.bot(bot.token)
    if found is None:
        raise InvalidBotToken
    return found


def _signed_in(world: World, creds: AccountCredentials, method: FloodMethod) -> Account:
    if creds.session is None:
        raise AccountNotSignedIn
    try:
        account = world.account(creds.phone)
    except Invalid:  # gone from the world (replaced, or emptied): no session of it works
        raise AccountSessionRevoked from None
    if creds.session not in account.sessions:
        raise AccountSessionRevoked
    world.check_flood(account, method)
    return account


def _rights(channel: Channel, member_id: int) -> AdminRights:
    for admin in channel.admins:
        if admin.id == member_id:
            return AdminRights(
                is_admin=True,
                post_messages=admin.post_messages,
                edit_messages=admin.edit_messages,
                delete_messages=admin.delete_messages,
                invite_users=admin.invite_users,
            )
    return AdminRights.none()


def _channel_info(channel: Channel) -> ChannelInfo:
    return ChannelInfo(
        id=TelegramID(channel.id),
        title=channel.title,
        username=channel.username,
    )


def _user_value(user: User) -> TelegramUser:
    return TelegramUser(
        id=TelegramID(user.id),
        username=user.username,
        first_name=user.first_name,
        last_name=user.last_name,
        phone=user.phone,
    )


def _allows(rule: Audience, user: User, account: Account) -> bool:
    if rule == "everybody":
        return True
    return rule == "contacts" and account.id in user.contacts


def observe(world: World, account: Account, user: User) -> StatusObservation:
    if not _allows(user.privacy.status, user, account):
        return StatusObservation(
            user_id=TelegramID(user.id),
            online=None,
            observed_at=world.now_dt,
            username=user.username,
        )
    online = world.is_online(user)
    last_seen = None if online else datetime.fromtimestamp(world.last_seen(user), UTC)
    return StatusObservation(
        user_id=TelegramID(user.id),
        online=online,
        observed_at=world.now_dt,
        last_seen=last_seen,
        username=user.username,
    )


def verify_bot(world: World, bot: BotCredentials) -> BotInfo:
    found = _bot(world, bot)
    return BotInfo(id=TelegramID(found.id), username=found.username, first_name=found.first_name)


def resolve_channel(world: World, bot: BotCredentials, ref: str) -> ChannelInfo:
    _bot(world, bot)
    if parse_channel_ref(ref).kind is RefKind.INVITE:
        raise BotCannotOpenInvite(ref)  # messages.checkChatInvite is for user accounts only
    return _channel_info(world.channel(ref))


def open_invite(world: World, creds: AccountCredentials, ref: str) -> ChannelInfo:
    account = _signed_in(world, creds, "open_invite")
    channel = world.channel(ref)
    admin = _rights(channel, account.id) != AdminRights.none()
    if not admin and not world.is_member(channel, account.id):
        # messages.checkChatInvite shows a non-member only the invite's title, not the channel.
        raise InviteNotVisible(ref)
    return _channel_info(channel)


def bot_rights(world: World, bot: BotCredentials, channel_id: int) -> AdminRights:
    return _rights(world.channel(channel_id), _bot(world, bot).id)


def post_markdown(
    world: World, bot: BotCredentials, channel_id: int, text: str, entities: Sequence[TextEntity]
) -> PostedMessage:
    """Post ``text`` (plain, Markdown already parsed into ``entities``) as the bot."""
    found, channel = _bot(world, bot), world.channel(channel_id)
    world.check_bot_flood(found, "post_markdown")
    if not _rights(channel, found.id).post_messages:
        raise ChatAdminRequired
    post = world.add_post(channel, text, 0, f"@{found.username}", entities)
    return _posted(world, channel, post)


def _posted(world: World, channel: Channel, post: Post) -> PostedMessage:
    date = world.now if post.date is None else post.date
    return PostedMessage(
        channel_id=TelegramID(channel.id),
        message_id=post.id,
        date=datetime.fromtimestamp(date, UTC),
        text=post.text,
        views=world.views(channel, post),
    )


def stored_entities(entities: Sequence[TypeMessageEntity]) -> list[TextEntity]:
    """Telethon's entities as the world keeps them (Telegram's constructor names, lower case)."""
    stored = []
    for entity in entities:
        kind = _ENTITY_TYPES.get(type(entity))
        if kind is None:
            continue  # Telethon's Markdown makes none other
        url = entity.url if isinstance(entity, types.MessageEntityTextUrl) else None
        language = entity.language if isinstance(entity, types.MessageEntityPre) else None
        user_id = entity.user_id if isinstance(entity, types.MessageEntityMentionName) else None
        stored.append(
            TextEntity(
                type=kind,
                offset=entity.offset,
                length=entity.length,
                url=url,
                language=language,
                user_id=user_id,
            )
        )
    return stored


def channel_messages(
    world: World, bot: BotCredentials, channel_id: int, ids: Sequence[int]
) -> list[PostedMessage]:
    _bot(world, bot)
    channel = world.channel(channel_id)
    wanted = set(ids)
    found = sorted((p for p in channel.posts if p.id in wanted), key=lambda p: p.id)
    return [_posted(world, channel, post) for post in found]


def message_views(
    world: World, bot: BotCredentials, channel_id: int, ids: Sequence[int]
) -> dict[int, int]:
    _bot(world, bot)
    channel = world.channel(channel_id)
    wanted = set(ids)
    return {p.id: world.views(channel, p) for p in channel.posts if p.id in wanted}


def send_login_code(world: World, creds: AccountCredentials) -> LoginCode:
    account = world.account(creds.phone)
    world.check_flood(account, "send_login_code")
    code_hash, session = secrets.token_hex(8), creds.session or f"sim-{secrets.token_hex(16)}"
    account.code_hash, account.pending_session = code_hash, session
    world.record(LoginCodeSent(phone=account.phone))
    return LoginCode(phone_code_hash=code_hash, session=session)


def sign_in(
    world: World, creds: AccountCredentials, code: str, code_hash: str, password: str | None
) -> SignedIn:
    account = world.account(creds.phone)
    if not account.code_hash or code_hash != account.code_hash or code != account.code:
        raise InvalidLoginCode
    session = account.pending_session
    if session is None or creds.session != session:
        raise InvalidLoginCode  # the code belongs to the auth key that asked for it
    if account.password and password is None:
        raise PasswordRequired
    if account.password and password != account.password:
        raise InvalidPassword
    account.pending_session, account.code_hash = None, None
    account.sessions.append(session)
    return SignedIn(session=session, user_id=TelegramID(account.id))


def user_statuses(
    world: World, creds: AccountCredentials, users: Sequence[str]
) -> list[StatusObservation]:
    account = _signed_in(world, creds, "user_statuses")
    return [observe(world, account, user) for user in world.users(users) if user is not None]


def visible_statuses(world: World, creds: AccountCredentials) -> dict[int, StatusObservation]:
    account = _signed_in(world, creds, "updates")
    return {u.id: observe(world, account, u) for u in world.changing_users()}


def import_phone(world: World, creds: AccountCredentials, phone: str) -> TelegramUser | None:
    account = _signed_in(world, creds, "import_phone")
    user = world.user_by_phone(phone)
    world.record(
        ContactImported(account=account.phone, phone=phone, user_id=user.id if user else None)
    )
    if user is None:
        return None
    world.add_contact(account, user)
    return _user_value(user)


def delete_contact(world: World, creds: AccountCredentials, user_id: int) -> None:
    """The user leaves the account's contacts; one who was not among them is no error (the
    step reads no contacts, as Telegram answers the same either way)."""
    account = _signed_in(world, creds, "delete_contact")
    user = world.user(user_id)
    world.remove_contact(account, user)
    world.record(ContactDeleted(account=account.phone, user_id=user.id))


def invite_to_channel(
    world: World, creds: AccountCredentials, channel_ref: str, user_id: int
) -> InviteOutcome:
    account = _signed_in(world, creds, "invite_to_channel")
    channel, user = world.channel(channel_ref), world.user(user_id)
    outcome = InviteOutcome(
        user_id=TelegramID(user.id), channel_id=TelegramID(channel.id), invited=False
    )
    if account.peer_flood:
        raise PeerFlood
    if not _rights(channel, account.id).invite_users:
        raise ChatAdminRequired
    if world.is_member(channel, user.id):
        return outcome
    if not _allows(user.privacy.invites, user, account):
        raise PrivacyRestricted
    world.add_member(channel, user)
    world.record(UserInvited(account=account.phone, channel_id=channel.id, user_id=user.id))
    return InviteOutcome(user_id=outcome.user_id, channel_id=outcome.channel_id, invited=True)


def export_invite_link(world: World, creds: AccountCredentials, channel_ref: str) -> str:
    account = _signed_in(world, creds, "export_invite_link")
    channel = world.channel(channel_ref)
    if not _rights(channel, account.id).invite_users:
        raise ChatAdminRequired
    if not channel.invite_hash:
        channel.invite_hash = secrets.token_urlsafe(12)
    return f"https://t.me/+{channel.invite_hash}"


def send_message(
    world: World, creds: AccountCredentials, user_ref: str, text: str, random_id: int
) -> SentMessage:
    account = _signed_in(world, creds, "send_message")
    if account.peer_flood:
        raise PeerFlood
    user = world.user(user_ref)
    key = sent_key(account.phone, random_id)
    message_id = world.sent_message(key)
    if message_id is None:  # Telegram delivers one message per random_id
        entry = MessageSent(
            account=account.phone, user_id=user.id, text=text, random_id=str(random_id)
        )
        world.record(entry)
        world.mark_sent(key, entry.seq)
        message_id = entry.seq
    return SentMessage(user_id=TelegramID(user.id), message_id=message_id, date=world.now_dt)


def sent_key(phone: str, random_id: int) -> str:
    """The key of the sent index a message is delivered under: an account's random_id."""
    return f"{phone}:{random_id}"


def _sent_keys(phone: str, random_id: int) -> list[str]:
    """The sent key ``send_message`` will look up, for the store to read with the world (none
    for a phone no account can have: the step fails before it looks)."""
    try:
        return [sent_key(normalize_phone(phone), random_id)]
    except Invalid:
        return []


def _invitee_keys(world: World, channel_ref: str, user_id: int) -> list[str]:
    """The member key ``invite_to_channel`` will look up: the user's in the channel (none
    when the reference names no channel or user: the step fails before it looks)."""
    try:
        return [member_key(world.channel(channel_ref).id, world.user(user_id).id)]
    except DomainError:
        return []


def _own_member_keys(world: World, channel_ref: str, phone: str) -> list[str]:
    """The member key ``open_invite`` will look up: the account's own in the channel."""
    try:
        return [member_key(world.channel(channel_ref).id, world.account(phone).id)]
    except DomainError:
        return []


# -- the adapter --------------------------------------------------------------------------------


class SimulatedGateway:
    def __init__(self, store: WorldStore, *, poll_interval: float = 1.0) -> None:
        self.store = store
        self.poll_interval = poll_interval

    async def _answered(
        self,
        phone: str,
        method: SlowMethod,
        step: Callable[[World], T],
        *,
        sent_keys: Sequence[str] = (),
        member_keys: Callable[[World], Sequence[str]] | None = None,
    ) -> T:
        """One step of the world, answered after the account's configured latency for
        ``method`` (a real RPC takes time too), read in the same step."""

        def timed(world: World) -> tuple[T, float]:
            result = step(world)
            return result, world.account(phone).latency.get(method, 0.0)

        result, latency = await self.store.update(
            timed, sent_keys=sent_keys, member_keys=member_keys
        )
        await asyncio.sleep(latency)
        return result

    async def verify_bot(self, bot: BotCredentials) -> BotInfo:
        return await self.store.view(lambda w: verify_bot(w, bot))

    async def resolve_channel(self, bot: BotCredentials, ref: str) -> ChannelInfo:
        return await self.store.view(lambda w: resolve_channel(w, bot, ref))

    async def open_invite(self, account: AccountCredentials, ref: str) -> ChannelInfo:
        return await self.store.update(
            lambda w: open_invite(w, account, ref),
            member_keys=lambda w: _own_member_keys(w, ref, account.phone),
        )

    async def bot_rights(self, bot: BotCredentials, channel_id: TelegramID) -> AdminRights:
        return await self.store.view(lambda w: bot_rights(w, bot, channel_id))

    async def post_markdown(
        self, bot: BotCredentials, channel_id: TelegramID, text: str
    ) -> PostedMessage:
        plain, entities = parse_post(text)  # refused before anything is sent
        stored = stored_entities(entities)
        return await self.store.update(lambda w: post_markdown(w, bot, channel_id, plain, stored))

    async def channel_messages(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> list[PostedMessage]:
        return await self.store.view(lambda w: channel_messages(w, bot, channel_id, message_ids))

    async def message_views(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> dict[int, int]:
        return await self.store.view(lambda w: message_views(w, bot, channel_id, message_ids))

    async def send_login_code(self, account: AccountCredentials) -> LoginCode:
        return await self.store.update(lambda w: send_login_code(w, account))

    async def sign_in(
        self,
        account: AccountCredentials,
        *,
        code: str,
        phone_code_hash: str,
        password: str | None = None,
    ) -> SignedIn:
        return await self.store.update(
            lambda w: sign_in(w, account, code, phone_code_hash, password)
        )

    async def user_statuses(
        self, account: AccountCredentials, users: Sequence[str]
    ) -> list[StatusObservation]:
        return await self.store.update(lambda w: user_statuses(w, account, users))

    async def status_updates(self, account: AccountCredentials) -> AsyncIterator[StatusObservation]:
        """Polls the world and yields each visible change (the world has no push)."""
        known = await self._visible_statuses(account)
        while True:
            await asyncio.sleep(self.poll_interval)
            current = await self._visible_statuses(account)
            for user_id, seen in current.items():
                before = known.get(user_id)
                if before is None or before.online != seen.online:
                    yield seen
            known = current

    async def _visible_statuses(self, account: AccountCredentials) -> dict[int, StatusObservation]:
        # Shielded: a stream is stopped by cancelling it, and a cancellation that lands while
        # redis-py 5.3 opens a pool connection leaks that connection. The look finishes (in
        # milliseconds) and gives its connection back; the stream stops all the same.
        return await asyncio.shield(self.store.update(lambda w: visible_statuses(w, account)))

    async def import_phone(self, account: AccountCredentials, phone: str) -> TelegramUser | None:
        return await self.store.update(lambda w: import_phone(w, account, phone))

    async def delete_contact(self, account: AccountCredentials, user_id: TelegramID) -> None:
        await self.store.update(lambda w: delete_contact(w, account, user_id))

    async def invite_to_channel(
        self, account: AccountCredentials, channel: str, user_id: TelegramID
    ) -> InviteOutcome:
        return await self._answered(
            account.phone,
            "invite_to_channel",
            lambda w: invite_to_channel(w, account, channel, user_id),
            member_keys=lambda w: _invitee_keys(w, channel, user_id),
        )

    async def export_invite_link(self, account: AccountCredentials, channel: str) -> str:
        return await self.store.update(lambda w: export_invite_link(w, account, channel))

    async def send_message(
        self, account: AccountCredentials, user: str, text: str, *, random_id: int
    ) -> SentMessage:
        return await self._answered(
            account.phone,
            "send_message",
            lambda w: send_message(w, account, user, text, random_id),
            sent_keys=_sent_keys(account.phone, random_id),
        )

    async def close(self) -> None:
        return None


if TYPE_CHECKING:
    _conforms: type[TelegramGateway] = SimulatedGateway
