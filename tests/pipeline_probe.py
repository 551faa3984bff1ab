"""A TCP proxy before Redis that tells pipelined PUBLISHes from PUBLISHes sent one by one.

Once armed with ``expect(n)``, it holds back every reply of Redis while a client has sent some
but not all of the next ``n`` PUBLISH commands. A client that pipelines them sends all ``n``
without waiting, and its replies then flow; a client that awaits each reply before the next
command waits for ever (until its socket timeout), so its publishing fails. No clock is read:
the outcome depends only on the order of the bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType

CHUNK = 65536
PUBLISH = b"\r\nPUBLISH\r\n"  # RESP: the command's name is a bulk string of its own


class PipelineProbe:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.expected = 0
        self.published = 0  # PUBLISH commands seen since expect()
        self._replies_flow = asyncio.Event()
        self._replies_flow.set()
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def expect(self, publishes: int) -> None:
        """From now on, replies wait while fewer than ``publishes`` PUBLISHes have been sent."""
        self.expected, self.published = publishes, 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        both = (writer, up_writer)
        pumps = [
            asyncio.create_task(self._commands(reader, up_writer, both)),
            asyncio.create_task(self._replies(up_reader, writer, both)),
        ]
        self._pumps.update(pumps)
        await asyncio.gather(*pumps, return_exceptions=True)
        self._pumps.difference_update(pumps)

    def _count(self, publishes: int) -> None:
        if not self.expected or not publishes:
            return
        self.published += publishes
        if self.published < self.expected:
            self._replies_flow.clear()
        else:
            self._replies_flow.set()

    async def _commands(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        both: tuple[asyncio.StreamWriter, ...],
    ) -> None:
        tail = b""  # a command name split between two reads is counted once, in the second
        try:
            while chunk := await source.read(CHUNK):
                seen = tail + chunk
                self._count(seen.count(PUBLISH))
                tail = seen[-(len(PUBLISH) - 1) :]
                sink.write(chunk)  # counted first: its reply is held if it must be
                await sink.drain()
        finally:
            await _close(both)

    async def _replies(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        both: tuple[asyncio.StreamWriter, ...],
    ) -> None:
        try:
            while chunk := await source.read(CHUNK):
                await self._replies_flow.wait()
                sink.write(chunk)
                await sink.drain()
        finally:
            await _close(both)


async def _close(writers: tuple[asyncio.StreamWriter, ...]) -> None:
    for writer in writers:
        writer.transport.abort()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
