"""The simulated Telegram: a world of users, bots, channels and accounts, with Telegram's rules.

The state is one JSON document (the world-file format of DESIGN.md §6 plus runtime fields),
so it can live in Redis and be shared by every process of a deployment. ``World`` wraps that
document for one read-modify-write step at one instant of the simulated clock; it is pure
(no I/O), deterministic for a given seed and clock, and raises the gateway's domain errors.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

from domain.errors import Invalid, RateLimited
from domain.telegram.errors import TelegramNotFound
from domain.telegram.rules import RefKind, normalize_phone, parse_channel_ref

Doc = dict[str, Any]

ENTITY_LISTS = ("users", "bots", "channels", "accounts")
USER_DEFAULTS: Doc = {
    "username": None,
    "first_name": "",
    "last_name": "",
    "phone": None,
    "privacy": {"invites": "everybody", "status": "everybody"},
    "online": False,
    "changed_at": 0.0,
    "schedule": None,
    "contacts": [],
}
CHANNEL_DEFAULTS: Doc = {
    "username": None,
    "title": "",
    "invite_hash": None,
    "admins": [],
    "members": [],
    "posts": [],
}
ACCOUNT_DEFAULTS: Doc = {
    "code": "12345",
    "password": None,
    "flood": {},
    "flood_until": 0.0,
    "peer_flood": False,
    "latency": {},
    "sessions": [],
    "code_hash": None,
    "pending_session": None,
    "contacts": [],
    "calls": {},
}
MAX_OUTBOX = 10_000
MAX_CLOCK_OFFSET = 100 * 366 * 86400.0


def empty_state(seed: int = 0) -> Doc:
    return {
        "seed": seed,
        "clock_offset": 0.0,
        "users": [],
        "bots": [],
        "channels": [],
        "accounts": [],
        "outbox": [],
        "sent": {},
        "seq": 0,
    }


def stable_int(*parts: object) -> int:
    """Deterministic pseudo-randomness from the seed: no ``random``, no process state."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def load_document(state: Doc, document: Doc, *, merge: bool, now: float) -> Doc:
    """A world file merged into ``state`` (entities upserted by id), or replacing it."""
    result = copy.deepcopy(state) if merge else empty_state()
    try:
        if "seed" in document:
            result["seed"] = int(document["seed"])
        for kind in ENTITY_LISTS:
            for entity in document.get(kind) or []:
                _upsert(result[kind], kind, entity, now)
    except (TypeError, ValueError, AttributeError) as exc:
        raise Invalid.single("world", f"Not a world document: {exc}") from None
    return result


def _normalized(kind: str, entity: Doc, now: float) -> Doc:
    defaults = {
        "users": USER_DEFAULTS,
        "channels": CHANNEL_DEFAULTS,
        "accounts": ACCOUNT_DEFAULTS,
    }.get(kind, {})
    merged = {**copy.deepcopy(defaults), **entity, "id": int(entity["id"])}
    if kind == "accounts":
        merged["phone"] = normalize_phone(str(entity.get("phone", "")))
    if kind == "users" and merged.get("phone"):
        merged["phone"] = normalize_phone(str(merged["phone"]))
    if kind == "bots" and not merged.get("token"):
        raise Invalid.single("world", "every bot needs a token")
    if kind == "channels":
        merged["admins"] = [_admin(entry) for entry in merged["admins"]]
        merged["posts"] = [
            {"views": 0, "date": now, **p, "id": int(p["id"])} for p in merged["posts"]
        ]
    return merged


def _admin(entry: Doc) -> Doc:
    """Admins name a bot or account by id (``{id: 5001}``) or a bot by ``{bot: username}``."""
    if "id" not in entry and "bot" not in entry:
        raise Invalid.single("world", "every channel admin needs an id or a bot")
    return {**entry, "id": int(entry["id"])} if "id" in entry else dict(entry)


def _upsert(items: list[Doc], kind: str, entity: Doc, now: float) -> None:
    """The entity's fields over those of the one with its id (if any), then the defaults."""
    if not isinstance(entity, dict) or "id" not in entity:
        raise Invalid.single("world", f"every entry of {kind} needs an id")
    for index, existing in enumerate(items):
        if existing["id"] == int(entity["id"]):
            items[index] = _normalized(kind, {**existing, **entity}, now)
            return
    items.append(_normalized(kind, entity, now))


class World:
    """One step of the world at simulated time ``now`` (epoch seconds)."""

    def __init__(self, state: Doc, real_now: float) -> None:
        self.state = state
        self.now = real_now + float(state.get("clock_offset", 0.0))

    # -- clock and outbox ---------------------------------------------------------------

    @property
    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise Invalid.single("seconds", "The simulated clock only moves forward.")
        offset = float(self.state.get("clock_offset", 0.0)) + seconds
        # Far enough for any test of time; beyond it, dates leave what datetime can hold.
        if not offset <= MAX_CLOCK_OFFSET:
            raise Invalid.single("seconds", "The simulated clock runs at most 100 years ahead.")
        self.state["clock_offset"] = offset
        self.now += seconds

    def record(self, kind: str, **fields: Any) -> Doc:
        """Append what the service made Telegram do to the outbox, in order."""
        self.state["seq"] = int(self.state.get("seq", 0)) + 1
        entry = {"seq": self.state["seq"], "type": kind, "at": self.now_dt.isoformat(), **fields}
        outbox: list[Doc] = self.state.setdefault("outbox", [])
        outbox.append(entry)
        del outbox[:-MAX_OUTBOX]
        return entry

    def add_post(self, channel: Doc, text: str, views: int, author: str) -> Doc:
        posts: list[Doc] = channel.setdefault("posts", [])
        message_id = max((p["id"] for p in posts), default=0) + 1
        entry = {"id": message_id, "text": text, "views": views, "date": self.now}
        posts.append(entry)
        self.record("post", channel_id=channel["id"], message_id=message_id, text=text, by=author)
        return entry

    # -- lookups ------------------------------------------------------------------------

    def entities(self, kind: str) -> list[Doc]:
        items: list[Doc] = self.state[kind]
        return items

    def user(self, ref: str | int) -> Doc:
        text = str(ref).strip().removeprefix("@").lower()
        for user in self.entities("users"):
            if str(user["id"]) == text or (user.get("username") or "").lower() == text:
                return user
        raise TelegramNotFound("user", ref)

    def user_by_phone(self, phone: str) -> Doc | None:
        wanted = normalize_phone(phone)
        return next((u for u in self.entities("users") if u.get("phone") == wanted), None)

    def bot(self, token: str) -> Doc | None:
        return next((b for b in self.entities("bots") if b["token"] == token), None)

    def bot_by_ref(self, ref: str) -> Doc:
        text = ref.strip().removeprefix("@").lower()
        for bot in self.entities("bots"):
            if str(bot["id"]) == text or (bot.get("username") or "").lower() == text:
                return bot
        raise TelegramNotFound("bot", ref)

    def channel(self, ref: str | int) -> Doc:
        parsed = parse_channel_ref(str(ref))
        for channel in self.entities("channels"):
            if _channel_matches(channel, parsed.kind, parsed.value):
                return channel
        raise TelegramNotFound("channel", ref)

    def account(self, phone: str) -> Doc:
        wanted = normalize_phone(phone)
        for account in self.entities("accounts"):
            if account["phone"] == wanted:
                return account
        message = "Telegram knows no account with this phone number."
        raise Invalid({"phone": [message]}, message)

    # -- behaviour over time --------------------------------------------------------------

    def is_online(self, user: Doc) -> bool:
        schedule = user.get("schedule")
        if not schedule:
            return bool(user.get("online"))
        every, span = max(int(schedule["online_every"]), 1), int(schedule["online_for"])
        phase = stable_int(self.state.get("seed", 0), "phase", user["id"]) % every
        return (self.now + phase) % every < span

    def last_seen(self, user: Doc) -> float:
        """When the user was last online (for an offline user)."""
        schedule = user.get("schedule")
        if not schedule:
            return float(user.get("changed_at") or 0.0)
        every, span = max(int(schedule["online_every"]), 1), int(schedule["online_for"])
        phase = stable_int(self.state.get("seed", 0), "phase", user["id"]) % every
        into_cycle = (self.now + phase) % every
        return self.now - into_cycle + span if into_cycle >= span else self.now

    def views(self, channel: Doc, post: Doc) -> int:
        """Views grow with the post's age, at a rate the seed fixes per post."""
        per_hour = (
            5 + stable_int(self.state.get("seed", 0), "views", channel["id"], post["id"]) % 46
        )
        age_hours = max(self.now - float(post.get("date", self.now)), 0.0) / 3600
        return int(post.get("views", 0)) + int(age_hours * per_hour)

    def check_flood(self, account: Doc, method: str) -> None:
        """Telegram's flood limits: an explicit wait, then a per-method rate per minute."""
        if account.get("flood_until", 0.0) > self.now:
            raise RateLimited(retry_after=account["flood_until"] - self.now)
        limit = (account.get("flood") or {}).get(method, {}).get("per_minute")
        calls = [t for t in account.setdefault("calls", {}).get(method, []) if t > self.now - 60]
        if limit is not None and len(calls) >= int(limit):
            raise RateLimited(retry_after=max(calls[0] + 60 - self.now, 1.0))
        account["calls"][method] = [*calls, self.now][-1000:]


def _channel_matches(channel: Doc, kind: RefKind, value: str) -> bool:
    if kind is RefKind.ID:
        return str(channel["id"]) == value or str(channel["id"]).removeprefix("-100") == value
    if kind is RefKind.INVITE:
        return channel.get("invite_hash") == value
    return (channel.get("username") or "").lower() == value
