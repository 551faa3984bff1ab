"""A TCP proxy on a free port that drops a connection the moment a client sends a given command.

It stands between a process and a real server (Redis here) to lose a connection at one exact
point of a conversation, which stopping the whole server cannot do: the server and every other
connection carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType

CHUNK = 65536


class CuttingProxy:
    """Forwards to ``upstream``; cuts the first ``cuts_left`` connections that send ``trigger``."""

    def __init__(self, upstream_host: str, upstream_port: int, trigger: bytes, cuts: int = 1):
        self.upstream = (upstream_host, upstream_port)
        self.trigger = trigger
        self.cuts_left = cuts
        self.cut = 0
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

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
            asyncio.create_task(self._pump(reader, up_writer, both, watch=True)),
            asyncio.create_task(self._pump(up_reader, writer, both, watch=False)),
        ]
        self._pumps.update(pumps)
        await asyncio.gather(*pumps, return_exceptions=True)
        self._pumps.difference_update(pumps)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        both: tuple[asyncio.StreamWriter, ...],
        *,
        watch: bool,
    ) -> None:
        try:
            while chunk := await source.read(CHUNK):
                if watch and self.cuts_left and self.trigger in chunk:
                    self.cuts_left -= 1
                    self.cut += 1
                    break  # the command never reaches the server
                sink.write(chunk)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            for writer in both:
                writer.transport.abort()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
