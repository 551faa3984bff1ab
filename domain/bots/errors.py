"""Errors of bot management; the legacy answers' words where the legacy service had them."""

from __future__ import annotations

from domain.errors import Conflict, DomainError, NotFound


class BotNotFound(NotFound):
    def __init__(self, key: object = None) -> None:
        super().__init__("Bot", key, "Бот не найден")


class LinkNotFound(NotFound):
    def __init__(self, key: object = None) -> None:
        super().__init__("Channel", key, "Канал не найден")


class ChannelUnresolvable(DomainError):
    """Telegram knows no such channel, or the reference is not one (the link is stored
    ``invalid`` with Telegram's reason); the legacy route answered 503."""

    code = "channel_unresolvable"
    default_message = "Задан некорректный идентификатор канала"


class ChannelAlreadyLinked(Conflict):
    code = "channel_already_linked"
    default_message = "This channel is linked already (a new or active link serves it)."


class NoActiveBot(Conflict):
    code = "no_active_bot"
    default_message = "No active bot can take the channel: add or activate a bot first."


class BotInactive(Conflict):
    code = "bot_inactive"
    default_message = "This bot is not active."


class BotInUse(Conflict):
    code = "bot_in_use"
    default_message = "The bot still serves channels: delete their links first."


class NoUsableBot(Conflict):
    """Posting into a channel no active link serves."""

    code = "no_usable_bot"
    default_message = "No active bot link serves this channel: link a bot and make it an admin."


class PostUnrecorded(Conflict):
    code = "post_unrecorded"
    default_message = "The post was published, but its channel link is gone."
