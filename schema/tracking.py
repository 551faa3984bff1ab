"""GraphQL shapes of online tracking (admins only): trackers and their settings, the tracking
bot's clients, the users they track, the status log, online sessions and status events.

Every id is a global ID keyed by the legacy integer id (``Tracker:7``). A tracker's api hash
and any session are never shown, not even masked: they belong to tghub alone.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from typing_extensions import override

from domain.tracking.model import Role, Theme
from schema.errors import ConflictError, NotFoundError, ValidationError
from schema.relay import global_id, int_nodes
from schema.scalars import BigInt

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.tracking.model import OnlineStatus as StatusModel
    from domain.tracking.model import TelegramUser
    from domain.tracking.model import TrackedUser as TrackedUserModel
    from domain.tracking.model import TrackerSetting as SettingModel
    from domain.tracking.service import TrackerView
    from schema.context import Info

TrackingRole = strawberry.enum(Role, name="TrackingRole", description="A client's role.")
TrackingTheme = strawberry.enum(Theme, name="TrackingTheme", description="A client's theme.")


@strawberry.type(description="A tracker's phone and slots (its session stays with tghub).")
class TrackerSetting(relay.Node):
    id: relay.NodeID[str]
    tracker_id: strawberry.ID = strawberry.field(description="The global ID of its Tracker.")
    phone_number: str
    max_users: int = strawberry.field(description="How many users it may track.")
    current_users: int = strawberry.field(description="How many users it tracks now.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, setting: SettingModel) -> TrackerSetting:
        return cls(
            id=str(setting.id),
            tracker_id=global_id("Tracker", setting.tracker_account_id),
            phone_number=setting.phone_number,
            max_users=setting.max_users,
            current_users=setting.current_users,
            created_at=setting.created_at,
            updated_at=setting.updated_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TrackerSetting | None]:
        return await int_nodes(
            info, info.context.loaders.tracker_settings, node_ids, cls.from_model
        )


@strawberry.type(
    description=(
        "A Telegram account's tracking profile, which polls the statuses of the users it "
        "tracks. Its api hash and sessions are never shown."
    )
)
class Tracker(relay.Node):
    id: relay.NodeID[str]
    telegram_id: BigInt
    api_id: int
    is_active: bool
    is_auth: bool = strawberry.field(description="Whether it is signed in to Telegram.")
    auth_error: str | None = strawberry.field(
        description="Why tghub signed it out (its session was revoked or is missing); null "
        "while signed in, and when an admin cleared isAuth by hand."
    )
    telegram_account_id: strawberry.ID | None = strawberry.field(
        description="The global ID of its TelegramAccount; null until a setting gives it a phone."
    )
    setting: TrackerSetting | None = strawberry.field(
        description="Its phone and slots; null without a setting (it then takes no users)."
    )
    phone_number: str | None = strawberry.field(description="The setting's; null without one.")
    max_users: int | None = strawberry.field(description="The setting's; null without one.")
    current_users: int | None = strawberry.field(description="The setting's; null without one.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: TrackerView) -> Tracker:
        tracker, setting = view.tracker, view.setting
        account = tracker.telegram_account_id
        return cls(
            id=str(tracker.id),
            telegram_id=BigInt(tracker.telegram_id),
            api_id=tracker.api_id,
            is_active=tracker.is_active,
            is_auth=tracker.is_auth,
            auth_error=tracker.auth_error,
            telegram_account_id=None if account is None else global_id("TelegramAccount", account),
            setting=None if setting is None else TrackerSetting.from_model(setting),
            phone_number=None if setting is None else setting.phone_number,
            max_users=None if setting is None else setting.max_users,
            current_users=None if setting is None else setting.current_users,
            created_at=tracker.created_at,
            updated_at=tracker.updated_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Tracker | None]:
        return await int_nodes(info, info.context.loaders.trackers, node_ids, cls.from_view)


@strawberry.type(description="A client of the tracking bot (the legacy service's Telegram user).")
class TrackingClient(relay.Node):
    id: relay.NodeID[str]
    telegram_id: BigInt
    role: TrackingRole  # type: ignore[valid-type]
    max_users: int = strawberry.field(description="How many users the client may track.")
    current_users: int = strawberry.field(description="How many users the client tracks now.")
    timezone: str
    theme: TrackingTheme  # type: ignore[valid-type]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, user: TelegramUser) -> TrackingClient:
        return cls(
            id=str(user.id),
            telegram_id=BigInt(user.telegram_id),
            role=user.role,
            max_users=user.max_users,
            current_users=user.current_users,
            timezone=user.timezone,
            theme=user.theme,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TrackingClient | None]:
        return await int_nodes(
            info, info.context.loaders.tracking_clients, node_ids, cls.from_model
        )


@strawberry.type(description="A Telegram username a client watches, through one tracker.")
class TrackedUser(relay.Node):
    id: relay.NodeID[str]
    username: str
    visible_online: bool = strawberry.field(
        description="False when the status cannot be seen (see hiddenReason) or an admin hid it."
    )
    hidden_reason: str | None = strawberry.field(
        description="Why tracking cannot see the status (privacy, not found…); null otherwise."
    )
    tracker_id: strawberry.ID = strawberry.field(description="The global ID of its Tracker.")
    client_id: strawberry.ID = strawberry.field(
        description="The global ID of the TrackingClient watching it."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, tracked: TrackedUserModel) -> TrackedUser:
        return cls(
            id=str(tracked.id),
            username=tracked.username,
            visible_online=tracked.visible_online,
            hidden_reason=tracked.hidden_reason,
            tracker_id=global_id("Tracker", tracked.tracker_account_id),
            client_id=global_id("TrackingClient", tracked.telegram_user_id),
            created_at=tracked.created_at,
            updated_at=tracked.updated_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TrackedUser | None]:
        return await int_nodes(info, info.context.loaders.tracked_users, node_ids, cls.from_model)


@strawberry.type(description="A row of the status log: a tracked user's status changed.")
class OnlineStatusEntry(relay.Node):
    id: relay.NodeID[str]
    tracked_user_id: strawberry.ID = strawberry.field(
        description="The global ID of the TrackedUser."
    )
    is_online: bool
    created_at: datetime = strawberry.field(description="When the change was observed.")
    updated_at: datetime

    @classmethod
    def from_model(cls, status: StatusModel) -> OnlineStatusEntry:
        return cls(
            id=str(status.id),
            tracked_user_id=global_id("TrackedUser", status.tracked_user_id),
            is_online=status.is_online,
            created_at=status.created_at,
            updated_at=status.updated_at,
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[OnlineStatusEntry | None]:
        return await int_nodes(info, info.context.loaders.online_statuses, node_ids, cls.from_model)


@strawberry.type(description="An interval a tracked user was online, cut to the window asked.")
class OnlineSession:
    started_at: datetime
    ended_at: datetime
    duration_seconds: float


@strawberry.type(description="Seconds a tracked user was online on one UTC date.")
class DailyOnlineTotal:
    date: dt.date
    seconds: float


@strawberry.type(description="A tracked user's status as it now stands.")
class OnlineStatusEvent:
    tracked_user_id: strawberry.ID = strawberry.field(
        description="The global ID of the TrackedUser."
    )
    is_online: bool | None = strawberry.field(
        description="Null when the status cannot be known (see hiddenReason)."
    )
    observed_at: datetime
    hidden_reason: str | None


# --- filters --------------------------------------------------------------------------------


@strawberry.input(description="Every filter given must match.")
class TrackerFilter:
    id: strawberry.ID | None = strawberry.field(default=None, description="A Tracker's ID.")
    telegram_id: BigInt | None = None
    is_active: bool | None = None
    is_auth: bool | None = None


@strawberry.input(description="Every filter given must match.")
class TrackingClientFilter:
    id: strawberry.ID | None = strawberry.field(default=None, description="A TrackingClient's ID.")
    telegram_id: BigInt | None = None
    role: TrackingRole | None = None  # type: ignore[valid-type]


@strawberry.input(description="Every filter given must match.")
class TrackedUserFilter:
    id: strawberry.ID | None = strawberry.field(default=None, description="A TrackedUser's ID.")
    username: str | None = strawberry.field(default=None, description="The whole username.")
    visible_online: bool | None = None
    tracker_telegram_id: BigInt | None = strawberry.field(
        default=None, description="The Telegram id of its tracker."
    )
    client_telegram_id: BigInt | None = strawberry.field(
        default=None, description="The Telegram id of its client."
    )


@strawberry.input(description="Every filter given must match; both time bounds inclusive.")
class OnlineStatusFilter:
    id: strawberry.ID | None = strawberry.field(
        default=None, description="An OnlineStatusEntry's ID."
    )
    is_online: bool | None = None
    tracked_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="A TrackedUser's ID."
    )
    username: str | None = strawberry.field(
        default=None, description="Part of the tracked user's username, any case."
    )
    created_after: datetime | None = strawberry.field(
        default=None, description="From this time on (no offset: UTC)."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Up to this time (no offset: UTC)."
    )


# --- mutations: inputs ----------------------------------------------------------------------


@strawberry.input
class CreateTrackerInput:
    telegram_id: BigInt
    api_id: int
    api_hash: str = strawberry.field(description="Stored encrypted; never returned.")
    is_active: bool = False
    is_auth: bool = False


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateTrackerInput:
    tracker_id: strawberry.ID
    telegram_id: BigInt | None = None
    api_id: int | None = None
    api_hash: str | None = strawberry.field(
        default=None, description="Stored encrypted; never returned."
    )
    is_active: bool | None = None
    is_auth: bool | None = None


@strawberry.input
class DeleteTrackerInput:
    tracker_id: strawberry.ID = strawberry.field(
        description="Its users move to the least-loaded other trackers first."
    )


@strawberry.input
class CreateTrackerSettingInput:
    tracker_id: strawberry.ID
    phone_number: str = strawberry.field(
        description="Links the tracker to the TelegramAccount of this phone (made when missing)."
    )
    max_users: int = 0


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateTrackerSettingInput:
    setting_id: strawberry.ID
    phone_number: str | None = None
    max_users: int | None = strawberry.field(
        default=None, description="Below currentUsers it only stops new assignments."
    )


@strawberry.input
class DeleteTrackerSettingInput:
    setting_id: strawberry.ID


@strawberry.input
class CreateTrackingClientInput:
    telegram_id: BigInt
    role: TrackingRole = Role.USER  # type: ignore[valid-type]
    max_users: int = 5
    timezone: str = "UTC"
    theme: TrackingTheme = Theme.LIGHT  # type: ignore[valid-type]


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateTrackingClientInput:
    client_id: strawberry.ID
    telegram_id: BigInt | None = None
    role: TrackingRole | None = None  # type: ignore[valid-type]
    max_users: int | None = strawberry.field(
        default=None, description="Below currentUsers it only stops new tracked users."
    )
    timezone: str | None = None
    theme: TrackingTheme | None = None  # type: ignore[valid-type]


@strawberry.input
class DeleteTrackingClientInput:
    client_id: strawberry.ID = strawberry.field(
        description="Their tracked users (and statuses) go with them."
    )


@strawberry.input
class CreateTrackedUserInput:
    client_id: strawberry.ID
    username: str
    tracker_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Taken only with a free slot; without it the least-loaded tracker.",
    )
    visible_online: bool = True


@strawberry.input(description="Fields left out (or null) stay as they are.")
class UpdateTrackedUserInput:
    tracked_user_id: strawberry.ID
    username: str | None = None
    visible_online: bool | None = strawberry.field(
        default=None, description="Setting it clears hiddenReason."
    )
    tracker_id: strawberry.ID | None = strawberry.field(
        default=None, description="Another tracker, taken only with a free slot."
    )


@strawberry.input
class DeleteTrackedUserInput:
    tracked_user_id: strawberry.ID


# --- mutations: successes and payloads ------------------------------------------------------


@strawberry.type
class CreateTrackerSuccess:
    tracker: Tracker


@strawberry.type
class UpdateTrackerSuccess:
    tracker: Tracker


@strawberry.type
class DeleteTrackerSuccess:
    tracker_id: strawberry.ID


@strawberry.type
class CreateTrackerSettingSuccess:
    setting: TrackerSetting
    tracker: Tracker = strawberry.field(description="The tracker, linked to its phone's account.")


@strawberry.type
class UpdateTrackerSettingSuccess:
    setting: TrackerSetting
    tracker: Tracker


@strawberry.type
class DeleteTrackerSettingSuccess:
    setting_id: strawberry.ID


@strawberry.type
class CreateTrackingClientSuccess:
    client: TrackingClient


@strawberry.type
class UpdateTrackingClientSuccess:
    client: TrackingClient


@strawberry.type
class DeleteTrackingClientSuccess:
    client_id: strawberry.ID


@strawberry.type
class CreateTrackedUserSuccess:
    tracked_user: TrackedUser


@strawberry.type
class UpdateTrackedUserSuccess:
    tracked_user: TrackedUser


@strawberry.type
class DeleteTrackedUserSuccess:
    tracked_user_id: strawberry.ID


CreateTrackerPayload = Annotated[
    CreateTrackerSuccess | ValidationError, strawberry.union("CreateTrackerPayload")
]
UpdateTrackerPayload = Annotated[
    UpdateTrackerSuccess | ValidationError | NotFoundError,
    strawberry.union("UpdateTrackerPayload"),
]
# ConflictError: its users do not fit into the other trackers' free slots.
DeleteTrackerPayload = Annotated[
    DeleteTrackerSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("DeleteTrackerPayload"),
]
# ConflictError: the phone's Telegram account was made at the same moment by another call.
CreateTrackerSettingPayload = Annotated[
    CreateTrackerSettingSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("CreateTrackerSettingPayload"),
]
UpdateTrackerSettingPayload = Annotated[
    UpdateTrackerSettingSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("UpdateTrackerSettingPayload"),
]
DeleteTrackerSettingPayload = Annotated[
    DeleteTrackerSettingSuccess | ValidationError | NotFoundError,
    strawberry.union("DeleteTrackerSettingPayload"),
]
CreateTrackingClientPayload = Annotated[
    CreateTrackingClientSuccess | ValidationError, strawberry.union("CreateTrackingClientPayload")
]
UpdateTrackingClientPayload = Annotated[
    UpdateTrackingClientSuccess | ValidationError | NotFoundError,
    strawberry.union("UpdateTrackingClientPayload"),
]
DeleteTrackingClientPayload = Annotated[
    DeleteTrackingClientSuccess | ValidationError | NotFoundError,
    strawberry.union("DeleteTrackingClientPayload"),
]
# ConflictError: the client's limit is reached, or no (or not the asked-for) tracker is free.
CreateTrackedUserPayload = Annotated[
    CreateTrackedUserSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("CreateTrackedUserPayload"),
]
UpdateTrackedUserPayload = Annotated[
    UpdateTrackedUserSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("UpdateTrackedUserPayload"),
]
DeleteTrackedUserPayload = Annotated[
    DeleteTrackedUserSuccess | ValidationError | NotFoundError,
    strawberry.union("DeleteTrackedUserPayload"),
]
