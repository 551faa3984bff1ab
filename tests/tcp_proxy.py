"""A TCP proxy on a free loopback port before a real server, for tests that must see or shape
the bytes of a conversation (cut it at one command, hold replies back). Subclasses say what
happens to each direction; this opens the upstream connection per client, runs both pumps and
closes everything with the proxy."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

CHUNK = 65536

Writers = tuple[asyncio.StreamWriter, ...]


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
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
            asyncio.create_task(self._commands(reader, up_writer, both)),
            asyncio.create_task(self._replies(up_reader, writer, both)),
        ]
        self._pumps.update(pumps)
        await asyncio.gather(*pumps, return_exceptions=True)
        self._pumps.difference_update(pumps)

    async def _commands(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, both: Writers
    ) -> None:
        """Client to server; passes everything on unless a subclass says otherwise."""
        await self._pass_on(source, sink, both)

    async def _replies(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, both: Writers
    ) -> None:
        """Server to client; passes everything on unless a subclass says otherwise."""
        await self._pass_on(source, sink, both)

    @staticmethod
    async def _pass_on(
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        both: Writers,
        cut_at: Callable[[bytes], bool] | None = None,
    ) -> None:
        """Everything from ``source`` to ``sink``; a chunk ``cut_at`` accepts is dropped and
        ends the connection, both ways."""
        try:
            while chunk := await source.read(CHUNK):
                if cut_at is not None and cut_at(chunk):
                    break  # the chunk never reaches the other side
                sink.write(chunk)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            await close(both)


async def close(writers: Writers) -> None:
    for writer in writers:
        writer.transport.abort()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
