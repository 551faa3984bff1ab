"""Errors of online tracking, worded as the legacy service answered (400 ``detail``)."""

from __future__ import annotations

from domain.errors import Conflict


class UserLimitReached(Conflict):
    """The Telegram user tracks as many users as its ``max_users`` allows."""

    code = "tracking_user_limit"
    default_message = "Лимит отслеживаемых пользователей для данного TelegramUser исчерпан."


class NoFreeTracker(Conflict):
    """No active, authorised tracker (or not the one asked for) has a free slot."""

    code = "no_free_tracker"
    default_message = "Не удалось найти свободный аккаунт для привязки."


class NotEnoughSlots(Conflict):
    """A tracker cannot be deleted: the others cannot take all its tracked users."""

    code = "not_enough_slots"
    default_message = "Недостаточно свободных слотов, чтобы перевесить всех TrackedUser."


class NoTelegramAccount(Conflict):
    default_message = "The tracker has no Telegram account yet: give it a setting with its phone."


class AmbiguousUsername(Conflict):
    """A ``by-username`` route met several tracked users of that username (several clients
    track it): which one is meant only their ids say."""

    code = "ambiguous_username"
    default_message = "Several tracked users have this username; use their ids."


class TrackedUserGone(Conflict):
    """A status was written for a tracked user deleted meanwhile (a writer's cache still had
    it): the batch is written again without the cache."""

    code = "tracked_user_gone"
    default_message = "A tracked user of this batch no longer exists."
