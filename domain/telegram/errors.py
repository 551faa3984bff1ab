"""Errors the Telegram gateway raises; adapters translate their own failures into these once."""

from __future__ import annotations

from domain.errors import Conflict, DomainError, Invalid, NotFound, RateLimited


class TelegramError(DomainError):
    code = "telegram_error"
    default_message = "Telegram refused the request."


class AccountSessionRevoked(TelegramError):
    """The stored session no longer works (logged out, key unregistered or duplicated)."""

    code = "session_revoked"
    default_message = "The Telegram session was revoked; sign the account in again."


class AccountNotSignedIn(TelegramError):
    code = "not_signed_in"
    default_message = "The Telegram account has no session yet; sign it in first."


class PeerFlood(TelegramError):
    """Telegram considers the account a spammer for now: pause it, do not retry soon."""

    code = "peer_flood"
    default_message = "Telegram limits this account for spam (PEER_FLOOD)."


class PrivacyRestricted(TelegramError):
    """The user's privacy settings forbid this (an invite, a status, a message)."""

    code = "privacy_restricted"
    default_message = "The user's privacy settings do not allow this."


class ChatAdminRequired(TelegramError):
    """The bot or account lacks the admin right this needs (post, invite)."""

    code = "chat_admin_required"
    default_message = "Admin rights in this channel are required."


class InviteRejected(TelegramError):
    code = "invite_rejected"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"The invite was rejected: {reason}.")


def _field(name: str, message: str) -> tuple[dict[str, list[str]], str]:
    """Field errors and the same words as the message: a failed job shows only the message."""
    return {name: [message]}, message


class TelegramNotFound(NotFound):
    def __init__(self, entity: str, key: object = None, message: str | None = None) -> None:
        shown = f"Telegram has no {entity} {key!s}.".replace(" None.", ".")
        super().__init__(entity, key, message or shown)


class BotCannotOpenInvite(TelegramNotFound):
    """Telegram lets only user accounts open invite links (``messages.checkChatInvite``): a
    bot cannot learn which channel a private link names."""

    def __init__(self, ref: object = None) -> None:
        super().__init__(
            "channel",
            ref,
            "A bot cannot open private invite links (Telegram allows that only to user "
            "accounts): give the channel's id (-100…) or a link to one of its posts (t.me/c/…).",
        )


class InvalidBotToken(Invalid):
    def __init__(self) -> None:
        super().__init__(*_field("token", "Telegram does not accept this bot token."))


class InvalidLoginCode(Invalid):
    def __init__(self) -> None:
        super().__init__(*_field("code", "The login code is wrong or expired."))


class PasswordRequired(Invalid):
    def __init__(self) -> None:
        super().__init__(
            *_field("password", "This account has two-step verification: a password is required.")
        )


class InvalidPassword(Invalid):
    def __init__(self) -> None:
        super().__init__(*_field("password", "The two-step verification password is wrong."))


class AlreadyParticipant(Conflict):
    code = "already_participant"
    default_message = "The user is already a member of the channel."


class SessionBusy(RateLimited):
    """Another process holds the session's lease: using it here would duplicate the auth key.

    A wait, not a failure: the holder lets the session go once it has been idle a while.
    """

    code = "session_busy"

    def __init__(self, retry_after: float = 30.0) -> None:
        super().__init__(retry_after, "The Telegram session is in use by another process.")


class InviteNotVisible(TelegramNotFound):
    """``messages.checkChatInvite`` shows a non-member only the invite's title: which channel
    a private link names only its members can learn."""

    def __init__(self, ref: object = None) -> None:
        super().__init__(
            "channel",
            ref,
            "No signed-in account is in the channel this invite link names (Telegram shows it "
            "only to members): give the channel's id (-100…) or a link to one of its posts.",
        )
