"""Seed 000 (SeeOnline): trackers, their settings, Telegram users, tracked users, the status
log and tghub's two CSV downloads of a tracked user's online history, declared once (routes,
document, answer check). The ``by-*`` paths have more segments than the ``{id}`` ones, so
neither matches the other's URLs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime  # noqa: TC003 - pydantic reads the shapes at run time
from types import GenericAlias
from typing import Annotated, Any, Literal

from pydantic import Field

from domain.tracking import rules
from domain.types import BIGINT_MAX, BIGINT_MIN, INT_MAX
from resolvers.rest import seeonline, tracking_csv
from resolvers.rest.contract import (
    CSV,
    Answer,
    Auth,
    Endpoint,
    FieldErrors,
    Handler,
    Operation,
    Shape,
    System,
)

# Admins by HTTP Basic or a token (the originals had no authentication); see OPEN_GROUP.
CALLERS = (Auth.BEARER, Auth.BASIC)
OPEN_GROUP = "Anyone may call it once the operator opened the seeonline group (TGHUB_LEGACY_OPEN)."

INTEGER = 'A JSON number or a number written as a string (`"7"`).'
BOOLEAN = 'A JSON boolean, 1/0, or a word DRF reads (`"true"`, `"no"`, ...).'
QUERY_BOOLEAN = "`true`/`false` (or `1`/`0`), any case."
TELEGRAM_ID = f"The account's Telegram id. {INTEGER}"
LEGACY_TELEGRAM_ID = (
    "The README's name of `telegram_id`, read only when `telegram_id` is not sent. " + INTEGER
)
IGNORED_LEGACY_ID = "Ignored: `telegram_id` is sent."
API_HASH = "Unique; stored encrypted, never answered."
SESSION_IGNORED = "Ignored: the session is never taken from a body."
TIMESTAMP = "ISO 8601 with its offset."
MOMENT = (
    "A date (its midnight) or a date and time (ISO 8601, `T` or a space); without an offset "
    "it is UTC."
)

Role = Literal["banned", "user", "vip", "admin"]
Theme = Literal["light", "dark"]
# The columns' ranges and lengths (the rules' checks answer 400 past them).
SignedInt = Annotated[int, Field(ge=-INT_MAX - 1, le=INT_MAX)]
BigInt = Annotated[int, Field(ge=BIGINT_MIN, le=BIGINT_MAX)]
Count = Annotated[int, Field(ge=0, le=INT_MAX)]
Username = Annotated[str, Field(min_length=1, max_length=rules.USERNAME_MAX)]
Phone = Annotated[str, Field(min_length=1, max_length=rules.PHONE_MAX)]
ApiHash = Annotated[str, Field(min_length=1, max_length=rules.API_HASH_MAX)]
Timezone = Annotated[str, Field(min_length=1, max_length=rules.TIMEZONE_MAX)]

# --- answers ----------------------------------------------------------------------------------


class TelegramUser(Shape):
    id: int
    telegram_id: int
    telegram_user_id: int = Field(description="The same Telegram id, under the README's name.")
    role: Role
    max_users: int
    current_users: int = Field(description="How many tracked users the client has.")
    timezone: str
    theme: Theme
    created_at: str = Field(description=TIMESTAMP)
    updated_at: str = Field(description=TIMESTAMP)


class TrackedUser(Shape):
    id: int
    tracker_account_id: int = Field(description="The tracker watching the user.")
    telegram_user_id: int = Field(description="The client's `id` (of /telegram-users/).")
    username: str
    visible_online: bool
    created_at: str = Field(description=TIMESTAMP)
    updated_at: str = Field(description=TIMESTAMP)


class TrackerAccount(Shape):
    id: int
    telegram_id: int
    telegram_user_id: int = Field(description="The same Telegram id, under the README's name.")
    api_id: int
    api_hash: Literal["********"] = Field(description="Set, never shown.")
    is_active: bool
    is_auth: bool
    created_at: str = Field(description=TIMESTAMP)
    updated_at: str = Field(description=TIMESTAMP)


class TrackerSetting(Shape):
    id: int
    tracker_account_id: int
    phone_number: str
    session_string: None = Field(
        description="Never shown: the session lives with the phone's Telegram account."
    )
    max_users: int
    current_users: int = Field(description="How many tracked users the tracker has.")
    created_at: str = Field(description=TIMESTAMP)
    updated_at: str = Field(description=TIMESTAMP)


class OnlineStatus(Shape):
    id: int
    tracked_user_id: int
    is_online: bool
    created_at: str = Field(description=TIMESTAMP)
    updated_at: str = Field(description=TIMESTAMP)


class DeletedCount(Shape):
    deleted_count: int


class UsersUpdated(Shape):
    detail: Literal["Users updated"]


# --- request bodies ---------------------------------------------------------------------------


class TelegramUserFields(Shape):
    role: Role | None = Field(None, description="Default `user`.")
    max_users: Count | None = Field(None, description=f"Default 5. {INTEGER}")
    timezone: Timezone | None = Field(None, description="Default `UTC`.")
    theme: Theme | None = Field(None, description="Default `light`.")


class TelegramUserChange(TelegramUserFields):
    telegram_id: BigInt | None = Field(None, description=TELEGRAM_ID)
    telegram_user_id: BigInt | None = Field(None, description=LEGACY_TELEGRAM_ID)


class TelegramUserNew(TelegramUserFields):
    """``telegram_id`` sent (PUT and POST need it, or its older name)."""

    telegram_id: BigInt = Field(description=TELEGRAM_ID)
    telegram_user_id: int | None = Field(None, description=IGNORED_LEGACY_ID)


class TelegramUserNewByLegacyName(TelegramUserFields):
    """Only the older name of the Telegram id sent."""

    telegram_user_id: BigInt = Field(description=LEGACY_TELEGRAM_ID)


class TrackedUserFields(Shape):
    tracker_account_id: int | None = Field(
        None, description=f"A tracker with a free slot; the least-loaded one when absent. {INTEGER}"
    )
    visible_online: bool | None = Field(None, description=f"Default true. {BOOLEAN}")


class TrackedUserNew(TrackedUserFields):
    telegram_user_id: int = Field(description=f"The client's `id`, never changed. {INTEGER}")
    username: Username


class TrackedUserChange(TrackedUserFields):
    telegram_user_id: int | None = Field(
        None, description=f"The client's `id`: only the current one. {INTEGER}"
    )
    username: Username | None = None


class TrackerFields(Shape):
    is_active: bool | None = Field(None, description=f"Default false. {BOOLEAN}")
    is_auth: bool | None = Field(None, description=f"Default false. {BOOLEAN}")


class TrackerChange(TrackerFields):
    telegram_id: BigInt | None = Field(None, description=TELEGRAM_ID)
    telegram_user_id: BigInt | None = Field(None, description=LEGACY_TELEGRAM_ID)
    api_id: SignedInt | None = Field(None, description=f"Unique. {INTEGER}")
    api_hash: ApiHash | None = Field(None, description=API_HASH)


class TrackerCredentials(TrackerFields):
    """What a new tracker (POST) or a full update (PUT) needs besides its Telegram id."""

    api_id: SignedInt = Field(description=f"Unique. {INTEGER}")
    api_hash: ApiHash = Field(description=API_HASH)


class TrackerNew(TrackerCredentials):
    """``telegram_id`` sent."""

    telegram_id: BigInt = Field(description=TELEGRAM_ID)
    telegram_user_id: int | None = Field(None, description=IGNORED_LEGACY_ID)


class TrackerNewByLegacyName(TrackerCredentials):
    """Only the older name of the Telegram id sent."""

    telegram_user_id: BigInt = Field(description=LEGACY_TELEGRAM_ID)


class SettingNew(Shape):
    tracker_account_id: int = Field(description=f"The tracker, never changed. {INTEGER}")
    phone_number: Phone
    max_users: Count | None = Field(None, description=f"Default 0. {INTEGER}")
    session_string: Any = Field(None, description=SESSION_IGNORED)


class SettingChange(Shape):
    tracker_account_id: int | None = Field(
        None, description=f"The tracker: only the current one. {INTEGER}"
    )
    phone_number: Phone | None = None
    max_users: Count | None = Field(None, description=INTEGER)
    session_string: Any = Field(None, description=SESSION_IGNORED)


class StatusNew(Shape):
    tracked_user_id: int = Field(description=INTEGER)
    is_online: bool = Field(description=BOOLEAN)


class StatusChange(Shape):
    tracked_user_id: int | None = Field(None, description=INTEGER)
    is_online: bool | None = Field(None, description=BOOLEAN)


# --- list filters (exact and combined; blank and unknown parameters are ignored) ----------------


class TrackerQuery(Shape):
    id: int | None = None
    telegram_id: int | None = None
    telegram_user_id: int | None = Field(None, description="`telegram_id` under its old name.")
    is_active: bool | None = Field(None, description=QUERY_BOOLEAN)
    is_auth: bool | None = Field(None, description=QUERY_BOOLEAN)


class SettingQuery(Shape):
    id: int | None = None
    phone_number: str | None = None
    tracker_account__telegram_id: int | None = Field(None, description="The tracker's.")
    tracker_account__telegram_user_id: int | None = Field(
        None, description="`tracker_account__telegram_id` under its old name."
    )


class TelegramUserQuery(Shape):
    id: int | None = None
    telegram_id: int | None = None
    telegram_user_id: int | None = Field(None, description="`telegram_id` under its old name.")
    role: Role | None = None


class TrackedUserQuery(Shape):
    id: int | None = None
    username: str | None = None
    visible_online: bool | None = Field(None, description=QUERY_BOOLEAN)
    tracker_account__telegram_id: int | None = Field(None, description="The tracker's.")
    tracker_account__telegram_user_id: int | None = Field(
        None, description="`tracker_account__telegram_id` under its old name."
    )
    telegram_user__telegram_id: int | None = Field(None, description="The client's.")
    telegram_user__telegram_user_id: int | None = Field(
        None, description="`telegram_user__telegram_id` under its old name."
    )


class StatusQuery(Shape):
    id: int | None = None
    is_online: bool | None = Field(None, description=QUERY_BOOLEAN)
    tracked_user: int | None = Field(None, description="The tracked user's id.")
    tracked_user_id: int | None = Field(None, description="`tracked_user` under another name.")
    username: str | None = Field(None, description="Part of the tracked user's username, any case.")
    created_at_after: datetime | date | None = Field(None, description=f"Inclusive. {MOMENT}")
    created_at_before: datetime | date | None = Field(None, description=f"Inclusive. {MOMENT}")


WINDOW = "The window `[from, to)` spans at most 366 days, within 1970-01-01 to 9999-01-01."


class Window(Shape):
    start: datetime | date = Field(alias="from", description=f"Inclusive. {MOMENT} {WINDOW}")
    end: datetime | date = Field(alias="to", description=f"Exclusive. {MOMENT} {WINDOW}")


# --- operations -------------------------------------------------------------------------------

ONE = ("GET", "PATCH", "PUT", "DELETE")
TRACKED_ID = {"tracked_id": int}
BY_KEY = ("PATCH", "DELETE")  # the ``by-*`` routes of one row
# A refusal of the service's rules (no free slot, an ambiguous name): ``{"detail": ...}``.
REFUSED = Answer(400, "Refused: the reason as `detail`.", FieldErrors)


def _operation(
    summary: str,
    *answers: Answer,
    body: Any = None,
    query: type[Shape] | None = None,
    path: dict[str, Any] | None = None,
) -> Operation:
    return Operation(
        summary,
        answers,
        auth=CALLERS,
        query=query,
        body=body,
        path=path or {},
        description=OPEN_GROUP,
    )


@dataclass(frozen=True)
class Rows:
    """What the routes of one kind of row share: its name, its answer and its bodies."""

    what: str
    shape: type[Shape]
    new: Any  # PUT's body: every field without a default
    change: type[Shape]  # PATCH's
    deleting: tuple[Answer, ...] = ()  # what a DELETE may answer beyond its 204

    def collection(self, path: str, handler: Handler, query: type[Shape]) -> Endpoint:
        """A bare array by id, and POST creating one (201) from the same body as a PUT."""
        listed = GenericAlias(list, (self.shape,))
        operations = {
            "GET": _operation(
                f"The {self.what}s, by id",
                Answer(200, "Found (a bare array).", listed),
                query=query,
            ),
            "POST": _operation(
                f"Create a {self.what}", Answer(201, "Created.", self.shape), body=self.new
            ),
        }
        return Endpoint(path, handler, operations, System.SEEONLINE)

    def one(
        self,
        path: str,
        handler: Handler,
        path_types: dict[str, Any],
        methods: tuple[str, ...] = ONE,
        how: str = "",
    ) -> Endpoint:
        """One row (found by ``how``): read, partial or full update, delete (204)."""
        what = f"{self.what}{how}"
        found = Answer(200, "Found.", self.shape)
        operations = {
            "GET": _operation(f"A {what}", found, path=path_types),
            "PATCH": _operation(f"Change a {what}", found, body=self.change, path=path_types),
            "PUT": _operation(f"Replace a {what}", found, body=self.new, path=path_types),
            "DELETE": _operation(
                f"Delete a {what}", Answer(204, "Deleted."), *self.deleting, path=path_types
            ),
        }
        chosen = {method: operations[method] for method in methods}
        return Endpoint(path, handler, chosen, System.SEEONLINE)


TRACKERS = Rows(
    "tracker account",
    TrackerAccount,
    TrackerNew | TrackerNewByLegacyName,
    TrackerChange,
    deleting=(REFUSED,),  # its tracked users have nowhere to go
)
SETTINGS = Rows("tracker setting", TrackerSetting, SettingNew, SettingChange)
TELEGRAM_USERS = Rows(
    "Telegram user",
    TelegramUser,
    TelegramUserNew | TelegramUserNewByLegacyName,
    TelegramUserChange,
)
TRACKED_USERS = Rows("tracked user", TrackedUser, TrackedUserNew, TrackedUserChange)
STATUSES = Rows("status row", OnlineStatus, StatusNew, StatusChange)


def endpoints() -> list[Endpoint]:
    return [*_trackers(), *_telegram_users(), *_tracked_users(), *_statuses(), *_downloads()]


def _trackers() -> list[Endpoint]:
    telegram_id = {"telegram_id": int}
    return [
        TRACKERS.collection("/tracker-accounts/", seeonline.trackers, TrackerQuery),
        TRACKERS.one("/tracker-accounts/{tracker_id}/", seeonline.tracker, {"tracker_id": int}),
        TRACKERS.one(
            "/tracker-accounts/by-telegram-id/{telegram_id}/",
            seeonline.tracker_by_telegram_id,
            telegram_id,
            BY_KEY,
            " by its Telegram id",
        ),
        SETTINGS.collection("/tracker-settings/", seeonline.settings, SettingQuery),
        SETTINGS.one("/tracker-settings/{setting_id}/", seeonline.setting, {"setting_id": int}),
        # A phone's "+" arrives as sent: Starlette decodes %2B and keeps a literal "+".
        SETTINGS.one(
            "/tracker-settings/by-phone-number/{phone_number}/",
            seeonline.setting_by_phone_number,
            {},
            BY_KEY,
            " by its phone",
        ),
        SETTINGS.one(
            "/tracker-settings/by-tracker-telegram-id/{telegram_id}/",
            seeonline.setting_by_tracker_telegram_id,
            telegram_id,
            BY_KEY,
            " by its tracker's Telegram id",
        ),
    ]


def _telegram_users() -> list[Endpoint]:
    by_role = {
        "PATCH": _operation(
            "Change every Telegram user of a role",
            Answer(200, "Changed.", UsersUpdated),
            body=TelegramUserFields,
        ),
        "DELETE": _operation(
            "Delete every Telegram user of a role",
            Answer(200, "Deleted.", DeletedCount),
            Answer(400, "No such role.", FieldErrors),
        ),
    }
    return [
        TELEGRAM_USERS.collection("/telegram-users/", seeonline.telegram_users, TelegramUserQuery),
        TELEGRAM_USERS.one("/telegram-users/{user_id}/", seeonline.telegram_user, {"user_id": int}),
        TELEGRAM_USERS.one(
            "/telegram-users/by-telegram-id/{telegram_id}/",
            seeonline.telegram_user_by_telegram_id,
            {"telegram_id": int},
            BY_KEY,
            " by its Telegram id",
        ),
        Endpoint(
            "/telegram-users/by-role/{role}/",
            seeonline.telegram_users_by_role,
            by_role,
            System.SEEONLINE,
        ),
    ]


def _tracked_users() -> list[Endpoint]:
    return [
        TRACKED_USERS.collection("/tracked-users/", seeonline.tracked_users, TrackedUserQuery),
        TRACKED_USERS.one("/tracked-users/{tracked_id}/", seeonline.tracked_user, TRACKED_ID),
        # Usernames are unique per client only: several clients' one is refused (400).
        replace(TRACKED_USERS, deleting=(REFUSED,)).one(
            "/tracked-users/by-username/{username}/",
            seeonline.tracked_user_by_username,
            {},
            BY_KEY,
            " by its username",
        ),
    ]


def _statuses() -> list[Endpoint]:
    return [
        STATUSES.collection("/online-statuses/", seeonline.statuses, StatusQuery),
        STATUSES.one("/online-statuses/{status_id}/", seeonline.status, {"status_id": int}),
        _history_deleted(
            "/online-statuses/by-tracked-user-id/{tracked_id}/",
            seeonline.statuses_by_tracked_user_id,
            "by its id",
            TRACKED_ID,
        ),
        _history_deleted(
            "/online-statuses/by-tracked-username/{username}/",
            seeonline.statuses_by_tracked_username,
            "by its username (every client's of that name; none is 0 deleted)",
            {},
        ),
    ]


def _history_deleted(path: str, handler: Handler, how: str, path_types: dict[str, Any]) -> Endpoint:
    operation = _operation(
        f"Delete a tracked user's whole status log, the user found {how}",
        Answer(200, "Deleted.", DeletedCount),
        path=path_types,
    )
    return Endpoint(path, handler, {"DELETE": operation}, System.SEEONLINE)


def _downloads() -> list[Endpoint]:
    """tghub additions (not in the original): file names, so no trailing-slash twin."""
    return [
        _download(
            "/tracking/tracked-users/{tracked_id}/online-sessions.csv",
            tracking_csv.online_sessions,
            "A tracked user's online sessions as CSV",
            "`start,end,duration_seconds`: one row per online interval within the window "
            "(clipped to it), oldest first.",
        ),
        _download(
            "/tracking/tracked-users/{tracked_id}/daily-online-totals.csv",
            tracking_csv.daily_online_totals,
            "A tracked user's online seconds by UTC day as CSV",
            "`date,online_seconds`: one row per UTC day the window touches, 0 without a session.",
        ),
    ]


def _download(path: str, handler: Handler, summary: str, rows: str) -> Endpoint:
    name = path.rsplit("/", 1)[1].removesuffix(".csv")
    disposition = f'attachment; filename="{name}-<tracked_id>.csv"'
    answer = Answer(200, rows, str, media_type=CSV, headers={"Content-Disposition": disposition})
    operation = _operation(summary, answer, query=Window, path=TRACKED_ID)
    return Endpoint(path, handler, {"GET": operation}, System.SEEONLINE, twin=False)
