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

from domain.adapters.simulated.document import (
    Account,
    Bot,
    BotFloodMethod,
    Channel,
    Entity,
    FloodLimit,
    FloodMethod,
    OutboxEntry,
    Post,
    PostPublished,
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
    from collections.abc import Sequence

    from domain.adapters.simulated.document import WorldDocument

MAX_OUTBOX = 10_000
MAX_CLOCK_OFFSET = 100 * 366 * 86400.0
E = TypeVar("E", bound=Entity)


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
    known: dict[str, Sequence[Entity]] = {
        "users": base.users,
        "bots": base.bots,
        "channels": base.channels,
        "accounts": base.accounts,
    }
    patched = dict(raw)
    for kind, entities in known.items():
        entries = raw.get(kind)
        if isinstance(entries, list):
            by_id = {entity.id: entity for entity in entities}
            patched[kind] = [_over(entry, by_id) for entry in entries]
    return patched


def _over(entry: object, known: Mapping[int, Entity]) -> object:
    if not isinstance(entry, Mapping):
        return entry
    entity_id = _id_of(entry.get("id"))
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
    """``document``'s entities upserted by id into (a copy of) ``base``, checked as a whole.
    Neither ``base`` nor ``document`` changes."""
    world = base.model_copy(
        update={
            "users": _upserted(base.users, document.users),
            "bots": _upserted(base.bots, document.bots),
            "channels": _upserted(base.channels, document.channels),
            "accounts": _upserted(base.accounts, document.accounts),
        }
    )
    if "seed" in document.model_fields_set:
        world.seed = document.seed
    problems = reference_problems(document, world)
    if problems:
        raise WorldInvalid(problems)
    settled = [_settled(channel, world.bots, now) for channel in document.channels]
    world.channels = _upserted(base.channels, settled)
    return world


def _upserted(entities: list[E], given: list[E]) -> list[E]:
    result = list(entities)
    where = {entity.id: index for index, entity in enumerate(result)}
    for entity in given:
        if entity.id in where:
            result[where[entity.id]] = entity
        else:
            where[entity.id] = len(result)
            result.append(entity)
    return result


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
        self, state: WorldState, real_now: float, *, sent: Mapping[str, int | None] | None = None
    ) -> None:
        self.state = state
        self.now = real_now + state.clock_offset
        # What the step adds to the records kept beside the document; the store writes them
        # with the document, in the same transaction.
        self.recorded: list[OutboxEntry] = []
        self.newly_sent: dict[str, int] = {}
        # The sent keys the store looked up for this step (None: a world without a store, in
        # which nothing was sent before it).
        self._sent = sent

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
        text = _user_key(ref)
        for user in self.state.users:
            if str(user.id) == text or (user.username or "").lower() == text:
                return user
        raise TelegramNotFound("user", ref)

    def users(self, refs: Sequence[str | int]) -> list[User | None]:
        """``user`` of each ref (None where it names nobody), in one pass over the users
        instead of one per ref: the first user whose id or username matches, as ``user``."""
        wanted = {_user_key(ref) for ref in refs}
        found: dict[str, User] = {}
        for user in self.state.users:
            for key in (str(user.id), (user.username or "").lower()):
                if key in wanted and key not in found:
                    found[key] = user
        return [found.get(_user_key(ref)) for ref in refs]

    def user_by_phone(self, phone: str) -> User | None:
        wanted = normalize_phone(phone)
        return next((u for u in self.state.users if u.phone == wanted), None)

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


def _user_key(ref: str | int) -> str:
    return str(ref).strip().removeprefix("@").lower()


def _channel_matches(channel: Channel, kind: RefKind, value: str) -> bool:
    if kind is RefKind.ID:
        return str(channel.id) == value or str(channel.id).removeprefix("-100") == value
    if kind is RefKind.INVITE:
        return channel.invite_hash == value
    return (channel.username or "").lower() == value
