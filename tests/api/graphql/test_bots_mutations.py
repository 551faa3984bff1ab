"""The bots' mutations against the simulated world, their jobs run by the burst worker:
registering (the task), updating and deleting bots, linking channels, deactivating links
and posting; every failure a typed error, never a 500; tokens never shown whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.graphql.bots_support import (
    active_link,
    bot,
    channel_id,
    finished,
    link_of,
    linked,
    load,
    no_token_in,
    token,
)
from tests.api.graphql.tracking_support import Caller, admin_caller, field_errors, gid, user_caller

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


@pytest.fixture
async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    return await admin_caller(runtime, http)


class TestRegisterBot:
    async def test_the_task_stores_the_bot_with_its_token_masked(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        await load(runtime)

        payload = await admin.succeeded("RegisterBot", token=token(1), alias="main")
        task = payload["task"]
        assert (task["kind"], task["status"]) == ("bots.register_bot", "QUEUED")
        done = await finished(runtime, admin, task)

        assert done["status"] == "SUCCEEDED"
        assert done["result"]["new"] is True
        [found] = await admin.nodes("Bots")
        assert found["id"] == gid("Bot", done["result"]["id"])
        assert (found["alias"], found["name"], found["username"]) == ("main", "Bot 1", "bot_1")
        assert found["telegramId"] == "5001"
        assert found["maskedToken"] == f"5001:****{token(1)[-4:]}"
        assert found["isActive"] is True
        no_token_in(admin)

    async def test_a_token_telegram_refuses_fails_the_task(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        await load(runtime)

        payload = await admin.succeeded("RegisterBot", token="5999:" + "x" * 30)
        done = await finished(runtime, admin, payload["task"])

        assert done["status"] == "FAILED"
        assert done["error"] == "Telegram does not accept this bot token."
        assert await admin.nodes("Bots") == []
        assert "x" * 30 not in str(admin.bodies)

    @pytest.mark.parametrize("bad", ["", "no-colon", "1:" + "x" * 300])
    async def test_a_malformed_token_is_a_field_error_that_does_not_echo_it(
        self, admin: Caller, bad: str
    ) -> None:
        payload = await admin.mutate("RegisterBot", token=bad)

        assert list(field_errors(payload)) == ["token"]
        if bad:
            assert bad not in str(admin.bodies)

    async def test_an_overlong_alias_is_a_field_error(self, admin: Caller) -> None:
        payload = await admin.mutate("RegisterBot", token=token(1), alias="a" * 256)

        assert list(field_errors(payload)) == ["alias"]


class TestUpdateAndDeleteBot:
    async def test_update_changes_the_fields_given(self, runtime: Runtime, admin: Caller) -> None:
        await load(runtime)
        found = await bot(runtime, admin)

        payload = await admin.succeeded(
            "UpdateBot", botId=found["id"], description="posts news", isActive=False
        )

        updated = payload["bot"]
        assert (updated["description"], updated["isActive"], updated["alias"]) == (
            "posts news",
            False,
            found["alias"],
        )
        assert await admin.nodes("Bots", filter={"isActive": True}) == []
        no_token_in(admin)

    async def test_update_failures(self, runtime: Runtime, admin: Caller) -> None:
        await load(runtime)
        found = await bot(runtime, admin)

        wrong_form = await admin.mutate("UpdateBot", botId="7", alias="x")
        unknown = await admin.mutate("UpdateBot", botId=gid("Bot", 999999), alias="x")
        body = await admin.call("UpdateBot", {"input": {"botId": found["id"], "name": "n" * 256}})
        too_long = body["data"]["updateBot"]

        assert field_errors(wrong_form) == {"botId": ["Not a Bot id."]}
        assert (unknown["__typename"], unknown["code"]) == ("NotFoundError", "not_found")
        assert list(field_errors(too_long)) == ["name"]

    async def test_a_bot_serving_a_channel_is_not_deleted(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        link = await active_link(runtime, admin)

        refused = await admin.mutate("DeleteBot", botId=link["botId"])
        assert (refused["__typename"], refused["code"]) == ("ConflictError", "bot_in_use")

        await admin.succeeded("DeactivateChannelLink", channelLinkId=link["id"])
        deleted = await admin.succeeded("DeleteBot", botId=link["botId"])

        assert deleted["botId"] == link["botId"]
        assert await admin.nodes("Bots") == []
        assert await admin.query("BotNode", id=link["botId"]) is None

    async def test_delete_failures(self, admin: Caller) -> None:
        wrong_type = await admin.mutate("DeleteBot", botId=gid("ChannelLink", 1))
        unknown = await admin.mutate("DeleteBot", botId=gid("Bot", 424242))

        assert field_errors(wrong_type) == {"botId": ["Not a Bot id."]}
        assert unknown["__typename"] == "NotFoundError"


class TestLinkChannel:
    async def test_the_task_links_the_channel_new(self, runtime: Runtime, admin: Caller) -> None:
        await load(runtime)
        found = await bot(runtime, admin)

        done = await linked(runtime, admin, "https://t.me/chan_2", botId=found["id"])

        assert done["status"] == "SUCCEEDED", done
        link = await link_of(admin, channel_id(2))
        assert (link["status"], link["title"], link["channelRef"]) == (
            "NEW",
            "Channel 2",
            "https://t.me/chan_2",
        )
        assert link["botId"] == found["id"]
        assert link["bot"]["maskedToken"] == found["maskedToken"]
        no_token_in(admin)

    async def test_an_unknown_channel_ends_an_invalid_link_and_a_failed_task(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        await load(runtime)
        await bot(runtime, admin)

        done = await linked(runtime, admin, "@no_such_channel")

        assert done["status"] == "FAILED"
        [link] = await admin.nodes("ChannelLinks", filter={"status": "INVALID"})
        assert link["channelTelegramId"] is None
        assert "no_such_channel" in link["reason"]

    @pytest.mark.parametrize("reference", ["", "   ", "not a channel!", "t.me/+x", "@" + "a" * 300])
    async def test_a_malformed_reference_is_a_field_error(
        self, admin: Caller, reference: str
    ) -> None:
        payload = await admin.mutate("LinkChannel", channel=reference)

        assert list(field_errors(payload)) == ["channel"]

    async def test_an_unknown_or_inactive_bot(self, runtime: Runtime, admin: Caller) -> None:
        await load(runtime)
        found = await bot(runtime, admin)
        await admin.succeeded("UpdateBot", botId=found["id"], isActive=False)

        unknown = await admin.mutate("LinkChannel", channel="@chan_1", botId=gid("Bot", 999))
        wrong_form = await admin.mutate("LinkChannel", channel="@chan_1", botId="1")
        inactive = await admin.mutate("LinkChannel", channel="@chan_1", botId=found["id"])

        assert unknown["__typename"] == "NotFoundError"
        assert field_errors(wrong_form) == {"botId": ["Not a Bot id."]}
        assert (inactive["__typename"], inactive["code"]) == ("ConflictError", "bot_inactive")


class TestDeactivateChannelLink:
    async def test_the_link_becomes_inactive(self, runtime: Runtime, admin: Caller) -> None:
        link = await active_link(runtime, admin)

        payload = await admin.succeeded("DeactivateChannelLink", channelLinkId=link["id"])

        assert payload["channelLink"]["status"] == "INACTIVE"
        assert await admin.nodes("ChannelLinks", filter={"status": "ACTIVE"}) == []

    async def test_failures(self, admin: Caller) -> None:
        unknown = await admin.mutate("DeactivateChannelLink", channelLinkId=gid("ChannelLink", 9))
        wrong_form = await admin.mutate("DeactivateChannelLink", channelLinkId=gid("Bot", 9))

        assert (unknown["__typename"], unknown["message"]) == (
            "NotFoundError",
            "No ChannelLink matches the given query.",
        )
        assert field_errors(wrong_form) == {"channelLinkId": ["Not a ChannelLink id."]}


class TestPostToChannel:
    @pytest.mark.parametrize("by", ["link", "channel"])
    async def test_the_task_publishes_and_records_the_post(
        self, runtime: Runtime, admin: Caller, by: str
    ) -> None:
        link = await active_link(runtime, admin)
        target = (
            {"channelLinkId": link["id"]}
            if by == "link"
            else {"channelTelegramId": link["channelTelegramId"]}
        )

        payload = await admin.succeeded("PostToChannel", text="**Hello** channel", **target)
        done = await finished(runtime, admin, payload["task"])

        assert done["status"] == "SUCCEEDED", done
        assert done["result"]["message_id"] == 2
        [post] = await admin.nodes(
            "ChannelPosts", filter={"channelTelegramId": link["channelTelegramId"]}
        )
        assert (post["messageId"], post["text"], post["channelLinkId"]) == (
            "2",
            "Hello channel",
            link["id"],
        )
        assert await admin.query("ChannelPostNode", id=post["id"]) == {
            "__typename": "ChannelPost",
            **post,
        }

    @pytest.mark.parametrize(
        ("text", "field"), [("", "text"), ("   ", "text"), ("x" * 4097, "text"), ("a\x00", "text")]
    )
    async def test_bad_text_is_a_field_error(
        self, runtime: Runtime, admin: Caller, text: str, field: str
    ) -> None:
        link = await active_link(runtime, admin)

        payload = await admin.mutate("PostToChannel", channelLinkId=link["id"], text=text)

        assert list(field_errors(payload)) == [field]

    async def test_the_target_must_be_one_known_active_link(
        self, runtime: Runtime, admin: Caller
    ) -> None:
        link = await active_link(runtime, admin)
        await linked(runtime, admin, "@chan_2")  # NEW: not checked yet
        new = await link_of(admin, channel_id(2))

        both = await admin.mutate(
            "PostToChannel",
            channelLinkId=link["id"],
            channelTelegramId=link["channelTelegramId"],
            text="hi",
        )
        neither = await admin.mutate("PostToChannel", text="hi")
        unknown_link = await admin.mutate(
            "PostToChannel", channelLinkId=gid("ChannelLink", 99999), text="hi"
        )
        unknown_channel = await admin.mutate("PostToChannel", channelTelegramId="-100777", text="x")
        not_active = await admin.mutate("PostToChannel", channelLinkId=new["id"], text="hi")
        by_channel = await admin.mutate(
            "PostToChannel", channelTelegramId=new["channelTelegramId"], text="hi"
        )
        wrong_form = await admin.mutate("PostToChannel", channelLinkId="abc", text="hi")

        assert list(field_errors(both)) == list(field_errors(neither)) == ["nonFieldErrors"]
        assert unknown_link["__typename"] == unknown_channel["__typename"] == "NotFoundError"
        assert (not_active["__typename"], not_active["code"]) == ("ConflictError", "no_usable_bot")
        assert by_channel["code"] == "no_usable_bot"
        assert field_errors(wrong_form) == {"channelLinkId": ["Not a ChannelLink id."]}


class TestPermissions:
    @pytest.mark.parametrize(
        ("name", "fields"),
        [
            ("RegisterBot", {"token": token(1)}),
            ("UpdateBot", {"botId": gid("Bot", 1)}),
            ("DeleteBot", {"botId": gid("Bot", 1)}),
            ("LinkChannel", {"channel": "@chan_1"}),
            ("DeactivateChannelLink", {"channelLinkId": gid("ChannelLink", 1)}),
            ("PostToChannel", {"channelLinkId": gid("ChannelLink", 1), "text": "hi"}),
        ],
    )
    async def test_only_admins(
        self, http: httpx.AsyncClient, name: str, fields: dict[str, object]
    ) -> None:
        user = await user_caller(http)
        nobody = Caller(http, None)

        assert await user.mutate(name, **fields) == {"refused": ["FORBIDDEN"]}
        assert await nobody.mutate(name, **fields) == {"refused": ["UNAUTHENTICATED"]}
