"""A TCP proxy that drops a connection the moment a client sends a given command.

It stands between a process and a real server (Redis here) to lose a connection at one exact
point of a conversation, which stopping the whole server cannot do: the server and every other
connection carry on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from typing_extensions import override

from tests.tcp_proxy import TcpProxy, Writers

if TYPE_CHECKING:
    import asyncio


class CuttingProxy(TcpProxy):
    """Forwards to the upstream; cuts the first ``cuts`` connections that send ``trigger``."""

    def __init__(self, upstream_host: str, upstream_port: int, trigger: bytes, cuts: int = 1):
        super().__init__(upstream_host, upstream_port)
        self.trigger = trigger
        self.cuts_left = cuts
        self.cut = 0

    @override
    async def _commands(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, both: Writers
    ) -> None:
        await self._pass_on(source, sink, both, cut_at=self._cuts)

    def _cuts(self, chunk: bytes) -> bool:
        if not (self.cuts_left and self.trigger in chunk):
            return False
        self.cuts_left -= 1
        self.cut += 1
        return True
