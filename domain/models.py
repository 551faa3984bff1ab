"""Every aggregate's model, imported so ``Base.metadata`` is complete (Alembic, tests)."""

from domain.accounts.model import AuthSession, User
from domain.bots.model import Bot, ChannelDailyStats, ChannelLink, ChannelPost
from domain.files.model import StoredFile
from domain.invites.model import InviteLog, InviteRequest, InviteSettings
from domain.jobs.model import Job
from domain.mailing.model import Client, Mailing
from domain.messenger.model import Chat, ChatMember, Message, MessageFile
from domain.orm import Base
from domain.telegram.model import TelegramAccount
from domain.tracking.model import (
    OnlineStatus,
    TelegramUser,
    TrackedUser,
    TrackerAccount,
    TrackerSetting,
)

__all__ = [
    "AuthSession",
    "Base",
    "Bot",
    "ChannelDailyStats",
    "ChannelLink",
    "ChannelPost",
    "Chat",
    "ChatMember",
    "Client",
    "InviteLog",
    "InviteRequest",
    "InviteSettings",
    "Job",
    "Mailing",
    "Message",
    "MessageFile",
    "OnlineStatus",
    "StoredFile",
    "TelegramAccount",
    "TelegramUser",
    "TrackedUser",
    "TrackerAccount",
    "TrackerSetting",
    "User",
]
