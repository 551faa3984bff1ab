"""Online tracking (admins): trackers, settings, clients, tracked users, the status log,
online sessions and the ``onlineStatus`` subscription.

Resolvers translate: global IDs in (integer keys), the viewer as the actor, one service call,
the result rendered. The services speak the legacy service's names (``tracker_account_id``,
``telegram_user_id``, ``TrackerAccount``); errors are told in this API's names instead.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain.errors import Invalid
from domain.text import text_errors
from domain.tracking import rules
from domain.tracking import service as tracking
from domain.tracking.events import CHANNEL, OnlineStatusChanged
from domain.tracking.model import Role, Theme
from domain.tracking.service import TelegramUserChanges
from resolvers.connections import page_of
from resolvers.errors import told_in_names
from resolvers.events import decoded
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.permissions import admin_only
from schema.relay import Connection, global_id, int_id_of, int_of
from schema.tracking import (
    CreateTrackedUserInput,
    CreateTrackedUserPayload,
    CreateTrackedUserSuccess,
    CreateTrackerInput,
    CreateTrackerPayload,
    CreateTrackerSettingInput,
    CreateTrackerSettingPayload,
    CreateTrackerSettingSuccess,
    CreateTrackerSuccess,
    CreateTrackingClientInput,
    CreateTrackingClientPayload,
    CreateTrackingClientSuccess,
    DailyOnlineTotal,
    DeleteTrackedUserInput,
    DeleteTrackedUserPayload,
    DeleteTrackedUserSuccess,
    DeleteTrackerInput,
    DeleteTrackerPayload,
    DeleteTrackerSettingInput,
    DeleteTrackerSettingPayload,
    DeleteTrackerSettingSuccess,
    DeleteTrackerSuccess,
    DeleteTrackingClientInput,
    DeleteTrackingClientPayload,
    DeleteTrackingClientSuccess,
    OnlineSession,
    OnlineStatusEntry,
    OnlineStatusEvent,
    OnlineStatusFilter,
    TrackedUser,
    TrackedUserFilter,
    Tracker,
    TrackerFilter,
    TrackerSetting,
    TrackingClient,
    TrackingClientFilter,
    UpdateTrackedUserInput,
    UpdateTrackedUserPayload,
    UpdateTrackedUserSuccess,
    UpdateTrackerInput,
    UpdateTrackerPayload,
    UpdateTrackerSettingInput,
    UpdateTrackerSettingPayload,
    UpdateTrackerSettingSuccess,
    UpdateTrackerSuccess,
    UpdateTrackingClientInput,
    UpdateTrackingClientPayload,
    UpdateTrackingClientSuccess,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractContextManager


# At most this many tracked users per onlineStatus subscription.
MAX_SUBSCRIBED_USERS = 100

# The legacy models' names, as this API calls them.
TYPE_NAMES = {
    "TrackerAccount": "Tracker",
    "TrackerSetting": "TrackerSetting",
    "TelegramUser": "TrackingClient",
    "TrackedUser": "TrackedUser",
    "OnlineStatus": "OnlineStatusEntry",
}
# The API's input names for the services' legacy field names (snake case: the error table
# camel-cases them). The tracker's credentials are no field of a setting's input.
FIELD_NAMES = {
    "tracker_account_id": "tracker_id",
    "telegram_user_id": "client_id",
}
CREDENTIALS = {"api_id", "api_hash"}


def told_in_api_names(
    *, credentials_as_input: bool = True, query: bool = False
) -> AbstractContextManager[None]:
    """Domain errors in this API's names (``told_in_names``); the tracker's credentials, when
    they are not the input's, concern the input as a whole."""

    def rename(field: str, messages: list[str]) -> tuple[str, list[str]]:
        if field in CREDENTIALS and not credentials_as_input:
            return "non_field_errors", [f"The tracker's {m}" for m in messages]
        return FIELD_NAMES.get(field, field), messages

    return told_in_names(TYPE_NAMES, rename, query=query)


def storable(**fields: str | None) -> None:
    """Invalid for text PostgreSQL cannot hold (NUL, lone surrogates): the services take text
    the legacy routes checked already."""
    errors = {
        name: found
        for name, value in fields.items()
        if value is not None and (found := text_errors(value))
    }
    if errors:
        raise Invalid(errors)


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return None if value is None else int_id_of(value, type_name, field)


def _utc(value: datetime) -> datetime:
    """A time without an offset is UTC (as the legacy filters read it)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _role(value: Role | None) -> str | None:
    return None if value is None else value.value


def _theme(value: Theme | None) -> str | None:
    return None if value is None else value.value


def tracker_filter(given: TrackerFilter | None) -> rules.TrackerFilter:
    if given is None:
        return rules.TrackerFilter()
    return rules.TrackerFilter(
        id=_optional_id(given.id, "Tracker", "id"),
        telegram_id=given.telegram_id,
        is_active=given.is_active,
        is_auth=given.is_auth,
    )


def client_filter(given: TrackingClientFilter | None) -> rules.TelegramUserFilter:
    if given is None:
        return rules.TelegramUserFilter()
    return rules.TelegramUserFilter(
        id=_optional_id(given.id, "TrackingClient", "id"),
        telegram_id=given.telegram_id,
        role=_role(given.role),
    )


def tracked_user_filter(given: TrackedUserFilter | None) -> rules.TrackedUserFilter:
    if given is None:
        return rules.TrackedUserFilter()
    storable(username=given.username)
    return rules.TrackedUserFilter(
        id=_optional_id(given.id, "TrackedUser", "id"),
        username=given.username,
        visible_online=given.visible_online,
        tracker_telegram_id=given.tracker_telegram_id,
        client_telegram_id=given.client_telegram_id,
    )


def status_filter(given: OnlineStatusFilter | None) -> rules.StatusFilter:
    if given is None:
        return rules.StatusFilter()
    storable(username=given.username)
    return rules.StatusFilter(
        id=_optional_id(given.id, "OnlineStatusEntry", "id"),
        is_online=given.is_online,
        tracked_user_id=_optional_id(given.tracked_user_id, "TrackedUser", "trackedUserId"),
        username=given.username,
        created_after=_optional_utc(given.created_after),
        created_before=_optional_utc(given.created_before),
    )


def window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window asked for, in UTC (the service refuses one it cannot read)."""
    return _utc(start), _utc(end)


def tracked_user_ids_of(values: Sequence[strawberry.ID]) -> list[int]:
    if not 0 < len(values) <= MAX_SUBSCRIBED_USERS:
        message = f"Between 1 and {MAX_SUBSCRIBED_USERS} tracked users."
        raise Invalid({"trackedUserIds": [message]}, message=message)
    ids = [int_of(value, "TrackedUser") for value in values]
    found = [i for i in ids if i is not None]
    if len(found) != len(ids):
        message = "Every id must be a TrackedUser id."
        raise Invalid({"trackedUserIds": [message]}, message=message)
    return list(dict.fromkeys(found))


@strawberry.type
class TrackingQuery:
    @strawberry.field(description="Trackers, by id.", extensions=admin_only())
    async def trackers(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: TrackerFilter | None = None,
    ) -> Connection[Tracker]:
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: tracking.tracker_page(
                uow, page, actor=actor, where=tracker_filter(filter)
            ),
            Tracker.from_view,
            tracking.tracker_view_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(
        description="Clients of the tracking bot (Telegram users), by id.",
        extensions=admin_only(),
    )
    async def tracking_clients(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: TrackingClientFilter | None = None,
    ) -> Connection[TrackingClient]:
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: tracking.telegram_user_page(
                uow, page, actor=actor, where=client_filter(filter)
            ),
            TrackingClient.from_model,
            tracking.id_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(description="Tracked users, by id.", extensions=admin_only())
    async def tracked_users(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: TrackedUserFilter | None = None,
    ) -> Connection[TrackedUser]:
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: tracking.tracked_user_page(
                uow, page, actor=actor, where=tracked_user_filter(filter)
            ),
            TrackedUser.from_model,
            tracking.id_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(
        description="The status log (a row per change), in the order written.",
        extensions=admin_only(),
    )
    async def online_statuses(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: OnlineStatusFilter | None = None,
    ) -> Connection[OnlineStatusEntry]:
        return await page_of(
            info,
            first,
            after,
            lambda uow, page, actor: tracking.status_page(
                uow, page, actor=actor, where=status_filter(filter)
            ),
            OnlineStatusEntry.from_model,
            tracking.id_cursor,
            told=told_in_api_names(query=True),
        )

    @strawberry.field(
        description=(
            "A tracked user's online intervals within [from, to) (at most 366 days), from the "
            "status log; one open at either end is cut there. No offset: UTC."
        ),
        extensions=admin_only(),
    )
    async def online_sessions(
        self,
        info: Info,
        tracked_user_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[OnlineSession]:
        viewer = require_viewer(info.context)
        with told_in_api_names(query=True):
            tracked_id = int_id_of(tracked_user_id, "TrackedUser", "trackedUserId")
            start, end = window(from_, to)
            async with info.context.uow() as uow:
                sessions = await tracking.online_sessions(
                    uow, actor=viewer, tracked_user_id=tracked_id, start=start, end=end
                )
        return [
            OnlineSession(started_at=s.started_at, ended_at=s.ended_at, duration_seconds=s.seconds)
            for s in sessions
        ]

    @strawberry.field(
        description=(
            "Seconds a tracked user was online per UTC date within [from, to) (at most 366 "
            "days), dates with none left out. No offset: UTC."
        ),
        extensions=admin_only(),
    )
    async def daily_online_totals(
        self,
        info: Info,
        tracked_user_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[DailyOnlineTotal]:
        viewer = require_viewer(info.context)
        with told_in_api_names(query=True):
            tracked_id = int_id_of(tracked_user_id, "TrackedUser", "trackedUserId")
            start, end = window(from_, to)
            async with info.context.uow() as uow:
                totals = await tracking.daily_online_totals(
                    uow, actor=viewer, tracked_user_id=tracked_id, start=start, end=end
                )
        return [DailyOnlineTotal(date=day, seconds=totals[day]) for day in sorted(totals)]


async def _tracker(info: Info, tracker_id: int) -> Tracker:
    viewer = require_viewer(info.context)
    async with info.context.uow() as uow:
        view = await tracking.get_tracker_view(uow, actor=viewer, tracker_id=tracker_id)
    return Tracker.from_view(view)


@strawberry.type
class TrackingMutation:
    # --- trackers ---

    @strawberry.mutation(
        description="A tracker, before its phone is known (a setting gives it one).",
        extensions=admin_only(),
    )
    async def create_tracker(self, info: Info, input: CreateTrackerInput) -> CreateTrackerPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            storable(api_hash=input.api_hash)
            async with info.context.uow() as uow:
                created = await tracking.create_tracker(
                    uow,
                    info.context.secrets,
                    actor=viewer,
                    telegram_id=input.telegram_id,
                    api_id=input.api_id,
                    api_hash=input.api_hash,
                    is_active=input.is_active,
                    is_auth=input.is_auth,
                )
            return CreateTrackerSuccess(tracker=await _tracker(info, created.id))

    @strawberry.mutation(description="Change a tracker's fields.", extensions=admin_only())
    async def update_tracker(self, info: Info, input: UpdateTrackerInput) -> UpdateTrackerPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            tracker_id = int_id_of(input.tracker_id, "Tracker", "trackerId")
            storable(api_hash=input.api_hash)
            async with info.context.uow() as uow:
                await tracking.update_tracker(
                    uow,
                    info.context.secrets,
                    actor=viewer,
                    tracker_id=tracker_id,
                    telegram_id=input.telegram_id,
                    api_id=input.api_id,
                    api_hash=input.api_hash,
                    is_active=input.is_active,
                    is_auth=input.is_auth,
                )
            return UpdateTrackerSuccess(tracker=await _tracker(info, tracker_id))

    @strawberry.mutation(
        description="Move a tracker's users to the least-loaded others, then delete it.",
        extensions=admin_only(),
    )
    async def delete_tracker(self, info: Info, input: DeleteTrackerInput) -> DeleteTrackerPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            tracker_id = int_id_of(input.tracker_id, "Tracker", "trackerId")
            async with info.context.uow() as uow:
                await tracking.delete_tracker(uow, actor=viewer, tracker_id=tracker_id)
        return DeleteTrackerSuccess(tracker_id=global_id("Tracker", tracker_id))

    # --- settings ---

    @strawberry.mutation(
        description="A tracker's phone and slots; the phone links it to a TelegramAccount.",
        extensions=admin_only(),
    )
    async def create_tracker_setting(
        self, info: Info, input: CreateTrackerSettingInput
    ) -> CreateTrackerSettingPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names(credentials_as_input=False):
            tracker_id = int_id_of(input.tracker_id, "Tracker", "trackerId")
            storable(phone_number=input.phone_number)
            async with info.context.uow() as uow:
                await tracking.get_tracker(uow, actor=viewer, tracker_id=tracker_id)
                setting = await tracking.create_setting(
                    uow,
                    info.context.secrets,
                    actor=viewer,
                    tracker_id=tracker_id,
                    phone_number=input.phone_number,
                    max_users=input.max_users,
                )
            tracker = await _tracker(info, tracker_id)
        return CreateTrackerSettingSuccess(
            setting=TrackerSetting.from_model(setting), tracker=tracker
        )

    @strawberry.mutation(
        description="Change a setting's phone (relinking its tracker) or capacity.",
        extensions=admin_only(),
    )
    async def update_tracker_setting(
        self, info: Info, input: UpdateTrackerSettingInput
    ) -> UpdateTrackerSettingPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names(credentials_as_input=False):
            setting_id = int_id_of(input.setting_id, "TrackerSetting", "settingId")
            storable(phone_number=input.phone_number)
            async with info.context.uow() as uow:
                setting = await tracking.update_setting(
                    uow,
                    info.context.secrets,
                    actor=viewer,
                    setting_id=setting_id,
                    phone_number=input.phone_number,
                    max_users=input.max_users,
                )
            tracker = await _tracker(info, setting.tracker_account_id)
        return UpdateTrackerSettingSuccess(
            setting=TrackerSetting.from_model(setting), tracker=tracker
        )

    @strawberry.mutation(
        description="The tracker keeps its users and link, but takes no new ones.",
        extensions=admin_only(),
    )
    async def delete_tracker_setting(
        self, info: Info, input: DeleteTrackerSettingInput
    ) -> DeleteTrackerSettingPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            setting_id = int_id_of(input.setting_id, "TrackerSetting", "settingId")
            async with info.context.uow() as uow:
                await tracking.delete_setting(uow, actor=viewer, setting_id=setting_id)
        return DeleteTrackerSettingSuccess(setting_id=global_id("TrackerSetting", setting_id))

    # --- clients ---

    @strawberry.mutation(
        description="A client of the tracking bot, tracking nobody yet.", extensions=admin_only()
    )
    async def create_tracking_client(
        self, info: Info, input: CreateTrackingClientInput
    ) -> CreateTrackingClientPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            storable(timezone=input.timezone)
            async with info.context.uow() as uow:
                client = await tracking.create_telegram_user(
                    uow,
                    actor=viewer,
                    telegram_id=input.telegram_id,
                    role=Role(input.role).value,
                    max_users=input.max_users,
                    timezone=input.timezone,
                    theme=Theme(input.theme).value,
                )
        return CreateTrackingClientSuccess(client=TrackingClient.from_model(client))

    @strawberry.mutation(description="Change a client's fields.", extensions=admin_only())
    async def update_tracking_client(
        self, info: Info, input: UpdateTrackingClientInput
    ) -> UpdateTrackingClientPayload:
        viewer = require_viewer(info.context)
        changes = TelegramUserChanges(
            role=_role(input.role),
            max_users=input.max_users,
            timezone=input.timezone,
            theme=_theme(input.theme),
        )
        with told_in_api_names():
            client_id = int_id_of(input.client_id, "TrackingClient", "clientId")
            storable(timezone=input.timezone)
            async with info.context.uow() as uow:
                client = await tracking.update_telegram_user(
                    uow,
                    actor=viewer,
                    user_id=client_id,
                    telegram_id=input.telegram_id,
                    changes=changes,
                )
        return UpdateTrackingClientSuccess(client=TrackingClient.from_model(client))

    @strawberry.mutation(
        description="Delete a client with their tracked users, freeing their trackers' slots.",
        extensions=admin_only(),
    )
    async def delete_tracking_client(
        self, info: Info, input: DeleteTrackingClientInput
    ) -> DeleteTrackingClientPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            client_id = int_id_of(input.client_id, "TrackingClient", "clientId")
            async with info.context.uow() as uow:
                await tracking.delete_telegram_user(uow, actor=viewer, user_id=client_id)
        return DeleteTrackingClientSuccess(client_id=global_id("TrackingClient", client_id))

    # --- tracked users ---

    @strawberry.mutation(
        description="A client starts tracking a username, within their limit and a free slot.",
        extensions=admin_only(),
    )
    async def create_tracked_user(
        self, info: Info, input: CreateTrackedUserInput
    ) -> CreateTrackedUserPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            client_id = int_id_of(input.client_id, "TrackingClient", "clientId")
            tracker_id = _optional_id(input.tracker_id, "Tracker", "trackerId")
            storable(username=input.username)
            async with info.context.uow() as uow:
                # Unknown ids are NotFoundError here (the legacy route's field errors otherwise).
                await tracking.get_telegram_user(uow, actor=viewer, user_id=client_id)
                if tracker_id is not None:
                    await tracking.get_tracker(uow, actor=viewer, tracker_id=tracker_id)
                tracked = await tracking.track_user(
                    uow,
                    actor=viewer,
                    telegram_user_id=client_id,
                    username=input.username,
                    tracker_account_id=tracker_id,
                    visible_online=input.visible_online,
                )
        return CreateTrackedUserSuccess(tracked_user=TrackedUser.from_model(tracked))

    @strawberry.mutation(
        description="Change a tracked user's username, visibility or tracker (with a free slot).",
        extensions=admin_only(),
    )
    async def update_tracked_user(
        self, info: Info, input: UpdateTrackedUserInput
    ) -> UpdateTrackedUserPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            tracked_id = int_id_of(input.tracked_user_id, "TrackedUser", "trackedUserId")
            tracker_id = _optional_id(input.tracker_id, "Tracker", "trackerId")
            storable(username=input.username)
            async with info.context.uow() as uow:
                await tracking.get_tracked_user(uow, actor=viewer, tracked_user_id=tracked_id)
                if tracker_id is not None:
                    await tracking.get_tracker(uow, actor=viewer, tracker_id=tracker_id)
                tracked = await tracking.update_tracked_user(
                    uow,
                    actor=viewer,
                    tracked_user_id=tracked_id,
                    username=input.username,
                    visible_online=input.visible_online,
                    tracker_account_id=tracker_id,
                )
        return UpdateTrackedUserSuccess(tracked_user=TrackedUser.from_model(tracked))

    @strawberry.mutation(
        description="Stop tracking: the tracked user and its statuses go, freeing both slots.",
        extensions=admin_only(),
    )
    async def delete_tracked_user(
        self, info: Info, input: DeleteTrackedUserInput
    ) -> DeleteTrackedUserPayload:
        viewer = require_viewer(info.context)
        with told_in_api_names():
            tracked_id = int_id_of(input.tracked_user_id, "TrackedUser", "trackedUserId")
            async with info.context.uow() as uow:
                await tracking.untrack_user(uow, actor=viewer, tracked_user_id=tracked_id)
        return DeleteTrackedUserSuccess(tracked_user_id=global_id("TrackedUser", tracked_id))


@strawberry.type
class TrackingSubscription:
    @strawberry.subscription(
        description="Status changes of these tracked users (1 to 100), as they are recorded.",
        extensions=admin_only(),
    )
    async def online_status(
        self, info: Info, tracked_user_ids: list[strawberry.ID]
    ) -> AsyncGenerator[OnlineStatusEvent, None]:
        viewer = require_viewer(info.context)
        with told_in_api_names(query=True):
            wanted = set(tracked_user_ids_of(tracked_user_ids))
            async with info.context.uow() as uow:  # every one must exist, checked once
                await tracking.require_tracked_users(uow, sorted(wanted), actor=viewer)
        async with info.context.events.subscribe(CHANNEL) as messages:
            async for text in messages:
                event = decoded(text)
                if not isinstance(event, OnlineStatusChanged):
                    continue
                for update in event.updates:
                    if update.tracked_user_id in wanted:
                        yield OnlineStatusEvent(
                            tracked_user_id=global_id("TrackedUser", update.tracked_user_id),
                            is_online=update.is_online,
                            observed_at=update.observed_at,
                            hidden_reason=update.hidden_reason,
                        )
