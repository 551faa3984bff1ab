"""API processes and the realtime clients that talk to them, shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import centrifuge  # type: ignore[import-untyped]

from tests.conftest import DEADLINE
from tests.processes import start_api, stop, wait_until_serving
from tghub.embedded import free_port

if TYPE_CHECKING:
    import subprocess
    from collections.abc import AsyncGenerator, AsyncIterator, Iterator
    from pathlib import Path

    import httpx

    from domain.settings import Settings


@contextlib.contextmanager
def api_process(
    settings: Settings, log: Path, *, access_log: bool = False
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """An API process on a free loopback port (``host:port``), stopped after the block."""
    port = free_port()
    process = start_api(settings, port, log, access_log=access_log)
    try:
        yield f"127.0.0.1:{port}", process
    finally:
        stop(process)


@contextlib.asynccontextmanager
async def two_api_processes(
    settings: Settings, folder: Path, *, access_log: bool = False
) -> AsyncIterator[tuple[str, str]]:
    """Two API processes, serving once the block starts (logs ``api-a.log``, ``api-b.log``
    in ``folder``)."""
    with (
        api_process(settings, folder / "api-a.log", access_log=access_log) as (host_a, process_a),
        api_process(settings, folder / "api-b.log", access_log=access_log) as (host_b, process_b),
    ):
        await asyncio.gather(
            wait_until_serving(f"http://{host_a}", process_a),
            wait_until_serving(f"http://{host_b}", process_b),
        )
        yield host_a, host_b


async def until_a_warm_up_arrives(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    chat_id: str,
    stream: AsyncGenerator[dict[str, Any], None],
) -> None:
    """A GraphQL subscription says nothing when it starts listening: legacy messages are sent
    to ``chat_id`` until one arrives on ``stream``."""
    arrival = asyncio.ensure_future(anext(stream))
    try:
        async with asyncio.timeout(DEADLINE):
            while not arrival.done():
                body = {"chat": chat_id, "text": "warm-up"}
                assert (await http.post("/api/messages/", json=body, headers=auth)).is_success
                await asyncio.wait({arrival}, timeout=0.2)
    finally:
        arrival.cancel()


class Publications(centrifuge.SubscriptionEventHandler):  # type: ignore[misc]
    """What a Centrifugo-protocol subscription receives."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[Any] = asyncio.Queue()

    async def on_publication(self, ctx: Any) -> None:
        self.received.put_nowait(ctx.pub.data)

    async def next_with_text(self, text: str) -> Any:
        async with asyncio.timeout(DEADLINE):
            while (data := await self.received.get())["message"]["text"] != text:
                pass
        return data


async def next_with_text(stream: AsyncGenerator[dict[str, Any], None], text: str) -> Any:
    """The next ``messageEvents`` event of the GraphQL subscription about message ``text``."""
    async with asyncio.timeout(DEADLINE):
        async for event in stream:
            if event["messageEvents"]["message"]["text"] == text:
                return event
    raise AssertionError("the subscription ended")


async def realtime_token(http: httpx.AsyncClient, path: str, access: str) -> str:
    """A Centrifugo connect or subscribe token from the legacy endpoint at ``path``."""
    response = await http.post(path, headers={"Authorization": f"Bearer {access}"}, json={})
    response.raise_for_status()
    token: str = response.json()["token"]
    return token
