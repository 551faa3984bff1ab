"""Swagger UI and ReDoc in a real browser (headless Chromium): each renders the legacy REST
document of a real API process, from tghub's own files alone, under the pages' policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from resolvers.rest.contract import System
from tests.conftest import DEADLINE
from tests.e2e.apis import api_process
from tests.e2e.test_dashboard_browser import logs_on_failure
from tests.processes import wait_until_serving

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from playwright.async_api import Browser, ConsoleMessage, Page

    from domain.bootstrap import Runtime

pytestmark = pytest.mark.slow

WAIT_MS = DEADLINE * 1000
TAG = System.INVITES.value
WEBHOOK_SUMMARY = "Queue phones for an invite"
# ReDoc's "API docs by Redocly" footer loads its logo from Redocly's CDN; the policy refuses
# it (a console error) and ReDoc then leaves the image out. Nothing else may be refused.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


class WatchedPage:
    """A page, the errors it reports, the URLs the policy refused (console errors too) and the
    requests it began anywhere but tghub (a refused one begins, and fails)."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.problems: list[str] = []
        self.refused: list[str] = []
        self.elsewhere: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith((base + "/", "data:", "blob:"))
                else self.elsewhere.append(r.url)
            ),
        )

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if "violates the following Content Security Policy directive" in message.text:
            self.refused.append(message.text.split("'")[1])  # the refused URL
        else:
            self.problems.append(f"console: {message.text}")


@pytest.fixture
async def base(runtime: Runtime, tmp_path: Path) -> AsyncIterator[str]:
    log = tmp_path / "api.log"
    with api_process(runtime.settings, log) as (host, process), logs_on_failure(log):
        url = f"http://{host}"
        await wait_until_serving(url, process)
        yield url


async def watched(browser: Browser, base: str, path: str) -> WatchedPage:
    page = await browser.new_page()
    watched = WatchedPage(page, base)
    await page.goto(f"{base}{path}")
    return watched


@pytest.mark.parametrize("path", ["/docs", "/swagger/"])
async def test_swagger_ui_shows_the_documents_operations(
    browser: Browser, base: str, path: str
) -> None:
    watched_page = await watched(browser, base, path)
    page = watched_page.page

    await page.locator(".opblock-tag", has_text=TAG).wait_for(timeout=WAIT_MS)
    webhook = page.locator(".opblock-summary-path", has_text="/webhook/")
    await webhook.first.wait_for(timeout=WAIT_MS)
    assert await webhook.count() == 2  # GET and POST
    assert await page.locator(".opblock-summary-description", has_text=WEBHOOK_SUMMARY).count()
    await page.wait_for_load_state("networkidle")
    assert watched_page.problems == []
    assert watched_page.refused == []
    assert watched_page.elsewhere == []


async def test_redoc_shows_the_documents_operations(browser: Browser, base: str) -> None:
    watched_page = await watched(browser, base, "/redoc/")
    page = watched_page.page

    menu = page.locator(".menu-content")
    await menu.get_by_text(TAG).wait_for(timeout=WAIT_MS)
    # The operations: in the menu (folded under their tag) and in the page, with their paths.
    assert await menu.get_by_text(WEBHOOK_SUMMARY).count() == 2
    await page.locator("h2", has_text=WEBHOOK_SUMMARY).first.wait_for(timeout=WAIT_MS)
    await page.get_by_text("/webhook/").first.wait_for(state="attached", timeout=WAIT_MS)
    await page.wait_for_load_state("networkidle")
    assert watched_page.problems == []
    assert set(watched_page.refused) <= {REDOC_LOGO}
    assert set(watched_page.elsewhere) <= set(watched_page.refused)  # none of them went out
