"""``/logs``: the recent log lines, filtered by status, phone, account and period."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from domain.access import System
from domain.invites.rules import InviteStatus
from domain.telegram import service as telegram
from resolvers.pages.logs import NOT_A_TIME
from tests.api.pages.helpers import add_log, signed_in_admin
from tests.world import API_HASH

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

SYSTEM = System("tests")
NOW = datetime.now(UTC).replace(microsecond=0)


def shown_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-log-id="(\d+)"', page)]


@pytest.fixture
async def scene(http: httpx.AsyncClient, runtime: Runtime) -> dict[str, int]:
    """Four rows: two accounts, every status, an hour apart (the oldest three hours ago)."""
    await signed_in_admin(http, runtime)
    async with runtime.uow() as uow:
        other = await telegram.add_account(
            uow, runtime.secrets, actor=SYSTEM, phone="+79990000188", api_id=1, api_hash=API_HASH
        )
    return {
        "invited": await add_log(runtime, "+79991110001", at=NOW - timedelta(hours=3)),
        "link_sent": await add_log(
            runtime, "+79991110002", InviteStatus.LINK_SENT, at=NOW - timedelta(hours=2)
        ),
        "failed": await add_log(
            runtime,
            "+79991110003",
            InviteStatus.FAILED,
            at=NOW - timedelta(hours=1),
            account_id=other.id,
            account_name=other.phone,
            reason="not_telegram_user <b>",
        ),
        "skipped": await add_log(runtime, "+79991110004", InviteStatus.SKIPPED, at=NOW),
    }


async def test_every_row_as_its_text_line_oldest_first(
    http: httpx.AsyncClient, scene: dict[str, int]
) -> None:
    response = await http.get("/logs")

    assert response.status_code == 200
    order = ["invited", "link_sent", "failed", "skipped"]
    assert shown_ids(response.text) == [scene[name] for name in order]
    line = f"{(NOW - timedelta(hours=1)).strftime('%Y-%m-%d %H:%M:%S')} FAILED +79991110003"
    assert line in response.text
    assert "not_telegram_user &lt;b&gt;" in response.text
    assert 'href="/api/logs/csv"' in response.text


async def test_by_status(http: httpx.AsyncClient, scene: dict[str, int]) -> None:
    response = await http.get("/logs", params=[("status", "failed"), ("status", "skipped")])

    assert shown_ids(response.text) == [scene["failed"], scene["skipped"]]
    assert 'value="failed" checked' in response.text


async def test_by_a_part_of_the_phone(http: httpx.AsyncClient, scene: dict[str, int]) -> None:
    response = await http.get("/logs", params={"phone": "110002"})

    assert shown_ids(response.text) == [scene["link_sent"]]


async def test_by_account(http: httpx.AsyncClient, scene: dict[str, int]) -> None:
    page = (await http.get("/logs")).text
    account = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>\+79990000188<', page)
    assert account is not None

    response = await http.get("/logs", params={"account": account.group(1)})

    assert shown_ids(response.text) == [scene["failed"]]
    assert "selected" in response.text


async def test_by_period(http: httpx.AsyncClient, scene: dict[str, int]) -> None:
    since = (NOW - timedelta(hours=2, minutes=30)).strftime("%Y-%m-%dT%H:%M")
    until = (NOW - timedelta(minutes=30)).isoformat()

    response = await http.get("/logs", params={"since": since, "until": until})

    assert shown_ids(response.text) == [scene["link_sent"], scene["failed"]]


async def test_nothing_matches(http: httpx.AsyncClient, scene: dict[str, int]) -> None:
    response = await http.get("/logs", params={"phone": "000000"})

    assert response.status_code == 200
    assert "No log rows match." in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "lost"}, "&#x27;lost&#x27; is no status."),
        ({"since": "yesterday"}, NOT_A_TIME),
        ({"until": "0001-01-01T00:00:00+05:00"}, NOT_A_TIME),
        ({"account": "not-an-id"}, "Choose an account from the list."),
        ({"phone": "\x00"}, "A phone number or a part of one"),
        ({"phone": "7" * 40}, "A phone number or a part of one"),
    ],
)
async def test_a_bad_filter_is_named_not_a_500(
    http: httpx.AsyncClient, scene: dict[str, int], params: dict[str, str], message: str
) -> None:
    response = await http.get("/logs", params=params)

    assert response.status_code == 400
    assert message in response.text
    assert shown_ids(response.text) == []
