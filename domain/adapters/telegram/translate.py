"""Telethon errors and TL objects as domain values: the one place the two vocabularies meet.

Pure functions, no network. Messages name error classes at most, never what a request
carried: requests hold bot tokens, login codes, password checks and api hashes.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from telethon import errors, utils
from telethon.tl import types

from domain.errors import DomainError, ExternalUnavailable, Invalid, RateLimited
from domain.telegram.errors import (
    AccountSessionRevoked,
    ChatAdminRequired,
    InvalidBotToken,
    InvalidLoginCode,
    InvalidPassword,
    InviteRejected,
    PasswordRequired,
    PeerFlood,
    PrivacyRestricted,
    TelegramError,
    TelegramNotFound,
)
from domain.telegram.model import (
    AdminRights,
    BotInfo,
    ChannelInfo,
    PostedMessage,
    SentMessage,
    StatusObservation,
    TelegramUser,
)
from domain.types import TelegramID

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

# Telethon's utils are unannotated; these give the two we use their real types once.
_get_peer_id: Callable[[object], int] = utils.get_peer_id
_resolve_id: Callable[[int], tuple[int, type]] = utils.resolve_id

_Classes = type[BaseException] | tuple[type[BaseException], ...]


def _unavailable(exc: BaseException) -> DomainError:
    return ExternalUnavailable(f"Telegram is unavailable ({type(exc).__name__}); try again later.")


def _flood(exc: BaseException) -> DomainError:
    seconds = getattr(exc, "seconds", None)
    # FloodErrors without a wait (FROZEN_METHOD_INVALID) mean the account itself is restricted.
    return PeerFlood() if seconds is None else RateLimited(retry_after=float(seconds))


def _phone(message: str) -> Callable[[BaseException], DomainError]:
    return lambda _: Invalid.single("phone", message)


def _text(message: str) -> Callable[[BaseException], DomainError]:
    # The same words as the message: a failed job shows only the message.
    return lambda _: Invalid({"text": [message]}, message)


def _constant(make: Callable[[], DomainError]) -> Callable[[BaseException], DomainError]:
    return lambda _: make()


# First match wins: SessionPasswordNeeded is a 401 and RandomIdDuplicate a 500, so the
# specific rows come before their base classes.
_RULES: tuple[tuple[_Classes, Callable[[BaseException], DomainError]], ...] = (
    (errors.FloodError, _flood),
    (errors.PeerFloodError, _constant(PeerFlood)),
    (
        (errors.UserPrivacyRestrictedError, errors.UserNotMutualContactError),
        _constant(PrivacyRestricted),
    ),
    # Missing rights are ChatAdminRequired for posts and invites alike, as in the simulated world.
    ((errors.ChatAdminRequiredError, errors.ChatWriteForbiddenError), _constant(ChatAdminRequired)),
    (errors.UserChannelsTooMuchError, lambda _: InviteRejected("user_channels_too_much")),
    (errors.UsersTooMuchError, lambda _: InviteRejected("users_too_much")),
    (
        (errors.UserBannedInChannelError, errors.UserKickedError),
        lambda _: InviteRejected("user_banned"),
    ),
    (
        (errors.AccessTokenInvalidError, errors.AccessTokenExpiredError),
        _constant(InvalidBotToken),
    ),
    (
        (errors.PhoneCodeInvalidError, errors.PhoneCodeExpiredError, errors.PhoneCodeEmptyError),
        _constant(InvalidLoginCode),
    ),
    (errors.SessionPasswordNeededError, _constant(PasswordRequired)),
    (errors.PasswordHashInvalidError, _constant(InvalidPassword)),
    (errors.PhoneNumberInvalidError, _phone("Telegram does not accept this phone number.")),
    (errors.PhoneNumberBannedError, _phone("Telegram has banned this phone number.")),
    (errors.PhoneNumberUnoccupiedError, _phone("No Telegram account uses this phone number.")),
    ((errors.UnauthorizedError, errors.AuthKeyDuplicatedError), _constant(AccountSessionRevoked)),
    (
        (
            errors.ChannelPrivateError,
            errors.ChannelInvalidError,
            errors.ChatIdInvalidError,
            errors.InviteHashExpiredError,
            errors.InviteHashInvalidError,
        ),
        lambda _: TelegramNotFound("channel"),
    ),
    (
        (
            errors.UsernameNotOccupiedError,
            errors.UsernameInvalidError,
            errors.PeerIdInvalidError,
            errors.UserIdInvalidError,
        ),
        lambda _: TelegramNotFound("user"),
    ),
    (errors.MessageIdInvalidError, lambda _: TelegramNotFound("message")),
    (errors.MessageTooLongError, _text("Telegram refused the message as too long.")),
    (errors.MessageEmptyError, _text("Telegram refused an empty message.")),
    (
        (errors.ServerError, errors.TimedOutError, ConnectionError, OSError, asyncio.TimeoutError),
        _unavailable,
    ),
)


def translate_error(exc: BaseException) -> DomainError | None:
    """The domain error for a Telegram failure; None when it is no Telegram failure at all.

    An RPC error without a rule of its own still becomes a TelegramError (named by its class,
    never its request), so no Telethon type leaves the adapter.
    """
    for classes, make in _RULES:
        if isinstance(exc, classes):
            return make(exc)
    if isinstance(exc, errors.RPCError):
        return TelegramError(f"Telegram refused the request ({type(exc).__name__}).")
    return None


def marked_channel_id(channel_id: int) -> TelegramID:
    """The ``-100…`` id Bot API and tghub use for a channel's bare MTProto id."""
    return TelegramID(_get_peer_id(types.PeerChannel(channel_id)))


def peer_user_id(peer: object) -> TelegramID:
    """The id an input peer points at: a user's own id, a chat's marked one."""
    return TelegramID(_get_peer_id(peer))


def channel_peer(channel_id: int) -> types.PeerChannel:
    """The peer of a marked (``-100…``) or bare channel id; NotFound for other chat ids."""
    if channel_id > 0:
        return types.PeerChannel(channel_id)
    bare, kind = _resolve_id(channel_id)
    if kind is not types.PeerChannel:
        raise TelegramNotFound("channel", channel_id)
    return types.PeerChannel(bare)


def _username(entity: types.User | types.Channel) -> str | None:
    if entity.username:
        return entity.username
    # Accounts with collectible usernames may have no main one, only a list.
    active = [name.username for name in entity.usernames or () if name.active]
    return active[0] if active else None


def user_from_tl(user: types.User) -> TelegramUser:
    """A Telegram user as the domain sees it; phones get their ``+``."""
    return TelegramUser(
        id=TelegramID(user.id),
        username=_username(user),
        first_name=user.first_name or "",
        last_name=user.last_name or "",
        phone=f"+{user.phone.lstrip('+')}" if user.phone else None,
        is_bot=bool(user.bot),
    )


def bot_from_tl(user: types.User) -> BotInfo:
    """The bot behind a token."""
    return BotInfo(
        id=TelegramID(user.id), username=_username(user) or "", first_name=user.first_name or ""
    )


def status_from_tl(
    user_id: int, status: object, now: datetime, *, username: str | None = None
) -> StatusObservation:
    """Online, offline with a last-seen time, or hidden (``online`` None) for anything vaguer."""
    online: bool | None = None
    last_seen: datetime | None = None
    if isinstance(status, types.UserStatusOnline):
        online = True
    elif isinstance(status, types.UserStatusOffline):
        online, last_seen = False, status.was_online
    return StatusObservation(
        user_id=TelegramID(user_id),
        online=online,
        observed_at=now,
        last_seen=last_seen,
        username=username,
    )


def rights_from_participant(participant: object) -> AdminRights:
    """The creator has every right; an admin what Telegram lists; anyone else none."""
    if isinstance(participant, types.ChannelParticipantCreator):
        return AdminRights(True, True, True, True, True)
    if not isinstance(participant, types.ChannelParticipantAdmin):
        return AdminRights.none()
    rights = participant.admin_rights
    return AdminRights(
        is_admin=True,
        post_messages=bool(rights.post_messages),
        edit_messages=bool(rights.edit_messages),
        delete_messages=bool(rights.delete_messages),
        invite_users=bool(rights.invite_users),
    )


def channel_from_tl(channel: types.Channel) -> ChannelInfo:
    """A channel under its marked id."""
    return ChannelInfo(
        id=marked_channel_id(channel.id), title=channel.title, username=_username(channel)
    )


def posted_from_tl(message: types.Message, channel_id: TelegramID) -> PostedMessage:
    """A channel post; its text is as Telegram stores it, with markdown turned into entities."""
    if message.date is None:
        raise ValueError("Telegram returned a message without a date.")
    return PostedMessage(
        channel_id=channel_id,
        message_id=message.id,
        date=message.date,
        text=message.message or "",
        views=message.views or 0,
    )


def posted_from_messages(messages: Iterable[object], channel_id: TelegramID) -> list[PostedMessage]:
    """The posts among messages fetched by id: ids without a message (None, MessageEmpty) and
    service messages (a pin, a new title) are left out."""
    return [posted_from_tl(m, channel_id) for m in messages if isinstance(m, types.Message)]


def views_from_tl(messages: Iterable[object]) -> dict[int, int]:
    """Views per message id; deleted and never-existing ids (MessageEmpty) are left out."""
    return {m.id: m.views or 0 for m in messages if isinstance(m, types.Message)}


def sent_from_tl(result: object, user_id: int, now: datetime) -> SentMessage:
    """The message a ``messages.sendMessage`` reply describes (short form or full Updates)."""
    if isinstance(result, types.UpdateShortSentMessage) and result.date is not None:
        return SentMessage(user_id=TelegramID(user_id), message_id=result.id, date=result.date)
    updates = result.updates if isinstance(result, types.Updates) else []
    ids = [u.id for u in updates if isinstance(u, types.UpdateMessageID)]
    date = result.date if isinstance(result, types.Updates) and result.date else now
    return SentMessage(user_id=TelegramID(user_id), message_id=ids[0] if ids else 0, date=date)
