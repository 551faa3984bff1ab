"""``/admin``: the invite settings form (the original's field names), its validation, CSRF,
and the accounts inviting."""

from __future__ import annotations

import dataclasses
import html
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import System
from domain.invites import service as invites
from domain.invites.rules import settings_values
from domain.telegram import service as telegram
from resolvers.pages.admin import NOT_A_WHOLE_NUMBER, NOT_SAVED, NOT_SECONDS, SAVED
from tests.api.graphql.factories import login
from tests.api.pages.helpers import field_value, hidden, signed_in_admin
from tests.api.rest.factories import PASSWORD, create_admin
from tests.world import API_HASH

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.invites.rules import SettingsValues

SYSTEM = System("tests")

VALID = {
    "channel_username": "https://t.me/Test_Channel",
    "failure_message": "Join us: {{channel}}",
    "queue_threshold": "25",
    "pause_min_seconds": "0.5",
    "pause_max_seconds": "2",
    "invite_and_message": "on",
}


async def stored(runtime: Runtime) -> SettingsValues:
    async with runtime.uow() as uow:
        return settings_values(await invites.get_settings(uow, actor=SYSTEM))


async def post(http: httpx.AsyncClient, csrf: str | None, **fields: Any) -> httpx.Response:
    form = {**({"csrf_token": csrf} if csrf is not None else {}), **fields}
    return await http.post("/admin", data=form)


class TestShow:
    async def test_the_form_shows_the_stored_settings_under_the_original_names(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)

        page = (await http.get("/admin")).text

        for name in ("channel_username", "failure_message", "queue_threshold",
                     "pause_min_seconds", "pause_max_seconds", "only_message_bot",
                     "invite_and_message"):  # fmt: skip
            assert f'name="{name}"' in page, name
        current = await stored(runtime)
        assert field_value(page, "queue_threshold") == str(current.queue_threshold)

    async def test_stored_text_is_escaped(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        await signed_in_admin(http, runtime)
        message = '</textarea><script>alert("x")</script> {{channel}}'
        values = dataclasses.replace(await stored(runtime), failure_message=message)
        async with runtime.uow() as uow:
            await invites.update_settings(uow, actor=SYSTEM, values=values)

        page = (await http.get("/admin")).text

        assert "<script>alert" not in page
        assert "&lt;/textarea&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page

    async def test_the_accounts_show_quota_use_and_pause(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)
        async with runtime.uow() as uow:
            account = await telegram.add_account(
                uow, runtime.secrets, actor=SYSTEM, phone="+79990000177", api_id=1,
                api_hash=API_HASH,
            )  # fmt: skip
        until = datetime.now(UTC) + timedelta(hours=2)
        async with runtime.uow() as uow:
            await telegram.pause_account(
                uow, actor=SYSTEM, account_id=account.id, until=until, reason="<PeerFlood>"
            )

        page = (await http.get("/admin")).text

        assert "+79990000177" in page
        assert until.strftime("%Y-%m-%d %H:%M:%S UTC") in page
        assert "&lt;PeerFlood&gt;" in page
        assert "<td>40</td>" in page  # the default daily quota, all of it left

    async def test_headers_keep_the_page_to_us(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)

        response = await http.get("/admin")

        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


class TestSave:
    async def test_valid_settings_are_saved_and_said_so(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)

        response = await post(http, csrf, **VALID)

        assert response.status_code == 303
        assert response.headers["location"] == "/admin?saved=1"
        page = (await http.get(response.headers["location"])).text
        assert SAVED in page
        saved = await stored(runtime)
        assert saved.channel_username == "test_channel"
        assert saved.failure_message == "Join us: {{channel}}"
        assert (saved.queue_threshold, saved.pause_min_seconds, saved.pause_max_seconds) == (
            25,
            0.5,
            2.0,
        )
        assert (saved.only_message_bot, saved.invite_and_message) == (False, True)
        assert field_value(page, "channel_username") == "test_channel"
        assert 'name="invite_and_message" checked' in page

    async def test_unticked_boxes_turn_a_mode_off(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        await post(http, csrf, **VALID)

        await post(http, csrf, **{k: v for k, v in VALID.items() if k != "invite_and_message"})

        assert (await stored(runtime)).invite_and_message is False

    async def test_a_zero_pause_is_allowed(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        csrf = await signed_in_admin(http, runtime)

        response = await post(
            http, csrf, **{**VALID, "pause_min_seconds": "0", "pause_max_seconds": "0,0"}
        )

        assert response.status_code == 303
        assert (await stored(runtime)).pause_max_seconds == 0

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"queue_threshold": "-1"}, "queue_threshold", "The queue threshold is a number"),
            ({"queue_threshold": "lots"}, "queue_threshold", NOT_A_WHOLE_NUMBER),
            ({"queue_threshold": "2.5"}, "queue_threshold", NOT_A_WHOLE_NUMBER),
            ({"pause_min_seconds": "nan"}, "pause_min_seconds", NOT_SECONDS),
            ({"pause_max_seconds": "1e999"}, "pause_max_seconds", NOT_SECONDS),
            ({"pause_min_seconds": "5", "pause_max_seconds": "1"}, "pause_min_seconds",
             "The minimum pause cannot be longer than the maximum."),
            ({"pause_max_seconds": "99999"}, "pause_max_seconds", "A pause is 0 to 3600 seconds."),
            ({"failure_message": "   "}, "failure_message", "The failure message needs some text."),
            ({"failure_message": "a\x00b"}, "failure_message", "Null characters are not allowed."),
            ({"channel_username": "https://example.com/x"}, "channel_username",
             "Give the channel's username"),
            ({"only_message_bot": "on"}, "only_message_bot", "Choose one mode"),
        ],
    )  # fmt: skip
    async def test_bad_values_are_named_next_to_their_field_and_nothing_is_stored(
        self,
        http: httpx.AsyncClient,
        runtime: Runtime,
        changes: dict[str, str],
        field: str,
        message: str,
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        before = await stored(runtime)

        response = await post(http, csrf, **{**VALID, **changes})

        assert response.status_code == 400
        page = response.text
        assert NOT_SAVED in page
        next_to_field = page[page.index(f'name="{field}"') :].split("<label", 1)[0]
        assert html.escape(message) in next_to_field
        assert await stored(runtime) == before

    async def test_every_problem_is_named_at_once_and_the_entries_are_kept(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        before = await stored(runtime)
        entered = {
            **VALID,
            "queue_threshold": "many",
            "pause_min_seconds": "9",
            "pause_max_seconds": "3",
            "channel_username": "<b>not a channel</b>",
        }

        response = await post(http, csrf, **entered)

        page = response.text
        assert response.status_code == 400
        assert NOT_A_WHOLE_NUMBER in page
        assert "The minimum pause cannot be longer than the maximum." in page
        assert "Give the channel&#x27;s username" in page
        assert field_value(page, "queue_threshold") == "many"
        assert field_value(page, "pause_min_seconds") == "9"
        assert field_value(page, "channel_username") == "<b>not a channel</b>"
        assert "<b>not a channel</b>" not in page
        assert 'name="invite_and_message" checked' in page
        assert await stored(runtime) == before

    async def test_missing_fields_are_errors_not_a_500(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        before = await stored(runtime)

        response = await post(http, csrf)

        assert response.status_code == 400
        assert await stored(runtime) == before

    async def test_a_body_that_is_no_form_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)

        response = await http.post("/admin", json={"queue_threshold": 1})

        assert response.status_code == 403  # no CSRF field: refused before reading anything


class TestCsrf:
    async def test_a_post_without_the_token_stores_nothing(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)
        before = await stored(runtime)

        response = await post(http, None, **VALID)

        assert response.status_code == 403
        assert "security token" in response.text
        assert await stored(runtime) == before

    async def test_a_wrong_token_stores_nothing(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        before = await stored(runtime)

        response = await post(http, csrf[::-1], **VALID)

        assert response.status_code == 403
        assert await stored(runtime) == before

    async def test_another_sessions_token_stores_nothing(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        first = await signed_in_admin(http, runtime)
        http.cookies.clear()
        second = await signed_in_admin(http, runtime)
        before = await stored(runtime)

        response = await post(http, first, **VALID)

        assert first != second
        assert response.status_code == 403
        assert await stored(runtime) == before

    async def test_each_page_carries_the_sessions_token(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)

        for path in ("/dashboard", "/logs", "/admin"):
            assert hidden((await http.get(path)).text, "csrf_token") == csrf, path

    async def test_a_bearer_caller_saves_without_one(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)
        tokens = await login(http, admin.username, PASSWORD)

        response = await http.post(
            "/admin", data=VALID, headers={"Authorization": f"Bearer {tokens.access}"}
        )

        assert response.status_code == 303
        assert (await stored(runtime)).queue_threshold == 25
