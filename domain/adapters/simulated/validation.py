"""A world document checked whole: each field's type, then what the world relies on across
fields (ids and names it looks things up by are unique, references name someone it knows).

Every problem is named by the path of its field (``channels[0].admins[1].bot``); a world file
adds the line (see ``worldfile``).
"""

from __future__ import annotations

import difflib
import re
import types
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from typing_extensions import override

from domain.adapters.simulated.document import WorldDocument, handle
from domain.errors import Invalid
from domain.telegram.rules import utf16_length

if TYPE_CHECKING:
    from collections.abc import Callable, Container, Iterator, Sequence

    from pydantic_core import ErrorDetails

    from domain.adapters.simulated.document import (
        Admin,
        Entity,
        Population,
        Post,
        User,
        WorldState,
    )

Loc = tuple[str | int, ...]
SHOWN_PROBLEMS = 5
# Telegram's limits a population's rule must keep to for each of its users.
MAX_PHONE_DIGITS = 15
MAX_USERNAME = 32
MAX_ID = 2**63 - 1
USERNAME_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str
    line: int | None = None

    @property
    def path(self) -> str:
        """``channels[0].admins[1].bot``; ``world`` for the document itself."""
        text = ""
        for part in self.loc:
            if isinstance(part, int):
                text += f"[{part}]"
            elif part != "[key]":  # pydantic's mark for a bad key of a mapping: the key is named
                text += f".{part}" if text else part
        return text or "world"

    @override
    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.loc:  # a problem of the whole document needs no path
            where.append(self.path)
        return f"{', '.join(where)}: {self.message}" if where else self.message


class WorldInvalid(Invalid):
    """A world document with problems, each named by its field's path (and line, in a file)."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        errors: dict[str, list[str]] = defaultdict(list)
        for problem in self.problems:
            errors[problem.path].append(problem.message)
        super().__init__(errors, self._paragraph())

    def _paragraph(self) -> str:
        subject = f"{self.source} is not a valid world" if self.source else "The world is not valid"
        shown = "; ".join(str(problem).rstrip(".") for problem in self.problems[:SHOWN_PROBLEMS])
        more = len(self.problems) - SHOWN_PROBLEMS
        return f"{subject}: {shown}" + (f"; and {more} more." if more > 0 else ".")

    def located(self, source: str, line_of: Callable[[Loc], int]) -> WorldInvalid:
        """The same problems, read from ``source``, each with its line."""
        return WorldInvalid([replace(p, line=line_of(p.loc)) for p in self.problems], source)


def parse_document(raw: object) -> WorldDocument:
    """``raw`` (JSON or YAML data) as a document; WorldInvalid names every field in error."""
    try:
        return WorldDocument.model_validate(raw)
    except ValidationError as exc:
        raise WorldInvalid([_problem(error) for error in exc.errors()]) from None


def _problem(error: ErrorDetails) -> Problem:
    loc: Loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        return Problem(loc, _unknown_field(loc))
    if error["type"] == "model_type" and not loc:
        return Problem(
            loc, f"A world document is a mapping of {', '.join(WorldDocument.model_fields)}."
        )
    if error["type"] == "string_type" and isinstance(error["input"], int | float):
        # YAML reads an unquoted login code or password as a number.
        return Problem(loc, f"{error['msg']} (a number here: put it in quotes).")
    return Problem(loc, error["msg"])


def _unknown_field(loc: Loc) -> str:
    known = _fields_at(WorldDocument, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"the fields here: {', '.join(known)}"
    return f"Unknown field ({hint})."


def _fields_at(annotation: object, loc: Loc) -> list[str]:
    """The field names of the model found at ``loc`` inside ``annotation``."""
    for part in loc:
        annotation = _inside(annotation, part)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _inside(annotation: object, part: str | int) -> object:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return None if field is None else field.annotation
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType) and len(args) == 1:  # an optional field
        return _inside(args[0], part)
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict and isinstance(part, str):
        return args[1]
    return None


# -- across fields ------------------------------------------------------------------------------


def reference_problems(document: WorldDocument, world: WorldState) -> list[Problem]:
    """What ``document`` gets wrong about ``world``, the world it makes (its entities and the
    ones it keeps): ids repeated, names the world looks up held twice, unknown references."""
    return [
        *_repeated_ids(document),
        *_shared_names(document, world),
        *_channel_problems(document, world),
        *_contact_problems(document, world),
        *_population_problems(document, world),
    ]


class _UserIds:
    """The ids of a world's users, listed one by one or in a population (``in`` costs the
    populations' number, not their sizes)."""

    def __init__(self, world: WorldState) -> None:
        self.listed = {user.id for user in world.users}
        self.populations = world.populations

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int):
            return False
        return value in self.listed or any(
            population.index_of_id(value) is not None for population in self.populations
        )


def _repeated_ids(document: WorldDocument) -> Iterator[Problem]:
    kinds: dict[str, Sequence[Entity]] = {
        "users": document.users,
        "bots": document.bots,
        "channels": document.channels,
        "accounts": document.accounts,
    }
    for kind, entities in kinds.items():
        yield from _repeated((kind,), [entity.id for entity in entities], "id")


def _repeated(at: Loc, values: Sequence[object], field: str | None) -> Iterator[Problem]:
    """Each value given before in ``values`` (of the entries of the list at ``at``; None is
    no value)."""
    first: dict[object, int] = {}
    for index, value in enumerate(values):
        if value is not None and value in first:
            loc = (*at, index, field) if field else (*at, index)
            yield Problem(loc, f"{value!r} is given twice (first at {_path(at)}[{first[value]}]).")
        elif value is not None:
            first[value] = index


def _path(loc: Loc) -> str:
    return Problem(loc, "").path


def _lower(name: str | None) -> str | None:
    return None if name is None else handle(name)


def _shared_names(document: WorldDocument, world: WorldState) -> Iterator[Problem]:
    """The world finds users, bots, accounts and channels by these; each names one."""
    users = (document.users, world.users)
    bots = (document.bots, world.bots)
    accounts = (document.accounts, world.accounts)
    channels = (document.channels, world.channels)
    yield from _shared(("users", "username"), *users, lambda u: _lower(u.username))
    yield from _shared(("users", "phone"), *users, lambda u: u.phone)
    yield from _shared(("bots", "token"), *bots, lambda b: b.token)
    yield from _shared(("bots", "username"), *bots, lambda b: _lower(b.username))
    yield from _shared(("accounts", "phone"), *accounts, lambda a: a.phone)
    yield from _shared(("channels", "username"), *channels, lambda c: _lower(c.username))
    yield from _shared(("channels", "invite_hash"), *channels, lambda c: c.invite_hash)


E = TypeVar("E", bound="Entity")


def _shared(
    where: tuple[str, str],
    given: Sequence[E],
    everyone: Sequence[E],
    key: Callable[[E], str | None],
) -> Iterator[Problem]:
    kind, field = where
    holders: dict[str, set[int]] = defaultdict(set)
    for entity in everyone:
        if (value := key(entity)) is not None:
            holders[value].add(entity.id)
    for index, entity in enumerate(given):
        value = key(entity)
        others = sorted(holders[value] - {entity.id}) if value is not None else []
        if others:
            yield Problem((kind, index, field), f"{value!r} is also the {field} of id {others[0]}.")


def _channel_problems(document: WorldDocument, world: WorldState) -> Iterator[Problem]:
    bots = {handle(bot.username): bot.id for bot in world.bots}
    may_admin = {bot.id for bot in world.bots} | {account.id for account in world.accounts}
    users = _UserIds(world)
    for index, channel in enumerate(document.channels):
        at: Loc = ("channels", index)
        yield from _admin_problems((*at, "admins"), channel.admins, bots, may_admin)
        yield from _unknown((*at, "members"), channel.members, users, "user")
        yield from _repeated((*at, "posts"), [post.id for post in channel.posts], "id")
        for number, post in enumerate(channel.posts):
            yield from _entity_problems((*at, "posts", number, "entities"), post)


def _entity_problems(at: Loc, post: Post) -> Iterator[Problem]:
    """Each formatting span lies within the post's text (counted in UTF-16 code units)."""
    size = utf16_length(post.text)
    for index, entity in enumerate(post.entities):
        if entity.offset + entity.length > size:
            message = f"The span ends at {entity.offset + entity.length}; the text is {size} long."
            yield Problem((*at, index), message)


def _admin_problems(
    at: Loc, admins: Sequence[Admin], bots: dict[str, int], may_admin: set[int]
) -> Iterator[Problem]:
    """Each admin names a bot or account of the world, and each is named once."""
    ids: list[int | None] = []
    for index, admin in enumerate(admins):
        if admin.bot is not None and handle(admin.bot) not in bots:
            yield Problem((*at, index, "bot"), f"No bot of this world is named {admin.bot!r}.")
        elif admin.id is not None and admin.id not in may_admin:
            message = f"No bot or account of this world has id {admin.id}."
            yield Problem((*at, index, "id"), message)
        ids.append(admin.id if admin.bot is None else bots.get(handle(admin.bot)))
    yield from _repeated(at, ids, None)


def _contact_problems(document: WorldDocument, world: WorldState) -> Iterator[Problem]:
    accounts = {account.id for account in world.accounts}
    users = _UserIds(world)
    for index, user in enumerate(document.users):
        yield from _unknown(("users", index, "contacts"), user.contacts, accounts, "account")
    for index, account in enumerate(document.accounts):
        yield from _unknown(("accounts", index, "contacts"), account.contacts, users, "user")


def _unknown(at: Loc, ids: Sequence[int], known: Container[int], kind: str) -> Iterator[Problem]:
    for index, value in enumerate(ids):
        if value not in known:
            yield Problem((*at, index), f"No {kind} of this world has id {value}.")


# -- populations --------------------------------------------------------------------------------


def _population_problems(document: WorldDocument, world: WorldState) -> Iterator[Problem]:
    """Each population's rule gives every one of its users a valid id, phone and username, and
    none that another population or a user listed one by one has. Checked against the rules,
    never user by user: a population of a million costs what one of ten does."""
    firsts = [population.first_id for population in document.populations]
    yield from _repeated(("populations",), firsts, "first_id")
    accounts = {account.id for account in world.accounts}
    given = {user.id for user in document.users}
    kept = [user for user in world.users if user.id not in given]  # given ones: below
    for index, population in enumerate(document.populations):
        at: Loc = ("populations", index)
        yield from _rule_problems(at, population)
        # Two of the document that overlap: named once, on the later one.
        later = {p.first_id for p in document.populations[index:]}
        for other in world.populations:
            if other.first_id not in later:
                yield from _overlaps(at, population, other)
        for user in kept:
            for field, own, value, n in _clashes(user, population):
                yield Problem((*at, field), _kept_clash(user, own, value, n))
        yield from _unknown((*at, "contacts"), population.contacts, accounts, "account")
    for index, user in enumerate(document.users):
        for population in world.populations:
            for _, own, value, n in _clashes(user, population):
                message = f"{value} is also the {own} of user {n} of the population from id "
                yield Problem(("users", index, own), f"{message}{population.first_id}.")


def _kept_clash(user: User, field: str, value: str, n: int) -> str:
    if field == "id":
        return f"It would have user {n}, whom this world lists one by one."
    return f"It would give user {n} the {field} {value} of user {user.id} of this world."


def _rule_problems(at: Loc, population: Population) -> Iterator[Problem]:
    if population.last_id > MAX_ID:
        message = f"The last id, {population.last_id}, is past Telegram's 64-bit ids."
        yield Problem((*at, "count"), message)
    if population.phone_from is not None:
        if population.phone_from.startswith("+0"):
            message = "A population's phones are counted up as numbers: they cannot start with 0."
            yield Problem((*at, "phone_from"), message)
        elif len(str(population.last_phone)) - 1 > MAX_PHONE_DIGITS:
            message = f"The last phone, {population.last_phone}, has more than 15 digits."
            yield Problem((*at, "phone_from"), message)
    prefix = population.username_prefix
    if prefix is not None:
        if not USERNAME_PREFIX.fullmatch(prefix):
            message = "A username starts with a letter, then letters, digits and underscores."
            yield Problem((*at, "username_prefix"), message)
        elif len(f"{prefix}{population.count - 1}") > MAX_USERNAME:
            last = f"{prefix}{population.count - 1}"
            yield Problem(
                (*at, "username_prefix"), f"The last username, {last}, is over 32 characters."
            )


def _overlaps(at: Loc, population: Population, other: Population) -> Iterator[Problem]:
    """What ``population`` gives a user that ``other`` gives one too."""
    theirs = f"those of the population from id {other.first_id}"
    if population.first_id <= other.last_id and other.first_id <= population.last_id:
        ids = f"{population.first_id}–{population.last_id}"
        message = f"Its ids ({ids}) overlap {theirs} ({other.first_id}–{other.last_id})."
        yield Problem((*at, "first_id"), message)
    if population.phone_from is not None and other.phone_from is not None:
        mine = (population.phone_base, population.phone_base + population.count - 1)
        if mine[0] <= other.phone_base + other.count - 1 and other.phone_base <= mine[1]:
            phones = f"{population.phone_from}–{population.last_phone}"
            message = f"Its phones ({phones}) overlap {theirs} ({other.phone_from}–"
            yield Problem((*at, "phone_from"), f"{message}{other.last_phone}).")
    shared = _shared_username(population, other) or _shared_username(other, population)
    if shared is not None:
        message = f"Its usernames meet {theirs}: {shared!r} would name a user of each."
        yield Problem((*at, "username_prefix"), message)


def _shared_username(one: Population, other: Population) -> str | None:
    """A username both populations give, when ``other``'s prefix is ``one``'s with digits
    added (only then can they meet), else None. ``other``'s first username, its prefix and
    ``0``, is the smallest number ``one`` could read in any of them, so it decides."""
    if one.username_prefix is None or other.username_prefix is None:
        return None
    mine, theirs = one.username_prefix.lower(), other.username_prefix.lower()
    added = theirs.removeprefix(mine)
    if not theirs.startswith(mine) or not (added == "" or added.isdigit()):
        return None
    first = f"{theirs}0"
    return first if one.index_of_username(first) is not None else None


def _clashes(user: User, population: Population) -> Iterator[tuple[str, str, str, int]]:
    """What a user listed one by one shares with a population's: the population's field, the
    user's, the value, and the population's user who has it too."""
    if (n := population.index_of_id(user.id)) is not None:
        yield "first_id", "id", str(user.id), population.first_id + n
    if user.phone is not None and (n := population.index_of_phone(user.phone)) is not None:
        yield "phone_from", "phone", user.phone, population.first_id + n
    name = user.username
    if name is not None and (n := population.index_of_username(handle(name))) is not None:
        yield "username_prefix", "username", repr(name), population.first_id + n
