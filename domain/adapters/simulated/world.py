"""The simulated Telegram: a world of users, bots, channels and accounts, with Telegram's rules.

The state is one ``WorldState`` (a world document's entities plus what happens to them), kept
in Redis as JSON so every process of a deployment shares one world. ``World`` wraps it for one
read-modify-write step at one instant of the simulated clock; it is pure (no I/O),
deterministic for a given seed and clock, and raises the gateway's domain errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from domain.adapters.simulated.document import (
    Account,
    Bot,
    BotFloodMethod,
    Channel,
    Entity,
    FloodLimit,
    FloodMethod,
    OutboxEntry,
    Population,
    Post,
    PostPublished,
    StatusSet,
    TextEntity,
    User,
    WorldState,
    handle,
)
from domain.adapters.simulated.validation import (
    WorldInvalid,
    parse_document,
    reference_problems,
)
from domain.errors import Invalid, RateLimited
from domain.telegram.errors import TelegramNotFound
from domain.telegram.rules import RefKind, normalize_phone, parse_channel_ref

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from domain.adapters.simulated.document import WorldDocument

MAX_OUTBOX = 10_000
MAX_CLOCK_OFFSET = 100 * 366 * 86400.0
E = TypeVar("E", bound=BaseModel)
# Where a merge finds the entity an entry is about: by ``id``, a population by ``first_id``.
_KEYS = {"users": "id", "populations": "first_id", "bots": "id", "channels": "id", "accounts": "id"}
# The most digits a Telegram id has (64 bits); a reference with more names nobody.
_ID_DIGITS = 20


def stable_int(*parts: object) -> int:
    """Deterministic pseudo-randomness from the seed: no ``random``, no process state."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


# -- loading a document ---------------------------------------------------------------------------


def load_document(state: WorldState, raw: object, *, merge: bool, now: float) -> WorldState:
    """The world that ``raw`` (a world document as JSON or YAML data) makes: its entities
    upserted by id into ``state`` (merge), or into an empty world. ``state`` is left as it is;
    WorldInvalid names every problem."""
    base = state if merge else WorldState()
    return apply_document(base, parse_document(_over_known(raw, base)), now)


def _over_known(raw: object, base: WorldState) -> object:
    """Each entry of ``raw`` laid over the fields of ``base``'s entity with its id, so a merge
    names only the fields it changes; the result is validated as a whole document."""
    if not isinstance(raw, Mapping):
        return raw
    known: dict[str, Sequence[BaseModel]] = {
        "users": base.users,
        "populations": base.populations,
        "bots": base.bots,
        "channels": base.channels,
        "accounts": base.accounts,
    }
    patched = dict(raw)
    for kind, entities in known.items():
        entries = raw.get(kind)
        if isinstance(entries, list):
            field = _KEYS[kind]
            by_id = {getattr(entity, field): entity for entity in entities}
            patched[kind] = [_over(entry, by_id, field) for entry in entries]
    return patched


def _over(entry: object, known: Mapping[int, BaseModel], field: str) -> object:
    if not isinstance(entry, Mapping):
        return entry
    entity_id = _id_of(entry.get(field))
    existing = None if entity_id is None else known.get(entity_id)
    return entry if existing is None else {**existing.model_dump(), **entry}


def _id_of(value: object) -> int | None:
    """The id an entry gives, as validation will read it (None: validation names the fault)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def apply_document(base: WorldState, document: WorldDocument, now: float) -> WorldState:
    """``document``'s entities upserted by id (populations by ``first_id``) into (a copy of)
    ``base``, checked as a whole. Neither ``base`` nor ``document`` changes."""
    populations = _upserted(base.populations, document.populations, _first_id)
    world = base.model_copy(
        update={
            "users": _upserted(base.users, document.users, _id),
            "populations": populations,
            "population_statuses": _still_in(base.population_statuses, populations),
            "bots": _upserted(base.bots, document.bots, _id),
            "channels": _upserted(base.channels, document.channels, _id),
            "accounts": _upserted(base.accounts, document.accounts, _id),
        }
    )
    if "seed" in document.model_fields_set:
        world.seed = document.seed
    problems = reference_problems(document, world)
    if problems:
        raise WorldInvalid(problems)
    settled = [_settled(channel, world.bots, now) for channel in document.channels]
    world.channels = _upserted(base.channels, settled, _id)
    return world


def _id(entity: Entity) -> int:
    return entity.id


def _first_id(population: Population) -> int:
    return population.first_id


def _upserted(entities: list[E], given: list[E], key: Callable[[E], int]) -> list[E]:
    result = list(entities)
    where = {key(entity): index for index, entity in enumerate(result)}
    for entity in given:
        if key(entity) in where:
            result[where[key(entity)]] = entity
        else:
            where[key(entity)] = len(result)
            result.append(entity)
    return result


def _still_in(
    statuses: dict[int, StatusSet], populations: list[Population]
) -> dict[int, StatusSet]:
    """The statuses set for users some population still has (a merge may shrink one)."""
    return {
        user_id: status
        for user_id, status in statuses.items()
        if any(population.index_of_id(user_id) is not None for population in populations)
    }


def _settled(channel: Channel, bots: list[Bot], now: float) -> Channel:
    """Admins named by bot get the bot's id (the world's admins all have one); posts without
    a date are dated ``now``."""
    ids = {handle(bot.username): bot.id for bot in bots}
    admins = [
        admin
        if admin.bot is None
        else admin.model_copy(update={"id": ids[handle(admin.bot)], "bot": None})
        for admin in channel.admins
    ]
    posts = [p if p.date is not None else p.model_copy(update={"date": now}) for p in channel.posts]
    return channel.model_copy(update={"admins": admins, "posts": posts})


# -- one step of the world ------------------------------------------------------------------------


class World:
    """One step of the world at simulated time ``now`` (epoch seconds)."""

    def __init__(
        self,
        state: WorldState,
        real_now: float,
        *,
        sent: Mapping[str, int | None] | None = None,
        members: Mapping[str, bool] | None = None,
    ) -> None:
        self.state = state
        self.now = real_now + state.clock_offset
        # What the step changes in the records kept beside the document; the store writes them
        # with the document, in the same transaction.
        self.recorded: list[OutboxEntry] = []
        self.newly_sent: dict[str, int] = {}
        self.new_contacts: set[tuple[int, int]] = set()  # (account id, user id)
        self.removed_contacts: set[tuple[int, int]] = set()  # (account id, user id)
        self.new_members: set[tuple[int, int]] = set()  # (channel id, user id)
        # The sent keys and member keys the store looked up for this step (None: a world
        # without a store, in which nothing was sent and nobody joined before it).
        self._sent = sent
        self._members = members

    # -- clock and outbox ---------------------------------------------------------------

    @property
    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise Invalid.single("seconds", "The simulated clock only moves forward.")
        offset = self.state.clock_offset + seconds
        # Far enough for any test of time; beyond it, dates leave what datetime can hold.
        if not offset <= MAX_CLOCK_OFFSET:
            raise Invalid.single("seconds", "The simulated clock runs at most 100 years ahead.")
        self.state.clock_offset = offset
        self.now += seconds

    def record(self, entry: OutboxEntry) -> None:
        """Append what the service made Telegram do to the outbox, numbered and dated."""
        self.state.seq += 1
        entry.seq, entry.at = self.state.seq, self.now_dt.isoformat()
        self.recorded.append(entry)

    def sent_message(self, key: str) -> int | None:
        """The id of the message already delivered under ``key`` ("phone:random_id"), if any.

        The store looks the key up in the step's read (``WorldStore.update(sent_keys=...)``);
        asking for a key it was not given is a bug, not a message never sent.
        """
        if key in self.newly_sent:
            return self.newly_sent[key]
        if key in self.state.sent:  # a world stored by an older tghub
            return self.state.sent[key]
        if self._sent is None:
            return None
        if key not in self._sent:
            raise LookupError(f"This step did not ask the world store for sent key {key!r}.")
        return self._sent[key]

    def mark_sent(self, key: str, message_id: int) -> None:
        self.newly_sent[key] = message_id

    def add_contact(self, account: Account, user: User) -> None:
        """The user is in the account's contacts from now on. The store adds them to the
        account's contacts beside the document: a step needs none of them, so it reads none."""
        self.removed_contacts.discard((account.id, user.id))
        self.new_contacts.add((account.id, user.id))

    def remove_contact(self, account: Account, user: User) -> None:
        """The user is not in the account's contacts from now on, whether they were or not:
        the store removes them from the set beside the document (and from a document that
        still lists them), reading none of it."""
        self.new_contacts.discard((account.id, user.id))
        self.removed_contacts.add((account.id, user.id))
        account.contacts = [contact for contact in account.contacts if contact != user.id]

    def members_read(self, found: Mapping[str, bool]) -> None:
        """The member keys the store read for this step (named from this world: a channel
        reference becomes an id only once the world is read), each with whether it is in the
        members set."""
        self._members = dict(found)

    def is_member(self, channel: Channel, user_id: int) -> bool:
        """Whether the user is a member of the channel: listed in the document (a world file's
        ``members``, or a world stored by an older tghub), joined in this step, or in the
        members set beside the document.

        The store looks the set up in the step's read (``WorldStore.update(member_keys=...)``);
        asking about a key it was not given is a bug, not a user who never joined.
        """
        if user_id in channel.members or (channel.id, user_id) in self.new_members:
            return True
        if self._members is None:
            return False
        key = member_key(channel.id, user_id)
        if key not in self._members:
            raise LookupError(f"This step did not ask the world store for member key {key!r}.")
        return self._members[key]

    def add_member(self, channel: Channel, user: User) -> None:
        """The user is a member of the channel from now on. The store adds them to the members
        set beside the document, so the document does not grow with an invite campaign."""
        self.new_members.add((channel.id, user.id))

    def add_post(
        self,
        channel: Channel,
        text: str,
        views: int,
        author: str,
        entities: Sequence[TextEntity] = (),
    ) -> Post:
        """A new post dated now, numbered after the channel's last one."""
        message_id = max((p.id for p in channel.posts), default=0) + 1
        post = Post(id=message_id, text=text, entities=list(entities), views=views, date=self.now)
        channel.posts.append(post)
        self.record(
            PostPublished(channel_id=channel.id, message_id=message_id, text=text, by=author)
        )
        return post

    # -- lookups ------------------------------------------------------------------------

    def user(self, ref: str | int) -> User:
        """The user ``ref`` names by id or username: one listed one by one (the first that
        matches), else a population's."""
        text = _user_key(ref)
        for user in self.state.users:
            if str(user.id) == text or (user.username or "").lower() == text:
                return user
        found = self._population_user(text)
        if found is None:
            raise TelegramNotFound("user", ref)
        return found

    def users(self, refs: Sequence[str | int]) -> list[User | None]:
        """``user`` of each ref (None where it names nobody), in one pass over the users
        instead of one per ref: the first user whose id or username matches, as ``user``."""
        wanted = {_user_key(ref) for ref in refs}
        found: dict[str, User] = {}
        for user in self.state.users:
            for key in (str(user.id), (user.username or "").lower()):
                if key in wanted and key not in found:
                    found[key] = user
        for key in wanted - found.keys():
            if (member := self._population_user(key)) is not None:
                found[key] = member
        return [found.get(_user_key(ref)) for ref in refs]

    def user_by_phone(self, phone: str) -> User | None:
        wanted = normalize_phone(phone)
        listed = next((u for u in self.state.users if u.phone == wanted), None)
        if listed is not None:
            return listed
        for population in self.state.populations:
            if (n := population.index_of_phone(wanted)) is not None:
                return self._member(population, n)
        return None

    def _population_user(self, key: str) -> User | None:
        """The population's user that ``key`` (an id, or a username as ``_user_key`` gives it)
        names: computed from the populations' rules, whatever their sizes."""
        by_id = key.isascii() and key.isdigit() and len(key) <= _ID_DIGITS
        for population in self.state.populations:
            if by_id:
                n = population.index_of_id(int(key)) if key == str(int(key)) else None
            else:
                n = population.index_of_username(key)
            if n is not None:
                return self._member(population, n)
        return None

    def _member(self, population: Population, n: int) -> User:
        user_id = population.first_id + n
        return population.user(n, self.state.population_statuses.get(user_id))

    def _in_population(self, user_id: int) -> bool:
        return any(p.index_of_id(user_id) is not None for p in self.state.populations)

    def changing_users(self) -> Iterator[User]:
        """The users whose status can change: every one listed one by one, and the population
        users whose status the sandbox set (the others stay offline, as loaded)."""
        yield from self.state.users
        for user_id in self.state.population_statuses:
            member = self._population_user(str(user_id))
            if member is not None:
                yield member

    def bot(self, token: str) -> Bot | None:
        return next((b for b in self.state.bots if b.token == token), None)

    def bot_by_ref(self, ref: str) -> Bot:
        text = ref.strip().removeprefix("@").lower()
        for bot in self.state.bots:
            if str(bot.id) == text or bot.username.lower() == text:
                return bot
        raise TelegramNotFound("bot", ref)

    def channel(self, ref: str | int) -> Channel:
        parsed = parse_channel_ref(str(ref))
        for channel in self.state.channels:
            if _channel_matches(channel, parsed.kind, parsed.value):
                return channel
        raise TelegramNotFound("channel", ref)

    def account(self, phone: str) -> Account:
        wanted = normalize_phone(phone)
        for account in self.state.accounts:
            if account.phone == wanted:
                return account
        message = "Telegram knows no account with this phone number."
        raise Invalid({"phone": [message]}, message)

    # -- behaviour over time --------------------------------------------------------------

    def set_status(self, user: User, online: bool) -> None:
        """The user goes online or offline now, and their schedule ends. For a population's
        user that is a status set for them: the one trace of them the document keeps."""
        if user.schedule is not None or user.online != online:
            user.changed_at = self.now
        user.online, user.schedule = online, None
        if self._in_population(user.id):
            status = StatusSet(online=online, changed_at=user.changed_at)
            self.state.population_statuses[user.id] = status

    def is_online(self, user: User) -> bool:
        if user.schedule is None:
            return user.online
        every, span = user.schedule.online_every, user.schedule.online_for
        phase = stable_int(self.state.seed, "phase", user.id) % every
        return (self.now + phase) % every < span

    def last_seen(self, user: User) -> float:
        """When the user was last online (for an offline user)."""
        if user.schedule is None:
            return user.changed_at
        every, span = user.schedule.online_every, user.schedule.online_for
        phase = stable_int(self.state.seed, "phase", user.id) % every
        into_cycle = (self.now + phase) % every
        return self.now - into_cycle + span if into_cycle >= span else self.now

    def views(self, channel: Channel, post: Post) -> int:
        """Views grow with the post's age, at a rate the seed fixes per post."""
        per_hour = 5 + stable_int(self.state.seed, "views", channel.id, post.id) % 46
        posted = self.now if post.date is None else post.date
        age_hours = max(self.now - posted, 0.0) / 3600
        return post.views + int(age_hours * per_hour)

    def check_flood(self, account: Account, method: FloodMethod) -> None:
        """Telegram's flood limits: an explicit wait, then a per-method rate per minute."""
        calls = account.calls.get(method, [])
        account.calls[method] = self._counted(account.flood_until, account.flood.get(method), calls)

    def check_bot_flood(self, bot: Bot, method: BotFloodMethod) -> None:
        """The same flood limits for a bot's calls (``flood_until``, ``flood``)."""
        calls = bot.calls.get(method, [])
        bot.calls[method] = self._counted(bot.flood_until, bot.flood.get(method), calls)

    def _counted(self, until: float, limit: FloodLimit | None, calls: list[float]) -> list[float]:
        """The calls of the last minute the limit needs, with this one (at most ``per_minute``;
        none without a limit, so the document does not grow with the calls), or RateLimited
        with the wait."""
        if until > self.now:
            raise RateLimited(retry_after=until - self.now)
        if limit is None:
            return []
        recent = [t for t in calls if t > self.now - 60]
        if len(recent) >= limit.per_minute:
            raise RateLimited(retry_after=max(recent[-limit.per_minute] + 60 - self.now, 1.0))
        return [*recent, self.now][-limit.per_minute :]


def member_key(channel_id: int, user_id: int) -> str:
    """The entry of the members set beside the document that makes the user a member of the
    channel (the channel's marked id: ``-1001234567890:1001``)."""
    return f"{channel_id}:{user_id}"


def _user_key(ref: str | int) -> str:
    return str(ref).strip().removeprefix("@").lower()


def _channel_matches(channel: Channel, kind: RefKind, value: str) -> bool:
    if kind is RefKind.ID:
        return str(channel.id) == value or str(channel.id).removeprefix("-100") == value
    if kind is RefKind.INVITE:
        return channel.invite_hash == value
    return (channel.username or "").lower() == value
