"""Invite mutations over GraphQL (admins): the settings, an account's pause, resume and quota,
failed invites queued again and phones queued by hand; their failures, and who may call
them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.invites import service as invites
from domain.invites.rules import MAX_BATCH, InviteStatus
from domain.telegram import service as telegram
from tests.api.graphql.invites_support import (
    SETTINGS,
    add_account,
    fresh_phone,
    queue,
    raw_account,
    write_log,
)
from tests.api.graphql.tracking_support import (
    Caller,
    admin_caller,
    field_errors,
    gid,
    user_caller,
)
from tests.conftest import app_client
from tests.world import SYSTEM

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

FAILED, INVITED = InviteStatus.FAILED, InviteStatus.INVITED
UNKNOWN_ACCOUNT = gid("TelegramAccount", "6f1c58c1-7b1e-4b8e-9c43-2a64f1f33c0e")


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


def near(text: str, expected: datetime) -> bool:
    """A time the server computed from its own clock, within a generous minute of ours."""
    return abs(datetime.fromisoformat(text) - expected) < timedelta(minutes=1)


async def queue_length(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        return await invites.queue_length(uow, actor=SYSTEM)


class TestUpdateSettings:
    async def test_stores_the_settings(self, admin: Caller) -> None:
        payload = await admin.succeeded("UpdateInviteSettings", **SETTINGS)

        settings = payload["settings"]
        assert {k: v for k, v in settings.items() if k != "updatedAt"} == {
            **SETTINGS,
            "channelUsername": "test_channel",  # the bare username, lower case
        }
        assert near(settings["updatedAt"], datetime.now(UTC))
        assert await admin.query("InviteSettings") == settings

    @pytest.mark.parametrize(
        "channel",
        ["test_channel", "@test_channel", "https://t.me/test_channel", "t.me/Test_Channel"],
    )
    async def test_a_channel_in_any_of_its_forms(self, admin: Caller, channel: str) -> None:
        payload = await admin.succeeded(
            "UpdateInviteSettings", **{**SETTINGS, "channelUsername": channel}
        )

        assert payload["settings"]["channelUsername"] == "test_channel"

    async def test_no_channel_yet(self, admin: Caller) -> None:
        payload = await admin.succeeded(
            "UpdateInviteSettings", **{**SETTINGS, "channelUsername": "  "}
        )

        assert payload["settings"]["channelUsername"] == ""

    async def test_zero_pauses(self, admin: Caller) -> None:
        payload = await admin.succeeded(
            "UpdateInviteSettings", **{**SETTINGS, "pauseMinSeconds": 0, "pauseMaxSeconds": 0}
        )

        assert (payload["settings"]["pauseMinSeconds"], payload["settings"]["pauseMaxSeconds"]) == (
            0.0,
            0.0,
        )

    async def test_bad_settings_name_every_field_and_store_nothing(self, admin: Caller) -> None:
        before = await admin.query("InviteSettings")

        payload = await admin.mutate(
            "UpdateInviteSettings",
            channelUsername="https://t.me/+AbCdEf",
            failureMessage="   ",
            queueThreshold=-1,
            pauseMinSeconds=5,
            pauseMaxSeconds=2,
            onlyMessageBot=True,
            inviteAndMessage=True,
        )

        assert field_errors(payload) == {
            "channelUsername": ["Give the channel's username: name, @name or https://t.me/name."],
            "failureMessage": ["The failure message needs some text."],
            "queueThreshold": ["The queue threshold is a number of 0 or more."],
            "pauseMinSeconds": ["The minimum pause cannot be longer than the maximum."],
            "onlyMessageBot": [
                "Choose one mode: only_message_bot or invite_and_message, not both."
            ],
        }
        assert await admin.query("InviteSettings") == before

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            pytest.param(
                {"pauseMinSeconds": -1},
                {"pauseMinSeconds": ["A pause is 0 to 3600 seconds."]},
                id="negative_pause",
            ),
            pytest.param(
                {"pauseMaxSeconds": 3601},
                {"pauseMaxSeconds": ["A pause is 0 to 3600 seconds."]},
                id="pause_too_long",
            ),
            pytest.param(
                {"failureMessage": "x" * 4097},
                {"failureMessage": ["At most 4096 characters."]},
                id="message_too_long",
            ),
            pytest.param(
                {"failureMessage": "hi\x00"},
                {"failureMessage": ["Null characters are not allowed."]},
                id="message_nul",
            ),
            pytest.param(
                {"channelUsername": "chan\x00nel"},
                {"channelUsername": ["Null characters are not allowed."]},
                id="channel_nul",
            ),
            pytest.param(
                {"channelUsername": "not a channel"},
                {
                    "channelUsername": [
                        "Give the channel's username: name, @name or https://t.me/name."
                    ]
                },
                id="channel_text",
            ),
            pytest.param(
                {"queueThreshold": 2_000_000_000},
                {"queueThreshold": ["The queue threshold is a number of 0 or more."]},
                id="threshold_huge",
            ),
        ],
    )
    async def test_one_bad_field(
        self, admin: Caller, fields: dict[str, Any], expected: dict[str, list[str]]
    ) -> None:
        before = await admin.query("InviteSettings")

        payload = await admin.mutate("UpdateInviteSettings", **{**SETTINGS, **fields})

        assert field_errors(payload) == expected
        assert await admin.query("InviteSettings") == before

    async def test_a_missing_field_is_refused_by_graphql(self, admin: Caller) -> None:
        fields = {k: v for k, v in SETTINGS.items() if k != "failureMessage"}

        assert (await admin.mutate("UpdateInviteSettings", **fields))["refused"] == [None]


class TestPause:
    async def test_pauses_for_the_seconds_asked(self, admin: Caller, runtime: Runtime) -> None:
        account = await add_account(runtime)

        payload = await admin.succeeded(
            "PauseTelegramAccount", accountId=account, seconds=600, reason="Too many complaints"
        )

        shown = payload["account"]
        assert shown["id"] == account
        assert near(shown["pausedUntil"], datetime.now(UTC) + timedelta(seconds=600))
        assert shown["pauseReason"] == "Too many complaints"
        [listed] = await admin.query("InviteAccounts")
        assert (listed["pausedUntil"], listed["pauseReason"]) == (
            shown["pausedUntil"],
            "Too many complaints",
        )

    async def test_a_reason_by_default(self, admin: Caller, runtime: Runtime) -> None:
        account = await add_account(runtime)

        payload = await admin.succeeded("PauseTelegramAccount", accountId=account, seconds=60)

        assert payload["account"]["pauseReason"] == "Paused by an admin."

    async def test_a_longer_pause_stays(self, admin: Caller, runtime: Runtime) -> None:
        account = await add_account(runtime)
        flagged_until = datetime.now(UTC) + timedelta(hours=6)
        async with runtime.uow() as uow:
            await telegram.pause_account(
                uow,
                actor=SYSTEM,
                account_id=raw_account(account),
                until=flagged_until,
                reason="PeerFlood",
            )

        payload = await admin.succeeded(
            "PauseTelegramAccount", accountId=account, seconds=60, reason="short"
        )

        shown = payload["account"]
        assert datetime.fromisoformat(shown["pausedUntil"]) == flagged_until
        assert shown["pauseReason"] == "PeerFlood"

    async def test_a_longer_pause_replaces_a_shorter_one(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        account = await add_account(runtime)
        await admin.succeeded("PauseTelegramAccount", accountId=account, seconds=60, reason="a")

        payload = await admin.succeeded(
            "PauseTelegramAccount", accountId=account, seconds=3600, reason="b"
        )

        shown = payload["account"]
        assert near(shown["pausedUntil"], datetime.now(UTC) + timedelta(hours=1))
        assert shown["pauseReason"] == "b"

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            pytest.param(
                {"seconds": 0},
                {
                    "seconds": [
                        "A pause is 1 to 2592000 seconds (30 days); to stop an account for "
                        "longer, take invites off its uses."
                    ]
                },
                id="zero",
            ),
            pytest.param({"seconds": -5}, None, id="negative"),
            pytest.param({"seconds": 30 * 24 * 3600 + 1}, None, id="over_30_days"),
            pytest.param(
                {"seconds": 60, "reason": "x" * 201},
                {"reason": ["At most 200 characters."]},
                id="long_reason",
            ),
            pytest.param(
                {"seconds": 60, "reason": "a\x00"},
                {"reason": ["Null characters are not allowed."]},
                id="nul_reason",
            ),
        ],
    )
    async def test_bad_input_pauses_nothing(
        self,
        admin: Caller,
        runtime: Runtime,
        fields: dict[str, Any],
        expected: dict[str, list[str]] | None,
    ) -> None:
        account = await add_account(runtime)

        payload = await admin.mutate("PauseTelegramAccount", accountId=account, **fields)

        errors = field_errors(payload)
        assert errors == expected if expected is not None else list(errors) == ["seconds"]
        [listed] = await admin.query("InviteAccounts")
        assert listed["pausedUntil"] is None

    async def test_ids(self, admin: Caller, runtime: Runtime) -> None:
        await add_account(runtime)

        unknown = await admin.mutate("PauseTelegramAccount", accountId=UNKNOWN_ACCOUNT, seconds=60)
        malformed = await admin.mutate("PauseTelegramAccount", accountId="1", seconds=60)

        assert (unknown["__typename"], unknown["message"]) == (
            "NotFoundError",
            "No TelegramAccount matches the given query.",
        )
        assert field_errors(malformed) == {"accountId": ["Not a TelegramAccount id."]}


class TestResume:
    async def test_ends_any_pause(self, admin: Caller, runtime: Runtime) -> None:
        account = await add_account(runtime)
        async with runtime.uow() as uow:
            await telegram.pause_account(
                uow,
                actor=SYSTEM,
                account_id=raw_account(account),
                until=datetime.now(UTC) + timedelta(hours=6),
                reason="PeerFlood",
            )

        payload = await admin.succeeded("ResumeTelegramAccount", accountId=account)

        assert (payload["account"]["pausedUntil"], payload["account"]["pauseReason"]) == (
            None,
            None,
        )

    async def test_ids(self, admin: Caller) -> None:
        unknown = await admin.mutate("ResumeTelegramAccount", accountId=UNKNOWN_ACCOUNT)
        malformed = await admin.mutate("ResumeTelegramAccount", accountId=gid("InviteLog", 1))

        assert unknown["__typename"] == "NotFoundError"
        assert field_errors(malformed) == {"accountId": ["Not a TelegramAccount id."]}


class TestQuota:
    async def test_sets_the_quota_and_keeps_what_was_used(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        account = await add_account(runtime)
        async with runtime.uow() as uow:  # three real invites today
            for _ in range(3):
                await telegram.count_invite(uow, actor=SYSTEM, account_id=raw_account(account))
            await uow.commit()

        payload = await admin.succeeded("SetInviteQuota", accountId=account, quota=10)
        none_left = await admin.succeeded("SetInviteQuota", accountId=account, quota=2)

        assert (payload["account"]["inviteQuota"], payload["account"]["invitesLeft"]) == (10, 7)
        assert (none_left["account"]["inviteQuota"], none_left["account"]["invitesLeft"]) == (2, 0)

    @pytest.mark.parametrize("quota", [-1, 10_001])
    async def test_out_of_range(self, admin: Caller, runtime: Runtime, quota: int) -> None:
        account = await add_account(runtime)

        payload = await admin.mutate("SetInviteQuota", accountId=account, quota=quota)

        assert field_errors(payload) == {"quota": ["A daily invite quota is 0 to 10000 invites."]}
        [listed] = await admin.query("InviteAccounts")
        assert listed["inviteQuota"] == 40

    async def test_ids(self, admin: Caller) -> None:
        unknown = await admin.mutate("SetInviteQuota", accountId=UNKNOWN_ACCOUNT, quota=1)
        malformed = await admin.mutate("SetInviteQuota", accountId="x", quota=1)

        assert unknown["__typename"] == "NotFoundError"
        assert field_errors(malformed) == {"accountId": ["Not a TelegramAccount id."]}


class TestRetryFailed:
    async def test_queues_the_phones_whose_latest_outcome_failed(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        failed, recovered, waiting = fresh_phone(), fresh_phone(), fresh_phone()
        long_ago = datetime.now(UTC) - timedelta(days=3)
        await write_log(runtime, FAILED, phone=failed, at=long_ago)
        await write_log(runtime, FAILED, phone=recovered, at=long_ago)
        await write_log(runtime, INVITED, phone=recovered)
        await write_log(runtime, FAILED, phone=waiting)
        await queue(runtime, waiting)

        payload = await admin.succeeded("RetryFailedInvites")
        again = await admin.succeeded("RetryFailedInvites")

        assert payload["queued"] == 1  # the one failed, not waiting already
        assert again["queued"] == 0
        assert await queue_length(runtime) == 2

    async def test_since(self, admin: Caller, runtime: Runtime) -> None:
        old, new, other = fresh_phone(), fresh_phone(), fresh_phone()
        await write_log(runtime, FAILED, phone=old, at=datetime(2025, 1, 1, tzinfo=UTC))
        await write_log(runtime, FAILED, phone=new, at=datetime(2025, 2, 1, tzinfo=UTC))
        await write_log(runtime, FAILED, phone=other, at=datetime(2025, 2, 1, tzinfo=UTC))

        payload = await admin.succeeded("RetryFailedInvites", since="2025-01-15T00:00:00")

        assert payload["queued"] == 2  # new and other (no offset: UTC)
        assert await queue_length(runtime) == 2

    async def test_only_these_phones(self, admin: Caller, runtime: Runtime) -> None:
        chosen, waiting, other = fresh_phone(), fresh_phone(), fresh_phone()
        for phone in (chosen, waiting, other):
            await write_log(runtime, FAILED, phone=phone)
        await queue(runtime, waiting)

        # Read as the webhook reads them: without a country code, in the default region.
        payload = await admin.succeeded(
            "RetryFailedInvites", phones=[chosen.removeprefix("+7"), waiting]
        )

        assert payload["queued"] == 1
        assert await queue_length(runtime) == 2

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            pytest.param(
                {"phones": []}, {"phones": ["Give at least one phone number."]}, id="empty"
            ),
            pytest.param(
                {"phones": ["+79990000001", "not a phone"]},
                {
                    "phones": [
                        "'not a phone' is not a valid phone number (give it in international "
                        "format, +…)."
                    ]
                },
                id="not_a_phone",
            ),
            pytest.param(
                {"phones": ["+79990000001"] * (MAX_BATCH + 1)},
                {"phones": ["At most 1000 phone numbers in one call."]},
                id="too_many",
            ),
            pytest.param(
                {"since": "0001-01-01T00:00:00+05:00"},
                {"since": ["Datetime value out of range."]},
                id="since",
            ),
        ],
    )
    async def test_bad_input_queues_nothing(
        self,
        admin: Caller,
        runtime: Runtime,
        fields: dict[str, Any],
        expected: dict[str, list[str]],
    ) -> None:
        await write_log(runtime, FAILED, phone="+79990000001")

        assert field_errors(await admin.mutate("RetryFailedInvites", **fields)) == expected
        assert await queue_length(runtime) == 0


class TestQueueInvites:
    async def test_queues_valid_phones_and_names_the_rest(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        payload = await admin.succeeded(
            "QueueInvites",
            phones=["+79990000001", "9990000002", "8 (999) 000-00-01", "hello", "+1"],
        )

        assert payload == {
            "__typename": "QueueInvitesSuccess",
            "queued": ["+79990000001", "+79990000002"],
            "alreadyQueued": [],
            "problems": [
                {
                    "index": 3,
                    "message": "'hello' is not a valid phone number (give it in international "
                    "format, +…).",
                },
                {
                    "index": 4,
                    "message": "'+1' is not a valid phone number (give it in international "
                    "format, +…).",
                },
            ],
        }
        assert await queue_length(runtime) == 2

    async def test_a_phone_waiting_is_not_queued_twice(
        self, admin: Caller, runtime: Runtime
    ) -> None:
        await admin.succeeded("QueueInvites", phones=["+79990000001"])

        payload = await admin.succeeded("QueueInvites", phones=["+79990000001", "+79990000003"])

        assert (payload["queued"], payload["alreadyQueued"]) == (["+79990000003"], ["+79990000001"])
        assert await queue_length(runtime) == 2

    async def test_a_phone_invited_already_is_queued(self, admin: Caller, runtime: Runtime) -> None:
        await write_log(runtime, INVITED, phone="+79990000001")

        payload = await admin.succeeded("QueueInvites", phones=["+79990000001"])

        assert payload["queued"] == ["+79990000001"]  # its job logs it skipped

    @pytest.mark.parametrize(
        ("phones", "message"),
        [
            pytest.param([], "Give at least one phone number.", id="empty"),
            pytest.param(
                [fresh_phone() for _ in range(MAX_BATCH + 1)],
                "At most 1000 phone numbers in one call.",
                id="too_many",
            ),
        ],
    )
    async def test_a_bad_batch_queues_nothing(
        self, admin: Caller, runtime: Runtime, phones: list[str], message: str
    ) -> None:
        payload = await admin.mutate("QueueInvites", phones=phones)

        assert field_errors(payload) == {"phones": [message]}
        assert await queue_length(runtime) == 0

    async def test_the_default_region_is_the_deployments(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        american = settings.model_copy(update={"invite_default_region": "US"})
        async with app_client(american) as http:
            admin = await admin_caller(runtime, http)

            payload = await admin.succeeded("QueueInvites", phones=["(202) 555-0123"])

        assert payload["queued"] == ["+12025550123"]


MUTATIONS: list[tuple[str, dict[str, Any]]] = [
    ("UpdateInviteSettings", SETTINGS),
    ("PauseTelegramAccount", {"seconds": 60}),
    ("ResumeTelegramAccount", {}),
    ("SetInviteQuota", {"quota": 1}),
    ("RetryFailedInvites", {}),
    ("QueueInvites", {"phones": ["+79990000001"]}),
]


@pytest.mark.parametrize(("name", "fields"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
async def test_only_admins_and_nothing_done_for_others(
    admin: Caller, http: httpx.AsyncClient, runtime: Runtime, name: str, fields: dict[str, Any]
) -> None:
    account = await add_account(runtime)
    await write_log(runtime, FAILED, phone="+79990000002")
    if name in {"PauseTelegramAccount", "ResumeTelegramAccount", "SetInviteQuota"}:
        fields = {**fields, "accountId": account}
    before = (await admin.query("InviteSettings"), await admin.query("InviteAccounts"))
    user = await user_caller(http)

    for caller, code in ((Caller(http, None), "UNAUTHENTICATED"), (user, "FORBIDDEN")):
        assert await caller.mutate(name, **fields) == {"refused": [code]}

    assert (await admin.query("InviteSettings"), await admin.query("InviteAccounts")) == before
    assert await queue_length(runtime) == 0
