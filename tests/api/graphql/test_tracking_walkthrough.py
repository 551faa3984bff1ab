"""docs/tracking.md's walk-through, as written, on the demo world: a tracker set up over
GraphQL on the demo account is taken up by a listener, and the demo people's statuses are
logged (Oleg's, hidden from non-contacts, with the reason)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.adapters.clock import SystemClock
from domain.adapters.simulated.sandbox import DEMO_WORLD
from domain.adapters.simulated.worldfile import read_world_file
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.types import TelegramID
from tests.api.graphql.tracking_support import admin_caller
from tests.conftest import until
from tests.world import ACCOUNT_PHONE, API_HASH, signed_in_account
from workers.listener import Listener

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from tests.api.graphql.tracking_support import Caller


async def statuses(admin: Caller, tracked: dict[str, Any]) -> list[bool]:
    rows = await admin.nodes("OnlineStatuses", filter={"trackedUserId": tracked["id"]})
    return [row["isOnline"] for row in rows]


async def test_the_demo_people_are_tracked(runtime: Runtime, http: httpx.AsyncClient) -> None:
    assert runtime.sandbox is not None
    assert runtime.world is not None
    await runtime.sandbox.replace_world(read_world_file(DEMO_WORLD))
    await signed_in_account(runtime, ACCOUNT_PHONE)  # README, step 6
    admin = await admin_caller(runtime, http)

    created = await admin.succeeded(
        "CreateTracker", telegramId="9001", apiId=12345, apiHash=API_HASH, isActive=True
    )
    setting = await admin.succeeded(
        "CreateTrackerSetting",
        trackerId=created["tracker"]["id"],
        phoneNumber=ACCOUNT_PHONE,
        maxUsers=100,
    )
    assert setting["tracker"]["isAuth"] is True
    client = (await admin.succeeded("CreateTrackingClient", telegramId="42", maxUsers=10))["client"]
    ivan, oleg = [
        (await admin.succeeded("CreateTrackedUser", clientId=client["id"], username=name))[
            "trackedUser"
        ]
        for name in ("ivan_demo", "oleg_demo")
    ]

    listener = Listener(runtime, SimulatedGateway(runtime.world), SystemClock(), owner="demo")
    try:
        await listener.scan()

        async def ivan_logged() -> bool:
            return len(await statuses(admin, ivan)) >= 1

        await until(ivan_logged)
        first = (await statuses(admin, ivan))[0]
        # Pinned to the other status (his schedule ends): logged by an update or a poll.
        await runtime.sandbox.set_user_status(TelegramID(1001), online=not first)

        async def ivan_changed() -> bool:
            return (await statuses(admin, ivan))[:2] == [first, not first]

        await until(ivan_changed)
        [shown] = await admin.nodes("TrackedUsers", filter={"id": oleg["id"]})
        assert (shown["visibleOnline"], shown["hiddenReason"]) == (False, "hidden")
        assert await statuses(admin, oleg) == []
    finally:
        await listener.close()
