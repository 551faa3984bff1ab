"""The world state in Redis: every process of a deployment steps the same world.

Five keys under the world's key: the document (``key``, a ``WorldState`` as JSON, its size
following the entities, a population being one rule however many users it has), the outbox
(``key:outbox``, a list of entries as JSON, oldest first, at most ``MAX_OUTBOX``), the index
of messages delivered (``key:sent``, a hash of "phone:random_id" → message id), the
accounts' contacts (``key:contacts``, a set of "account id:user id") and the channels'
members (``key:members``, a set of "channel id:user id"). A step reads the document and the
few sent and member keys it names, and writes the document plus what it changed beside it,
in one MULTI under WATCH of all five: what a step costs does not grow with the messages
sent, the contacts imported, the users invited or the users a population has.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from pydantic import ValidationError
from redis.exceptions import RedisError, WatchError

from domain.adapters.simulated.document import WorldState
from domain.adapters.simulated.validation import Problem
from domain.adapters.simulated.world import MAX_OUTBOX, World, member_key
from domain.errors import ExternalUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from redis.asyncio import Redis
    from redis.asyncio.client import Pipeline

T = TypeVar("T")
MAX_CONFLICTS = 100


class Snapshot(NamedTuple):
    """The world as ``sandboxWorld`` shows it, with what the store keeps beside the document."""

    world: World
    outbox: list[dict[str, Any]]  # JSON data, oldest first
    sent: dict[str, int]  # "phone:random_id" → message id
    contacts: dict[int, list[int]]  # account id → user ids, in id order
    members: dict[int, list[int]]  # channel id → user ids, in id order


class WorldUnreadable(ExternalUnavailable):
    """Redis holds a world this version cannot read (stored by an older tghub)."""


def _state(raw: bytes | str | None) -> WorldState:
    if not raw:
        return WorldState()
    try:
        return WorldState.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise WorldUnreadable(
            f"The simulated world in Redis is not a world of this tghub version "
            f"({Problem(tuple(first['loc']), first['msg'])}); "
            "replace it with sandboxLoadWorld(merge: false)."
        ) from None


@contextlib.contextmanager
def _redis_errors() -> Iterator[None]:
    """Redis failing under the simulated Telegram is Telegram being unavailable: callers
    handle ExternalUnavailable (a check leaves the link for the next round), not redis-py's
    own errors."""
    try:
        yield
    except RedisError as exc:
        raise ExternalUnavailable(
            f"The simulated Telegram is unavailable ({type(exc).__name__}); try again."
        ) from exc


class WorldStore:
    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key
        self.outbox_key = f"{key}:outbox"
        self.sent_key = f"{key}:sent"
        self.contacts_key = f"{key}:contacts"
        self.members_key = f"{key}:members"
        # The world this store last wrote, with the exact JSON it wrote: a step that reads
        # that same JSON back starts from it instead of parsing the whole world again (most
        # of a step's cost in a large world). One step at a time takes it, as a step changes
        # the world in place; it is kept again only once that step's write went through.
        self._kept: tuple[bytes, WorldState] | None = None
        # This process's steps, one at a time. Steps of one process side by side (a mailing's
        # senders, one per account) would only make each other's WATCH fail: every step but
        # one started again from a fresh parse, about 3 tries a step with 4 senders, which
        # took 2.6x the CPU of the same steps in turn (docs/perf.md, "P5"). WATCH still
        # guards against other processes.
        self._steps = asyncio.Lock()

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key the world occupies in Redis."""
        return self.key, self.outbox_key, self.sent_key, self.contacts_key, self.members_key

    def _take(self, raw: bytes | str | None) -> WorldState:
        kept, self._kept = self._kept, None
        if kept is not None and raw == kept[0]:
            return kept[1]
        return _state(raw)

    async def read(self) -> WorldState:
        with _redis_errors():
            return _state(await self.redis.get(self.key))

    async def view(self, step: Callable[[World], T]) -> T:
        """Run a read-only step on the current world (one that looks up no sent or member
        key)."""
        return step(World(await self.read(), time.time(), sent={}, members={}))

    async def snapshot(self) -> Snapshot:
        """The world with its whole outbox (as JSON data, oldest first), sent index, contacts
        and members, read at one instant."""
        with _redis_errors():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.get(self.key)
                pipe.lrange(self.outbox_key, 0, -1)
                pipe.hgetall(self.sent_key)
                pipe.smembers(self.contacts_key)
                pipe.smembers(self.members_key)
                raw, entries, sent, contacts, members = await pipe.execute()
        state = _state(raw)
        outbox = [entry.model_dump(mode="json") for entry in state.outbox]
        outbox.extend(json.loads(entry) for entry in entries)
        index = {**state.sent, **{_text(k): int(v) for k, v in sent.items()}}
        listed_contacts = {account.id: account.contacts for account in state.accounts}
        listed_members = {channel.id: channel.members for channel in state.channels}
        return Snapshot(
            World(state, time.time(), sent={}, members={}),
            outbox[-MAX_OUTBOX:],
            index,
            _grouped(contacts, listed_contacts),
            _grouped(members, listed_members),
        )

    async def update(
        self,
        step: Callable[[World], T],
        *,
        fresh: bool = False,
        sent_keys: Sequence[str] = (),
        member_keys: Callable[[World], Sequence[str]] | None = None,
    ) -> T:
        """Run ``step`` and store the world it leaves, atomically (optimistic, WATCH/MULTI).

        A step that raises writes nothing. ``fresh``: the step starts from an empty world,
        whatever Redis holds (its outbox, sent index, contacts and members too). ``sent_keys``:
        the keys of the sent index the step may ask ``World.sent_message`` about, read under
        the same WATCH. ``member_keys``: the keys of the members set the step may ask
        ``World.is_member`` about, named from the world just read (a channel reference
        becomes a channel id only there) and read under the same WATCH.
        """
        with _redis_errors():
            async with self._steps:
                return await self._update(
                    step, fresh=fresh, sent_keys=sent_keys, member_keys=member_keys
                )

    async def _update(
        self,
        step: Callable[[World], T],
        *,
        fresh: bool,
        sent_keys: Sequence[str],
        member_keys: Callable[[World], Sequence[str]] | None,
    ) -> T:
        for _ in range(MAX_CONFLICTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(*self.keys)
                    state = WorldState() if fresh else self._take(await pipe.get(self.key))
                    known = {} if fresh else await self._looked_up(pipe, sent_keys)
                    world = World(state, time.time(), sent=known, members={})
                    if member_keys is not None and not fresh:
                        world.members_read(await self._members(pipe, member_keys(world)))
                    result = step(world)
                    text = self._write(pipe, world, fresh=fresh)
                    await pipe.execute()
                    # Not a world made from scratch: it may hold the caller's own objects (a
                    # document given to ``replace_world``), which the next step would change.
                    self._kept = None if fresh else (text, world.state)
                    return result
                except WatchError:
                    continue
        raise ExternalUnavailable("The simulated Telegram is too busy; try again.")

    async def _looked_up(self, pipe: Pipeline, keys: Sequence[str]) -> dict[str, int | None]:
        if not keys:
            return {}
        values: list[bytes | None] = await pipe.hmget(self.sent_key, list(keys))  # type: ignore[misc]
        return {key: None if v is None else int(v) for key, v in zip(keys, values, strict=True)}

    async def _members(self, pipe: Pipeline, keys: Sequence[str]) -> dict[str, bool]:
        if not keys:
            return {}
        found: list[int] = await pipe.smismember(self.members_key, list(keys))  # type: ignore[misc]
        return {key: bool(is_in) for key, is_in in zip(keys, found, strict=True)}

    def _write(self, pipe: Pipeline, world: World, *, fresh: bool) -> bytes:
        """Queue the step's writes (MULTI): the document, and what it changed beside it.
        Contacts and members in the document (a world file's, or a world stored by an older
        tghub) move beside it, and so do an older world's outbox and sent index."""
        state = world.state
        entries = [*state.outbox, *world.recorded]
        sent = {**state.sent, **world.newly_sent}
        contacts = {f"{account}:{user}" for account, user in world.new_contacts}
        for account in state.accounts:
            contacts.update(f"{account.id}:{user}" for user in account.contacts)
            account.contacts = []
        removed = {f"{account}:{user}" for account, user in world.removed_contacts}
        contacts -= removed
        members = {member_key(channel, user) for channel, user in world.new_members}
        for channel in state.channels:
            members.update(member_key(channel.id, user) for user in channel.members)
            channel.members = []
        state.outbox, state.sent = [], {}
        text = state.model_dump_json(exclude={"outbox", "sent"}).encode()
        pipe.multi()  # type: ignore[no-untyped-call]
        pipe.set(self.key, text)
        if fresh:
            pipe.delete(self.outbox_key, self.sent_key, self.contacts_key, self.members_key)
        if entries:
            pipe.rpush(self.outbox_key, *(entry.model_dump_json() for entry in entries))
            pipe.ltrim(self.outbox_key, -MAX_OUTBOX, -1)
        if sent:
            pipe.hset(self.sent_key, mapping=sent)
        if contacts:
            pipe.sadd(self.contacts_key, *contacts)
        if removed:
            pipe.srem(self.contacts_key, *removed)
        if members:
            pipe.sadd(self.members_key, *members)
        return text


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _grouped(entries: set[bytes], listed: dict[int, list[int]]) -> dict[int, list[int]]:
    """A set beside the document ("owner id:user id": an account's contacts, a channel's
    members) as each owner's user ids, in id order, with any the document still lists (a
    world stored by an older tghub, before its next step)."""
    grouped: dict[int, set[int]] = defaultdict(set)
    for entry in entries:
        owner, _, user = _text(entry).rpartition(":")
        grouped[int(owner)].add(int(user))
    for owner_id, users in listed.items():
        grouped[owner_id].update(users)
    return {owner: sorted(users) for owner, users in grouped.items()}
