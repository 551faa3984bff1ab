"""``onlineStatus`` over a real websocket (gql, graphql-transport-ws): status changes recorded
as tghub's listener records them (``tracking.record_statuses``, as tghub itself) reach the
admins following those tracked users, and nobody else.

A subscription has no acknowledgement, so before recording the tests wait until the live
server holds the subscriber's queue on the bus channel and Redis counts a listener there.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from gql.transport.exceptions import TransportQueryError

from domain.tracking.events import CHANNEL
from tests.api.graphql.test_messenger_subscriptions import (
    request,
    session_of,
    stream,
    until_listening,
)
from tests.api.graphql.tracking_support import Caller, admin_caller, gid, record, user_caller

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from tests.conftest import LiveServer


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


async def tracked_pair(admin: Caller) -> tuple[dict[str, Any], dict[str, Any]]:
    await admin.ready_tracker()
    client = await admin.client()
    return await admin.tracked(client, "durov"), await admin.tracked(client, "someone")


async def refusal(server: LiveServer, token: str, variables: dict[str, Any]) -> list[Any]:
    """The errors of a subscription refused before its first event (then completed)."""
    async with (
        session_of(server, token) as session,
        contextlib.aclosing(session.subscribe(request("OnlineStatus", variables))) as results,
    ):
        with pytest.raises(TransportQueryError) as refused:
            await anext(results)
    errors = refused.value.errors or []
    return [(e.get("extensions", {}).get("code"), e["message"]) for e in errors]


class TestOnlineStatus:
    async def test_follows_the_users_asked_for(
        self, server: LiveServer, runtime: Runtime, admin: Caller
    ) -> None:
        durov, someone = await tracked_pair(admin)
        assert admin.token is not None
        variables = {"trackedUserIds": [durov["id"]]}

        async with (
            session_of(server, admin.token) as session,
            stream(session, "OnlineStatus", variables) as events,
        ):
            await until_listening(server, runtime, CHANNEL, queues=1)
            await record(
                runtime,
                (someone["id"], True, at("2025-01-01T09:00")),
                (durov["id"], True, at("2025-01-01T10:00")),
            )
            await record(runtime, (durov["id"], None, at("2025-01-01T11:00")))
            await record(runtime, (someone["id"], False, at("2025-01-01T11:30")))
            await record(runtime, (durov["id"], False, at("2025-01-01T12:00")))

            seen = [await events.next() for _ in range(3)]

        assert seen == [
            {
                "trackedUserId": durov["id"],
                "isOnline": True,
                "observedAt": "2025-01-01T10:00:00+00:00",
                "hiddenReason": None,
            },
            {
                "trackedUserId": durov["id"],
                "isOnline": None,
                "observedAt": "2025-01-01T11:00:00+00:00",
                "hiddenReason": "The user's privacy settings hide their online status.",
            },
            {  # known again: shown again, and logged as the change it is
                "trackedUserId": durov["id"],
                "isOnline": False,
                "observedAt": "2025-01-01T12:00:00+00:00",
                "hiddenReason": None,
            },
        ]

    async def test_several_users_one_batch(
        self, server: LiveServer, runtime: Runtime, admin: Caller
    ) -> None:
        durov, someone = await tracked_pair(admin)
        assert admin.token is not None
        variables = {"trackedUserIds": [someone["id"], durov["id"], durov["id"]]}

        async with (
            session_of(server, admin.token) as session,
            stream(session, "OnlineStatus", variables) as events,
        ):
            await until_listening(server, runtime, CHANNEL, queues=1)
            await record(
                runtime,
                (durov["id"], True, at("2025-01-01T10:00")),
                (someone["id"], True, at("2025-01-01T10:01")),
            )
            seen = [await events.next() for _ in range(2)]

        assert [(e["trackedUserId"], e["isOnline"]) for e in seen] == [
            (durov["id"], True),
            (someone["id"], True),
        ]

    async def test_unknown_users_are_not_found(self, server: LiveServer, admin: Caller) -> None:
        durov, _ = await tracked_pair(admin)
        assert admin.token is not None
        variables = {"trackedUserIds": [durov["id"], gid("TrackedUser", 99999)]}
        assert await refusal(server, admin.token, variables) == [
            ("NOT_FOUND", "No TrackedUser matches the given query.")
        ]

    @pytest.mark.parametrize(
        ("ids", "message"),
        [
            pytest.param(
                [gid("Tracker", 1)], "Every id must be a TrackedUser id.", id="other_type"
            ),
            pytest.param(["1"], "Every id must be a TrackedUser id.", id="bare_number"),
            pytest.param([], "Between 1 and 100 tracked users.", id="none"),
            pytest.param(
                [gid("TrackedUser", i) for i in range(1, 102)],
                "Between 1 and 100 tracked users.",
                id="too_many",
            ),
        ],
    )
    async def test_wrong_ids_are_bad_input(
        self, server: LiveServer, admin: Caller, ids: list[str], message: str
    ) -> None:
        assert admin.token is not None
        assert await refusal(server, admin.token, {"trackedUserIds": ids}) == [
            ("BAD_USER_INPUT", message)
        ]

    async def test_only_admins(
        self, server: LiveServer, http: httpx.AsyncClient, admin: Caller
    ) -> None:
        durov, _ = await tracked_pair(admin)
        user = await user_caller(http)
        assert user.token is not None
        assert await refusal(server, user.token, {"trackedUserIds": [durov["id"]]}) == [
            ("FORBIDDEN", "Only admins may do this.")
        ]
