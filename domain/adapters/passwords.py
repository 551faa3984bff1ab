"""argon2 password hashing, run in a thread so a login never blocks the event loop."""

from __future__ import annotations

import asyncio
import functools
import os

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._argon = Argon2(time_cost=time_cost, memory_cost=memory_kib)
        # Hashing is CPU- and memory-bound: beyond one per core, callers queue here instead of
        # piling threads (and 64 MiB each) onto the executor.
        self._slots = asyncio.Semaphore(os.cpu_count() or 1)

    @functools.cached_property
    def _dummy(self) -> str:
        # Verifying against this keeps unknown usernames as slow as wrong passwords.
        return self._argon.hash("tghub-timing-equaliser")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._argon.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._argon.verify(password_hash or self._dummy, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):
            return False
        return password_hash is not None
