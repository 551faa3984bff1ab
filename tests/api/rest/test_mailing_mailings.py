"""Legacy 003 ``/api/v1/mailing/``: mailings as DRF's generic views served them, each user's
apart, and the guests' shared workspace when the group is open (docs/rest.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.api.rest.factories import with_and_without_slash
from tests.api.rest.mailing_factories import (
    BLANK,
    CLIENTS,
    CREATE_MAILING,
    MAILINGS,
    NO_MAILING,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    NOT_NULL,
    REQUIRED,
    WRONG_DATETIME,
    admin_signed_in,
    mailing_body,
    new_mailing,
    opened,
    signed_in,
)
from tests.integration.mailing.dispatch_scene import (
    dispatch,
    later,
    phone,
    recipients_world,
    sending_accounts,
)
from tests.integration.mailing.dispatch_scene import load as load_recipients

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

DATES = ["The start date exceeds the end date"]
NO_FILTER = ["At least one filter parameter (tag or operator_code) must be specified"]
OUT_OF_RANGE = ["Datetime value out of range."]


@pytest.fixture
async def me(http: httpx.AsyncClient) -> dict[str, str]:
    return await signed_in(http)


def at(mailing: dict[str, Any] | int | str) -> str:
    key = mailing["id"] if isinstance(mailing, dict) else mailing
    return f"{MAILINGS}{key}/"


async def refused(
    http: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    """The 400 body of a create with these fields."""
    response = await http.post(CREATE_MAILING, json=mailing_body(**overrides), headers=headers)
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    return body


NO_DELIVERIES = {"total": 0, "pending": 0, "sent": 0, "failed": 0, "expired": 0}


class TestCreate:
    @pytest.mark.parametrize("path", with_and_without_slash(CREATE_MAILING))
    async def test_creates_and_answers_the_original_fields(
        self, http: httpx.AsyncClient, me: dict[str, str], path: str
    ) -> None:
        body = {
            "start_time": "2024-03-20T12:00:00Z",
            "end_time": "2024-03-21T12:00:00Z",
            "message_text": "Тестовое сообщение",
            "filter_params": {"tag": "vip", "operator_code": "999"},
        }

        response = await http.post(path, json=body, headers=me)

        assert response.status_code == 201, response.text
        made = response.json()
        assert isinstance(made["id"], int)
        # a past window is accepted, as it was; ours: the deliveries by status
        assert made == {"id": made["id"], **body, "stats": NO_DELIVERIES}

    async def test_filters_come_back_exactly_as_sent(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        # Key order kept, "999" a string and 999 a number: the column is json, not jsonb.
        raw = b'{"start_time": "2030-01-01T09:00:00Z", "end_time": "2030-01-02T09:00:00Z",'
        raw += b' "message_text": "Hi", "filter_params": {"operator_code": 999, "tag": "999"}}'
        headers = {**me, "Content-Type": "application/json"}

        created = await http.post(CREATE_MAILING, content=raw, headers=headers)
        read = await http.get(at(created.json()), headers=me)
        listed = await http.get(MAILINGS, headers=me)

        expected = '"filter_params":{"operator_code":999,"tag":"999"}'
        for response in (created, read):
            assert expected in response.text
        assert expected in listed.text
        assert list(read.json()["filter_params"]) == ["operator_code", "tag"]

    @pytest.mark.parametrize(
        ("sent", "shown"),
        [
            pytest.param("2030-01-01T12:00:00+03:00", "2030-01-01T09:00:00Z", id="offset"),
            pytest.param("2030-01-01T09:00:00", "2030-01-01T09:00:00Z", id="naive_is_utc"),
            pytest.param("2030-01-01T09:00:00.123456Z", "2030-01-01T09:00:00.123456Z", id="us"),
            pytest.param("2030-01-01T09:00:00.1234567Z", "2030-01-01T09:00:00.123456Z", id="ns"),
            pytest.param("2030-01-01", "2030-01-01T00:00:00Z", id="a_date"),
            pytest.param("2030-01-01 09:00", "2030-01-01T09:00:00Z", id="space_no_seconds"),
            pytest.param("2030-1-1 9:00:00", "2030-01-01T09:00:00Z", id="one_digit_fields"),
            pytest.param("2030-01-01T09:00:00,5 +0100", "2030-01-01T08:00:00.500000Z", id="loose"),
            pytest.param("2030-01-01T10:00-01", "2030-01-01T11:00:00Z", id="hours_offset"),
        ],
    )
    async def test_times_are_read_as_django_did_and_shown_in_utc(
        self, http: httpx.AsyncClient, me: dict[str, str], sent: str, shown: str
    ) -> None:
        made = await new_mailing(http, me, start_time=sent, end_time="2031-01-01T00:00:00Z")

        assert made["start_time"] == shown
        assert (await http.get(at(made), headers=me)).json()["start_time"] == shown

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "tomorrow",
            "2030-13-01T00:00:00Z",
            "2030-02-30T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "99999-01-01T00:00:00Z",
            "2030-01-01T25:00:00Z",
            "2030-01-01T09:00:00+24:00",
            "2030-01-01T09:00:00\x00",
            1893488400,
            True,
            [],
            {"year": 2030},
        ],
    )
    async def test_a_time_that_is_none_is_drfs_format_message(
        self, http: httpx.AsyncClient, me: dict[str, str], value: object
    ) -> None:
        body = await refused(http, me, start_time=value, end_time=value)

        assert body == {"start_time": WRONG_DATETIME, "end_time": WRONG_DATETIME}

    @pytest.mark.parametrize(
        ("start", "end"),
        [("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")],
    )
    async def test_a_moment_utc_cannot_hold_is_out_of_range(
        self, http: httpx.AsyncClient, me: dict[str, str], start: str, end: str
    ) -> None:
        body = await refused(http, me, start_time=start, end_time=end)

        assert body == {"start_time": OUT_OF_RANGE, "end_time": OUT_OF_RANGE}

    async def test_the_ends_of_what_utc_holds_are_taken(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        made = await new_mailing(
            http, me, start_time="0001-01-01T00:00:00", end_time="9999-12-31T23:59:59.999999Z"
        )

        assert (made["start_time"], made["end_time"]) == (
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
        )

    @pytest.mark.parametrize(
        ("overrides", "errors"),
        [
            pytest.param(
                {"start_time": ..., "end_time": ..., "message_text": ..., "filter_params": ...},
                {"start_time": REQUIRED, "end_time": REQUIRED, "message_text": REQUIRED},
                id="all_missing",
            ),
            pytest.param(
                {"start_time": None, "end_time": None, "message_text": None},
                {"start_time": NOT_NULL, "end_time": NOT_NULL, "message_text": NOT_NULL},
                id="nulls",
            ),
            pytest.param({"message_text": ""}, {"message_text": BLANK}, id="empty_text"),
            pytest.param({"message_text": " \n\t"}, {"message_text": BLANK}, id="blank_text"),
            pytest.param(
                {"message_text": ["Hi"]}, {"message_text": ["Not a valid string."]}, id="list"
            ),
            pytest.param(
                {"message_text": "H\x00i"},
                {"message_text": ["Null characters are not allowed."]},
                id="nul",
            ),
            pytest.param({"filter_params": None}, {"filter_params": NOT_NULL}, id="null_filters"),
            pytest.param(
                {"filter_params": ["tag"]},
                {"filter_params": ['Expected a dictionary of items but got type "list".']},
                id="filters_a_list",
            ),
            pytest.param(
                {"filter_params": "tag=vip"},
                {"filter_params": ['Expected a dictionary of items but got type "str".']},
                id="filters_a_string",
            ),
            pytest.param(
                # Field errors come first: the window is judged once every field is valid.
                {"end_time": "2020-01-01T00:00:00Z", "message_text": "", "filter_params": {}},
                {"message_text": BLANK},
                id="fields_before_the_whole",
            ),
            pytest.param(
                {"start_time": "x", "message_text": 5, "filter_params": 5},
                {
                    "start_time": WRONG_DATETIME,
                    "filter_params": ['Expected a dictionary of items but got type "int".'],
                },
                id="every_field_at_once",
            ),
        ],
    )
    async def test_field_errors(
        self,
        http: httpx.AsyncClient,
        me: dict[str, str],
        overrides: dict[str, Any],
        errors: dict[str, list[str]],
    ) -> None:
        assert await refused(http, me, **overrides) == errors
        assert (await http.get(MAILINGS, headers=me)).json() == []

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            pytest.param({"end_time": "2030-01-01T09:00:00Z"}, DATES, id="end_at_start"),
            pytest.param({"end_time": "2029-12-31T09:00:00Z"}, DATES, id="end_before_start"),
            pytest.param(
                # The same moment, written in two zones.
                {"start_time": "2030-01-01T12:00:00+03:00", "end_time": "2030-01-01T09:00:00"},
                DATES,
                id="same_moment_other_zone",
            ),
            pytest.param(
                {"end_time": "2020-01-01T00:00:00Z", "filter_params": {"city": "x"}},
                DATES,
                id="dates_first",
            ),
            pytest.param({"filter_params": ...}, NO_FILTER, id="filters_absent"),
            pytest.param({"filter_params": {}}, NO_FILTER, id="filters_empty"),
            pytest.param(
                {"filter_params": {"tag": "vip", "city": "Moscow"}},
                ["Invalid filtering parameter: city"],
                id="unknown_key",
            ),
            pytest.param(
                {"filter_params": {"tag": None}},
                ["Invalid value of filtering parameter: tag"],
                id="null_value",
            ),
        ],
    )
    async def test_the_whole_mailing_is_checked_once_its_fields_are_valid(
        self,
        http: httpx.AsyncClient,
        me: dict[str, str],
        overrides: dict[str, Any],
        message: list[str],
    ) -> None:
        assert await refused(http, me, **overrides) == {"non_field_errors": message}

    async def test_text_is_trimmed_and_a_number_is_its_text(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        trimmed = await new_mailing(http, me, message_text="  Hello \n")
        number = await new_mailing(http, me, message_text=42)

        assert (trimmed["message_text"], number["message_text"]) == ("Hello", "42")

    @pytest.mark.parametrize(
        ("content", "answer"),
        [
            pytest.param(b"{nope", "JSON parse error - ", id="not_json"),
            pytest.param(b"[1, 2]", "non_field_errors", id="not_an_object"),
            pytest.param(b"", "start_time", id="empty"),
        ],
    )
    async def test_a_body_that_is_no_mailing(
        self, http: httpx.AsyncClient, me: dict[str, str], content: bytes, answer: str
    ) -> None:
        headers = {**me, "Content-Type": "application/json"}

        response = await http.post(CREATE_MAILING, content=content, headers=headers)

        assert response.status_code == 400
        body = response.json()
        assert body["detail"].startswith(answer) if "detail" in body else answer in body

    async def test_a_form_sends_the_filters_as_json_text(
        self, http: httpx.AsyncClient, me: dict[str, str]
    ) -> None:
        form = mailing_body(filter_params='{"operator_code": "999", "tag": "vip"}')
        broken = mailing_body(filter_params="{tag: vip}")

        made = await http.post(CREATE_MAILING, data=form, headers=me)
        refused_form = await http.post(CREATE_MAILING, data=broken, headers=me)

        assert made.status_code == 201, made.text
        assert '"filter_params":{"operator_code":"999","tag":"vip"}' in made.text
        assert refused_form.json() == {"filter_params": ["Value must be valid JSON."]}


class TestRead:
    @pytest.mark.parametrize("path", with_and_without_slash(MAILINGS))
    async def test_the_list_is_newest_start_first_and_a_users_own(
        self, http: httpx.AsyncClient, runtime: Runtime, path: str
    ) -> None:
        mine, theirs = await signed_in(http), await signed_in(http)
        early = await new_mailing(http, mine, start_time="2030-01-01T00:00:00Z")
        late = await new_mailing(http, mine, start_time="2030-01-01T06:00:00Z")
        middle = await new_mailing(http, theirs, start_time="2030-01-01T03:00:00Z")
        admin = await admin_signed_in(http, runtime)

        listed = await http.get(path, headers=mine)
        everyone = await http.get(path, headers=admin)

        assert listed.status_code == 200
        assert listed.json() == [late, early]
        assert everyone.json() == [late, middle, early]

    @pytest.mark.parametrize("slash", ["/", ""])
    async def test_one(self, http: httpx.AsyncClient, me: dict[str, str], slash: str) -> None:
        made = await new_mailing(http, me)

        response = await http.get(at(made).rstrip("/") + slash, headers=me)

        assert (response.status_code, response.json()) == (200, made)

    async def test_another_owners_mailing_is_not_found_but_admins_see_it(
        self, http: httpx.AsyncClient, runtime: Runtime, me: dict[str, str]
    ) -> None:
        theirs = await new_mailing(http, await signed_in(http))

        response = await http.get(at(theirs), headers=me)
        seen = await http.get(at(theirs), headers=await admin_signed_in(http, runtime))

        assert (response.status_code, response.json()) == (404, NO_MAILING)
        assert (seen.status_code, seen.json()) == (200, theirs)

    @pytest.mark.parametrize("key", ["0", "2147483647", "2147483648", "9" * 50])
    async def test_an_id_no_mailing_has_is_not_found(
        self, http: httpx.AsyncClient, me: dict[str, str], key: str
    ) -> None:
        response = await http.get(at(key), headers=me)

        assert (response.status_code, response.json()) == (404, NO_MAILING)

    @pytest.mark.parametrize("key", ["abc", "-1", "1.0", "٣", "9" * 51, "create"])
    async def test_an_id_that_is_no_number_names_nothing(
        self, http: httpx.AsyncClient, me: dict[str, str], key: str
    ) -> None:
        response = await http.get(at(key), headers=me)

        assert (response.status_code, response.json()) == (404, NOT_FOUND)

    @pytest.mark.parametrize(
        ("method", "path"),
        [("POST", MAILINGS), ("PUT", "/api/v1/mailing/1/"), ("DELETE", "/api/v1/mailing/1/")],
    )
    async def test_methods_not_offered(
        self, http: httpx.AsyncClient, me: dict[str, str], method: str, path: str
    ) -> None:
        response = await http.request(method, path, headers=me)

        assert response.status_code == 405
        assert response.json() == {"detail": f'Method "{method}" not allowed.'}


class TestAccess:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("GET", MAILINGS), ("GET", "/api/v1/mailing/1/"), ("POST", CREATE_MAILING)],
    )
    async def test_anonymous_is_refused_while_the_group_is_closed(
        self, http: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await http.request(method, path, json=mailing_body())

        assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'

    async def test_guests_of_the_open_group_share_one_workspace_apart_from_users(
        self, settings: Settings
    ) -> None:
        async with opened(settings) as client:
            user = await signed_in(client)
            before = await client.get(MAILINGS)
            guests = await new_mailing(client, {})
            users = await new_mailing(client, user)

            seen_by_guests = await client.get(MAILINGS)
            seen_by_user = await client.get(MAILINGS, headers=user)
            guest_reaches_user = await client.get(at(users))
            user_reaches_guests = await client.get(at(guests), headers=user)

        assert before.json() == []
        assert seen_by_guests.json() == [guests]
        assert seen_by_user.json() == [users]
        assert (guest_reaches_user.status_code, guest_reaches_user.json()) == (404, NO_MAILING)
        assert user_reaches_guests.status_code == 404

    async def test_a_bad_token_is_refused_even_when_open(self, settings: Settings) -> None:
        async with opened(settings) as client:
            response = await client.post(
                CREATE_MAILING, json=mailing_body(), headers={"Authorization": "Bearer x.y.z"}
            )
            listed = await client.get(MAILINGS)

        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"
        assert listed.json() == []


class TestStats:
    async def test_the_deliveries_by_status_follow_the_dispatch(
        self, http: httpx.AsyncClient, me: dict[str, str], runtime: Runtime
    ) -> None:
        """One client on Telegram gets the message, one is not on Telegram: the mailing's
        ``stats`` say so, in the list and the detail alike."""
        await load_recipients(runtime, recipients_world(1))
        await sending_accounts(runtime)
        for n in (1, 2):
            made_client = await http.post(
                CLIENTS, json={"phone_number": phone(n), "tag": "vip"}, headers=me
            )
            assert made_client.status_code == 201, made_client.text
        window = {"start_time": later(-1).isoformat(), "end_time": later(60).isoformat()}
        created = await http.post(CREATE_MAILING, json=mailing_body(**window), headers=me)
        assert created.status_code == 201, created.text
        run = dispatch(runtime)

        async def finished() -> bool:
            detail = (await http.get(at(created.json()), headers=me)).json()
            return bool(detail["stats"]["pending"] == 0 and detail["stats"]["total"] == 2)

        await run.until(finished)

        detail = (await http.get(at(created.json()), headers=me)).json()
        listed = (await http.get(MAILINGS, headers=me)).json()
        stats = {"total": 2, "pending": 0, "sent": 1, "failed": 1, "expired": 0}
        assert detail["stats"] == stats
        assert [each["stats"] for each in listed] == [stats]
