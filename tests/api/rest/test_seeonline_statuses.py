"""Legacy 000 ``/online-statuses/``: the status log, its filters (the inclusive date range
above all), one row, the bulk deletes, and who may call them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.tracking import service as tracking
from domain.tracking.service import StatusChange
from tests.api.rest.factories import (
    PASSWORD,
    basic_header,
    create_admin,
    create_user,
    with_and_without_slash,
)
from tests.conftest import app_client

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

SYSTEM = System("tests")
T0 = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
MISSING = {"detail": "No OnlineStatus matches the given query."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


@pytest.fixture
async def admin(runtime: Runtime) -> dict[str, str]:
    user = await create_admin(runtime)
    return {"Authorization": basic_header(user.username, PASSWORD)}


async def watched(runtime: Runtime, usernames: list[str]) -> list[int]:
    """Tracked users of one client on one tracker, by username."""
    async with runtime.uow() as uow:
        created = await tracking.create_tracker(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            telegram_id=1,
            api_id=1,
            api_hash="1" * 32,
            is_active=True,
            is_auth=True,
        )
    async with runtime.uow() as uow:
        await tracking.create_setting(
            uow,
            runtime.secrets,
            actor=SYSTEM,
            tracker_id=created.id,
            phone_number="+79993000001",
            max_users=10,
        )
    async with runtime.uow() as uow:
        owner = await tracking.create_telegram_user(uow, actor=SYSTEM, telegram_id=2)
    ids = []
    for username in usernames:
        async with runtime.uow() as uow:
            tracked = await tracking.track_user(
                uow, actor=SYSTEM, telegram_user_id=owner.id, username=username
            )
        ids.append(tracked.id)
    return ids


async def log(runtime: Runtime, tracked_id: int, *moments: tuple[bool, timedelta]) -> None:
    changes = [StatusChange(tracked_id, online, T0 + offset) for online, offset in moments]
    async with runtime.uow() as uow:
        await tracking.record_statuses(uow, actor=SYSTEM, changes=changes)


async def listed(
    http: httpx.AsyncClient, headers: dict[str, str], **query: Any
) -> list[dict[str, Any]]:
    response = await http.get("/online-statuses/", params=query, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


class TestList:
    async def test_a_bare_array_by_id(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        (ivan,) = await watched(runtime, ["Ivanko"])
        await log(runtime, ivan, (True, timedelta()), (False, timedelta(minutes=5)))

        for path in with_and_without_slash("/online-statuses/"):
            response = await http.get(path, headers=admin)
            assert response.status_code == 200, path
            body = response.json()
            assert [(s["tracked_user_id"], s["is_online"]) for s in body] == [
                (ivan, True),
                (ivan, False),
            ]
            assert set(body[0]) == {
                "id",
                "tracked_user_id",
                "is_online",
                "created_at",
                "updated_at",
            }
            assert body[0]["created_at"] == body[0]["updated_at"] == "2024-12-31T23:30:00+00:00"
            assert body[0]["id"] < body[1]["id"]

    async def test_filters(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        ivan, olga = await watched(runtime, ["Ivanko", "olga_100"])
        await log(runtime, ivan, (True, timedelta()), (False, timedelta(hours=1)))
        await log(runtime, olga, (True, timedelta(minutes=1)))

        async def pairs(**query: Any) -> list[tuple[int, bool]]:
            found = await listed(http, admin, **query)
            return [(s["tracked_user_id"], s["is_online"]) for s in found]

        assert await pairs(tracked_user_id=olga) == [(olga, True)]
        assert await pairs(tracked_user=ivan, is_online="false") == [(ivan, False)]
        assert await pairs(username="IVAN") == [(ivan, True), (ivan, False)]
        assert await pairs(username="%") == []  # a wildcard is a character like any other
        assert await pairs(username="_1") == [(olga, True)]
        assert await pairs(nonsense="1", tracked_user_id=2**40) == []

    async def test_the_date_range_is_inclusive_and_utc_without_an_offset(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        (ivan,) = await watched(runtime, ["ivan"])
        # 23:30 on Dec 31, 00:00 and 00:30 on Jan 1 (UTC).
        await log(
            runtime,
            ivan,
            (True, timedelta()),
            (False, timedelta(minutes=30)),
            (True, timedelta(hours=1)),
        )

        async def times(**query: Any) -> list[str]:
            return [s["created_at"][11:16] for s in await listed(http, admin, **query)]

        assert await times(created_at_after="2025-01-01") == ["00:00", "00:30"]
        assert await times(created_at_before="2025-01-01") == ["23:30", "00:00"]
        assert await times(
            created_at_after="2024-12-31 23:30:00", created_at_before="2025-01-01 00:00:00"
        ) == ["23:30", "00:00"]
        assert await times(created_at_after="2025-01-01T03:30:00+03:00") == ["00:30"]
        assert await times(created_at_after="2024-12-01", created_at_before="2024-12-31") == []

    @pytest.mark.parametrize(
        ("query", "answer"),
        [
            ({"created_at_after": "2025-13-45"}, {"created_at": ["Enter a valid date/time."]}),
            ({"created_at_before": "yesterday"}, {"created_at": ["Enter a valid date/time."]}),
            (
                {"created_at_after": "0001-01-01T00:00:00+05:00"},
                {"created_at": ["Enter a valid date/time."]},
            ),
            ({"tracked_user_id": "x"}, {"tracked_user_id": ["Enter a number."]}),
            ({"id": "1.5"}, {"id": ["Enter a number."]}),
        ],
    )
    async def test_wrong_filters_are_400(
        self, http: httpx.AsyncClient, admin: dict[str, str], query: dict[str, str], answer: Any
    ) -> None:
        response = await http.get("/online-statuses/", params=query, headers=admin)

        assert (response.status_code, response.json()) == (400, answer)

    async def test_a_wrong_boolean_is_a_400(
        self, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        response = await http.get("/online-statuses/?is_online=yes-ish", headers=admin)

        assert (response.status_code, list(response.json())) == (400, ["is_online"])


class TestOneAndBulk:
    async def test_get_and_delete_one(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        (ivan,) = await watched(runtime, ["ivan"])
        await log(runtime, ivan, (True, timedelta()))
        (row,) = await listed(http, admin)
        path = f"/online-statuses/{row['id']}/"

        assert (await http.get(path, headers=admin)).json() == row
        deleted = await http.delete(path, headers=admin)
        assert (deleted.status_code, deleted.content) == (204, b"")
        for method in ("GET", "DELETE"):
            gone = await http.request(method, path, headers=admin)
            assert (gone.status_code, gone.json()) == (404, MISSING), method
        odd = await http.get("/online-statuses/x/", headers=admin)
        assert (odd.status_code, odd.json()) == (404, {"detail": "Not found."})

    async def test_bulk_deletes_count_what_they_deleted(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        ivan, olga = await watched(runtime, ["ivan", "olga"])
        await log(runtime, ivan, (True, timedelta()), (False, timedelta(minutes=1)))
        await log(runtime, olga, (True, timedelta()))

        by_id = await http.delete(f"/online-statuses/by-tracked-user-id/{ivan}/", headers=admin)
        by_name = await http.delete("/online-statuses/by-tracked-username/olga", headers=admin)
        again = await http.delete("/online-statuses/by-tracked-username/olga/", headers=admin)

        assert (by_id.status_code, by_id.json()) == (200, {"deleted_count": 2})
        assert (by_name.status_code, by_name.json()) == (200, {"deleted_count": 1})
        assert again.json() == {"deleted_count": 0}
        assert await listed(http, admin) == []


class TestAccess:
    async def test_anonymous_and_plain_users_are_refused(
        self, runtime: Runtime, http: httpx.AsyncClient
    ) -> None:
        user = await create_user(runtime)
        plain = {"Authorization": basic_header(user.username, PASSWORD)}

        anonymous = await http.get("/online-statuses/")
        refused = await http.delete("/online-statuses/by-tracked-user-id/1/", headers=plain)

        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == 'Basic realm="tghub"'
        assert (refused.status_code, refused.json()) == (403, FORBIDDEN)

    async def test_an_open_group_lets_anonymous_callers_read(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        (ivan,) = await watched(runtime, ["ivan"])
        await log(runtime, ivan, (True, timedelta()))
        opened = settings.model_copy(update={"legacy_open": ["seeonline"]})
        async with app_client(opened) as anonymous:
            response = await anonymous.get("/online-statuses/", params={"tracked_user": ivan})

        assert response.status_code == 200
        assert [s["is_online"] for s in response.json()] == [True]


class TestWritingByHand:
    async def test_post_patch_put(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        ivan, olga = await watched(runtime, ["ivan", "olga"])

        for path in with_and_without_slash("/online-statuses/"):
            body = {"tracked_user_id": ivan, "is_online": "true"}
            response = await http.post(path, json=body, headers=admin)
            assert response.status_code == 201, response.text
            assert (response.json()["tracked_user_id"], response.json()["is_online"]) == (
                ivan,
                True,
            )
        row = f"/online-statuses/{response.json()['id']}/"
        patched = await http.patch(row, json={"is_online": False}, headers=admin)
        assert patched.json()["is_online"] is False
        put = await http.put(row, json={"tracked_user_id": olga, "is_online": True}, headers=admin)
        assert (put.json()["tracked_user_id"], put.json()["is_online"]) == (olga, True)

    async def test_bad_bodies_are_field_errors(
        self, runtime: Runtime, http: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        (ivan,) = await watched(runtime, ["ivan"])
        await log(runtime, ivan, (True, timedelta()))
        (row,) = await listed(http, admin)

        empty = await http.post("/online-statuses/", json={}, headers=admin)
        unknown = await http.post(
            "/online-statuses/", json={"tracked_user_id": 2**40, "is_online": True}, headers=admin
        )
        wrong = await http.patch(
            f"/online-statuses/{row['id']}/", json={"is_online": "sometimes"}, headers=admin
        )
        half_put = await http.put(
            f"/online-statuses/{row['id']}/", json={"is_online": True}, headers=admin
        )

        assert (empty.status_code, set(empty.json())) == (400, {"tracked_user_id", "is_online"})
        assert unknown.json() == {
            "tracked_user_id": [f'Invalid pk "{2**40}" - object does not exist.']
        }
        assert wrong.json() == {"is_online": ["Must be a valid boolean."]}
        assert half_put.json() == {"tracked_user_id": ["This field is required."]}
        missing = await http.patch("/online-statuses/999999/", json={}, headers=admin)
        assert (missing.status_code, missing.json()) == (404, MISSING)
