"""The invite dashboard in a real browser: headless Chromium (Debian's ``chromium``, which
``.ci/run`` installs; driven by Playwright, whose own browser downloads are never used) signs
in through the login page, opens ``/dashboard``, and shows the log row a real worker process
writes for a phone another system then sends to ``/webhook``, without a reload: through the
``inviteEvents`` subscription of a real API process."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import httpx
import pytest

from domain.access import System
from domain.invites import service as invites
from domain.invites.rules import SettingsValues
from tests import canaries
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import DEADLINE
from tests.processes import start_api, start_worker, stop, wait_until_serving
from tests.world import load_world, signed_in_account
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from subprocess import Popen

    from playwright.async_api import Browser, Page

    from domain.bootstrap import Runtime
    from domain.settings import Settings

pytestmark = pytest.mark.slow

SYSTEM = System("tests")
# Nobody in the tests' world has this phone: the worker logs it ``failed``,
# ``not_telegram_user``, after asking Telegram (the simulated one) to import it.
STRANGER = "+79990000999"
WAIT_MS = DEADLINE * 1000
WEBHOOK_SECRET = canaries.WEBHOOK_SECRET


async def invite_scene(runtime: Runtime) -> str:
    """The world, a signed-in account inviting into its channel without pauses (and any
    phone waiting over the queue's threshold), and an admin; the admin's name."""
    await load_world(runtime)
    await signed_in_account(runtime)
    values = SettingsValues(
        channel_username="test_channel",
        failure_message="Join us: {{channel}}",
        queue_threshold=0,
        pause_min_seconds=0,
        pause_max_seconds=0,
        only_message_bot=False,
        invite_and_message=False,
    )
    async with runtime.uow() as uow:
        await invites.update_settings(uow, actor=SYSTEM, values=values)
    return (await create_admin(runtime)).username


async def sign_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/dashboard")
    assert "/login?next=" in page.url  # no session yet: the login page, and back
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.click("form.login button[type=submit]")
    assert page.url == f"{base}/dashboard"


@contextlib.contextmanager
def api_process(settings: Settings, log: Path) -> Iterator[tuple[str, Popen[bytes]]]:
    """An API process (uvicorn) whose webhook takes ``WEBHOOK_SECRET``."""
    port = free_port()
    process = start_api(settings, port, log, invite_webhook_secret=WEBHOOK_SECRET)
    try:
        yield f"127.0.0.1:{port}", process
    finally:
        stop(process)


async def call_webhook(base: str, phone: str) -> None:
    """As another system does: the shared secret, one phone."""
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE) as client:
        response = await client.post(
            "/webhook", json={"phone": phone}, headers={"X-Webhook-Secret": WEBHOOK_SECRET}
        )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"


@contextlib.contextmanager
def logs_on_failure(*logs: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        for log in logs:
            if log.exists():
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")  # noqa: T201
        raise


async def test_a_new_log_row_appears_without_a_reload(
    runtime: Runtime, browser: Browser, tmp_path: Path
) -> None:
    username = await invite_scene(runtime)
    api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
    worker = start_worker(runtime.settings, worker_log)
    problems: list[str] = []
    try:
        with (
            api_process(runtime.settings, api_log) as (host, api),
            logs_on_failure(api_log, worker_log),
        ):
            base = f"http://{host}"
            await wait_until_serving(base, api)
            page = await browser.new_page()
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "console",
                lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
            )
            await sign_in(page, base, username)
            await page.wait_for_selector('#dashboard[data-connection="live"]', timeout=WAIT_MS)
            assert await page.text_content("#count-failed") == "0"
            # Marks this very document: a reload would forget it.
            await page.evaluate("window.__sameDocument = true")

            await call_webhook(base, STRANGER)

            row = page.locator("#logs-body tr[data-log-id]", has_text=STRANGER)
            await row.wait_for(timeout=WAIT_MS)
            assert "failed" in await row.inner_text()
            assert "not_telegram_user" in await row.inner_text()
            assert await page.evaluate("window.__sameDocument === true")
            await page.wait_for_function(
                "document.getElementById('count-failed').textContent === '1'", timeout=WAIT_MS
            )
            # The phone waited over the threshold (0) until the worker took it: an alert.
            alert = page.locator("#last-alert", has_text="Last queue alert")
            await alert.wait_for(timeout=WAIT_MS)
            assert "over the threshold of 0" in await alert.inner_text()
            assert await page.evaluate("window.__sameDocument === true")
            assert problems == []
    finally:
        stop(worker)


async def test_signing_out_elsewhere_sends_the_dashboard_to_the_login_page(
    runtime: Runtime, browser: Browser, tmp_path: Path
) -> None:
    """The session's end closes the dashboard's socket (4403); asking for a new token is
    refused, and the page goes to the login page by itself."""
    username = await invite_scene(runtime)
    api_log = tmp_path / "api.log"
    with api_process(runtime.settings, api_log) as (host, api), logs_on_failure(api_log):
        base = f"http://{host}"
        await wait_until_serving(base, api)
        context = await browser.new_context()
        page = await context.new_page()
        await sign_in(page, base, username)
        await page.wait_for_selector('#dashboard[data-connection="live"]', timeout=WAIT_MS)
        other_tab = await context.new_page()
        await other_tab.goto(f"{base}/admin")

        async with page.expect_navigation(url=f"{base}/login?next=%2Fdashboard", timeout=WAIT_MS):
            await other_tab.click("form.sign-out button[type=submit]")

        await context.close()
