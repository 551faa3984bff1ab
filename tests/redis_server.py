"""A private ``redis-server`` that a test may stop and start again (an outage), on a free port.

The shared Redis on 6379 serves other tests and processes, so outages are only ever made on
one of these.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tghub.embedded import free_port

if TYPE_CHECKING:
    from pathlib import Path

START_DEADLINE = 30.0
POLL_INTERVAL = 0.05


class RedisServer:
    """Started and stopped on the same port, so every client's URL stays valid across an outage.

    It keeps no data (no snapshot, no append-only file): a restart is an empty Redis, as a
    flushed or replaced server would be.
    """

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._directory = directory
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self._directory)),
            *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        try:
            async with asyncio.timeout(START_DEADLINE):
                while True:
                    with contextlib.suppress(RedisConnectionError):
                        await client.ping()
                        return
                    await asyncio.sleep(POLL_INTERVAL)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
