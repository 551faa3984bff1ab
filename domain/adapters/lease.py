"""A Redis lease: at most one owner of a key across processes, kept only while renewed.

A Telegram auth key used from two processes at once becomes unusable (AUTH_KEY_DUPLICATED),
so each session's client runs under one of these. The lease is redis-py's ``Lock`` (SET NX PX
to take it; its compare-and-act scripts to renew and release it) with the owner as the lock's
token, so an operator reading the key sees who holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import uuid
from typing import TYPE_CHECKING

from redis.exceptions import LockError, RedisError

from domain.adapters.tasks import cancelled

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from redis.asyncio import Redis

log = logging.getLogger(__name__)

# redis-py's Lock keeps its ttl in whole milliseconds (it truncates): a shorter one is no ttl.
SHORTEST_TTL = 0.001


def default_owner() -> str:
    """``host:pid:random``: unique per Lease, readable when an operator asks who holds a key."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """Ownership of ``key`` for ``ttl`` seconds at a time; it lapses unless renewed.

    "Ours" means taken through this object: renewing or releasing checks the key still holds
    this owner, so a lease that lapsed and passed to another owner is never touched.
    """

    def __init__(
        self, redis: Redis, key: str, *, ttl: float = 30.0, owner: str | None = None
    ) -> None:
        if ttl < SHORTEST_TTL:
            raise ValueError("A lease needs a positive ttl (a millisecond at least).")
        self._redis = redis
        self.key = key
        self.ttl = ttl
        self.owner = owner or default_owner()
        # Not thread-local: the token belongs to this Lease, whichever task or thread renews or
        # releases it (redis-py's default keeps it per thread, for threads sharing one Lock).
        self._lock = redis.lock(key, timeout=ttl, blocking=False, thread_local=False)

    async def acquire(self) -> bool:
        """Take the lease if it is free; True also when we hold it already (then it is renewed)."""
        if await self._lock.acquire(token=self.owner):
            return True
        return await self.renew()

    async def renew(self) -> bool:
        """Extend our lease by ``ttl``; False when it is no longer ours."""
        try:
            return bool(await self._lock.reacquire())
        except LockError:
            # Never taken, released, or lapsed and taken by another owner. LockError is a
            # RedisError: answered here, it cannot pass for Redis being unreachable.
            return False

    async def release(self) -> None:
        """Give the lease up; a lease that passed to another owner is left alone."""
        with contextlib.suppress(LockError):  # not ours (any more): nothing to give up
            await self._lock.release()

    async def holder(self) -> str | None:
        """The current owner, whoever it is."""
        value = await self._redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value

    async def remaining(self) -> float:
        """Seconds left of the current holder's lease; 0 when nobody holds it."""
        ttl_ms = int(await self._redis.pttl(self.key))
        if ttl_ms == -1:
            # Set without an expiry by someone else: it never lapses, so never report it free.
            return math.inf
        return max(ttl_ms, 0) / 1000


class LeaseKeeper:
    """Renews a held lease every ``ttl/3`` in the background; calls ``on_lost`` once when it
    cannot: the lease passed to another owner, or Redis failed long enough that it may lapse."""

    def __init__(self, lease: Lease, on_lost: Callable[[], Awaitable[None]]) -> None:
        self.lease = lease
        self.lost = False
        self._on_lost = on_lost
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start renewing; call it right after a successful ``acquire``."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"lease:{self.lease.key}")

    async def stop(self) -> None:
        """Stop renewing and release the lease (also safe from inside ``on_lost``)."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            await cancelled(task)
        try:
            await self.lease.release()
        except RedisError:
            # Unreleased, the lease still lapses after ttl; the caller has nothing to undo.
            log.warning("Could not release lease %s", self.lease.key, exc_info=True)

    async def _run(self) -> None:
        await self._keep()
        self.lost = True
        try:
            await self._on_lost()
        except Exception:
            log.exception("on_lost of lease %s failed", self.lease.key)

    async def _keep(self) -> None:
        """Return when the lease is lost or may lapse before the next renewal could land."""
        loop = asyncio.get_running_loop()
        interval = self.lease.ttl / 3
        valid_until = loop.time() + self.lease.ttl
        while True:
            await asyncio.sleep(interval)
            sent_at = loop.time()
            try:
                async with asyncio.timeout(interval):
                    if not await self.lease.renew():
                        return
                valid_until = sent_at + self.lease.ttl
            except (RedisError, OSError, TimeoutError):
                log.warning("Renewing lease %s failed", self.lease.key, exc_info=True)
                # Give up while the lease is still ours: after it lapses someone else may hold it.
                if loop.time() + interval >= valid_until:
                    return
