"""A TCP proxy before Redis that tells pipelined PUBLISHes from PUBLISHes sent one by one.

Once armed with ``expect(n)``, it holds back every reply of Redis while a client has sent some
but not all of the next ``n`` PUBLISH commands. A client that pipelines them sends all ``n``
without waiting, and its replies then flow; a client that awaits each reply before the next
command waits for ever (until its socket timeout), so its publishing fails. No clock is read:
the outcome depends only on the order of the bytes.
"""

from __future__ import annotations

import asyncio

from typing_extensions import override

from tests.tcp_proxy import CHUNK, TcpProxy, Writers, close

PUBLISH = b"\r\nPUBLISH\r\n"  # RESP: the command's name is a bulk string of its own


class PipelineProbe(TcpProxy):
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        super().__init__(upstream_host, upstream_port)
        self.expected = 0
        self.published = 0  # PUBLISH commands seen since expect()
        self._replies_flow = asyncio.Event()
        self._replies_flow.set()

    def expect(self, publishes: int) -> None:
        """From now on, replies wait while fewer than ``publishes`` PUBLISHes have been sent."""
        self.expected, self.published = publishes, 0

    def _count(self, publishes: int) -> None:
        if not self.expected or not publishes:
            return
        self.published += publishes
        if self.published < self.expected:
            self._replies_flow.clear()
        else:
            self._replies_flow.set()

    @override
    async def _commands(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, both: Writers
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
            await close(both)

    @override
    async def _replies(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, both: Writers
    ) -> None:
        try:
            while chunk := await source.read(CHUNK):
                await self._replies_flow.wait()
                sink.write(chunk)
                await sink.drain()
        finally:
            await close(both)
