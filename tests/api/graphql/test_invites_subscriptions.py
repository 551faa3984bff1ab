"""``inviteEvents`` over a real websocket (gql, graphql-transport-ws): the queue's length, its
alert and the log rows a dispatch pass writes (through the simulated Telegram) reach the
admins following the dashboard; nobody else may follow it.

A subscription has no acknowledgement, so before publishing the tests wait until the live
server holds the subscriber's queue on the bus channel and Redis counts a listener there.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from gql.transport.exceptions import TransportQueryError

from domain.adapters.telegram import build_gateway
from domain.invites.dispatch import Dispatcher, DispatchOptions
from domain.invites.events import CHANNEL
from domain.invites.rules import InviteStatus
from tests.api.graphql.invites_support import (
    SETTINGS,
    fresh_phone,
    log_id,
    logged,
    queue,
    write_log,
)
from tests.api.graphql.test_messenger_subscriptions import (
    request,
    session_of,
    stream,
    until_listening,
)
from tests.api.graphql.tracking_support import Caller, admin_caller, gid, user_caller
from tests.integration.invites import scene

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from tests.conftest import LiveServer


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


def dispatcher(runtime: Runtime) -> Dispatcher:
    """The deployment's dispatcher, on the simulated Telegram (only its queue watch runs)."""
    gateway = build_gateway(runtime.settings, runtime)
    return Dispatcher(runtime.uow, gateway, runtime.secrets, runtime.auth.clock, DispatchOptions())


async def nothing_waits(runtime: Runtime) -> bool:
    return not await scene.waiting(runtime)


async def refusal(server: LiveServer, token: str) -> list[Any]:
    """The errors of a subscription refused before its first event (then completed)."""
    async with (
        session_of(server, token) as session,
        contextlib.aclosing(session.subscribe(request("InviteEvents"))) as results,
    ):
        with pytest.raises(TransportQueryError) as refused:
            await anext(results)
    errors = refused.value.errors or []
    return [(e.get("extensions", {}).get("code"), e["message"]) for e in errors]


class TestInviteEvents:
    async def test_the_queue_and_its_alert(
        self, server: LiveServer, runtime: Runtime, admin: Caller
    ) -> None:
        await admin.succeeded("UpdateInviteSettings", **{**SETTINGS, "queueThreshold": 2})
        watch = dispatcher(runtime)
        assert admin.token is not None

        async with (
            session_of(server, admin.token) as session,
            stream(session, "InviteEvents") as events,
        ):
            await until_listening(server, runtime, CHANNEL, queues=1)
            await admin.succeeded("QueueInvites", phones=[fresh_phone(), fresh_phone()])
            await watch.watch_queue()
            await watch.watch_queue()  # unchanged: nothing more
            await queue(runtime, fresh_phone())
            await watch.watch_queue()
            await queue(runtime, fresh_phone())
            await watch.watch_queue()  # over still: no second alert

            seen = [await events.next() for _ in range(4)]

        alert = seen[2]
        assert datetime.fromisoformat(alert.pop("at")).tzinfo is not None
        assert seen == [
            {
                "__typename": "InviteQueueLengthChanged",
                "queueLength": 2,
                "queueThreshold": 2,
                "overThreshold": False,
            },
            {
                "__typename": "InviteQueueLengthChanged",
                "queueLength": 3,
                "queueThreshold": 2,
                "overThreshold": True,
            },
            {"__typename": "InviteQueueAlert", "queueLength": 3, "queueThreshold": 2},
            {
                "__typename": "InviteQueueLengthChanged",
                "queueLength": 4,
                "queueThreshold": 2,
                "overThreshold": True,
            },
        ]

    async def test_a_phone_invited_by_the_dispatcher(
        self, server: LiveServer, runtime: Runtime, admin: Caller
    ) -> None:
        await scene.load(runtime, scene.invite_world())
        [account_id] = await scene.inviting_accounts(runtime)
        await scene.configure(runtime)
        dispatch = scene.dispatch(runtime)
        assert admin.token is not None

        async with (
            session_of(server, admin.token) as session,
            stream(session, "InviteEvents") as events,
        ):
            await until_listening(server, runtime, CHANNEL, queues=1)
            await scene.queue(runtime, scene.OPEN)
            await dispatch.until(lambda: nothing_waits(runtime))

            seen = [await events.next() for _ in range(3)]

        account = gid("TelegramAccount", account_id)
        [row] = await scene.logs(runtime)
        at = scene.NOW.strftime("%Y-%m-%d %H:%M:%S")
        # The queue's emptying and the row are published by two tasks of the pass, after
        # their commits: either may come first.
        seen[1:] = sorted(seen[1:], key=lambda event: str(event["__typename"]))
        assert seen == [
            {
                "__typename": "InviteQueueLengthChanged",
                "queueLength": 1,
                "queueThreshold": 50,
                "overThreshold": False,
            },
            {
                "__typename": "InviteLogWritten",
                "log": {
                    "id": gid("InviteLog", row.id),
                    "taskId": str(row.task_id),
                    "accountId": account,
                    "accountName": scene.ACCOUNT_PHONES[0],
                    "account": {"id": account, "phone": scene.ACCOUNT_PHONES[0]},
                    "channelUsername": scene.CHANNEL,
                    "phone": scene.OPEN,
                    "status": "INVITED",
                    "reason": None,
                    "createdAt": scene.NOW.isoformat(),
                    "line": f"{at} INVITED {scene.OPEN} @{scene.CHANNEL} {scene.ACCOUNT_PHONES[0]}",
                },
            },
            {
                "__typename": "InviteQueueLengthChanged",
                "queueLength": 0,
                "queueThreshold": 50,
                "overThreshold": False,
            },
        ]

    async def test_a_log_row_as_announced_with_its_commit(
        self, server: LiveServer, runtime: Runtime, admin: Caller
    ) -> None:
        """A row of an account deleted since: its name stays, the account is gone."""
        row = await write_log(
            runtime,
            InviteStatus.FAILED,
            phone="+79990000001",
            account_name="+79990000401",
            reason="not_telegram_user",
            at=datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC),
        )
        assert admin.token is not None

        async with (
            session_of(server, admin.token) as session,
            stream(session, "InviteEvents") as events,
        ):
            await until_listening(server, runtime, CHANNEL, queues=1)
            async with runtime.uow() as uow:  # as the dispatcher announces the row it writes
                uow.emit(logged(row))
                await uow.commit()

            seen = await events.next()

        assert seen["log"] == {
            "id": log_id(row),
            "taskId": str(row.task_id),
            "accountId": None,
            "accountName": "+79990000401",
            "account": None,
            "channelUsername": "test_channel",
            "phone": "+79990000001",
            "status": "FAILED",
            "reason": "not_telegram_user",
            "createdAt": "2025-05-06T07:08:09+00:00",
            "line": "2025-05-06 07:08:09 FAILED +79990000001 @test_channel +79990000401 "
            "not_telegram_user",
        }

    async def test_only_admins(self, server: LiveServer, http: httpx.AsyncClient) -> None:
        user = await user_caller(http)
        assert user.token is not None

        assert await refusal(server, user.token) == [("FORBIDDEN", "Only admins may do this.")]
