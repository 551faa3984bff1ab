"""The simulated world as typed models: the world file, and the state the world steps through.

A world file (YAML or JSON, or the ``world`` of ``sandboxLoadWorld``) is a ``WorldDocument``:
users, populations (users by a rule), bots, channels and accounts, each with the settings a
test or a demo chooses. The state kept in Redis is a ``WorldState``: the same entities, plus
what happens to them over time (the clock's offset, the last outbox number, the statuses the
sandbox set for population users). Entities carry their runtime fields too (sessions, flood
bookkeeping), so a document may set those as well. What grows with every message (the outbox,
the index of messages delivered, the accounts' contacts) is kept beside it in Redis
(``store.py``).

Every model forbids keys it does not know: a misspelt setting is an error, never a setting
silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain.errors import Invalid
from domain.telegram.rules import normalize_phone

# Who may see a user's status or invite them (Telegram's privacy settings).
Audience = Literal["everybody", "contacts", "nobody"]
# The account methods the world counts calls of, for flood limits.
FloodMethod = Literal[
    "send_login_code",
    "user_statuses",
    "updates",
    "import_phone",
    "delete_contact",
    "invite_to_channel",
    "export_invite_link",
    "send_message",
    "open_invite",
]
# The bot methods the world counts calls of, for flood limits.
BotFloodMethod = Literal["post_markdown"]
# The methods that answer after an account's configured latency.
SlowMethod = Literal["invite_to_channel", "send_message"]
# The kinds of formatting a post's text carries, as Telegram's MessageEntity constructors name
# them (messageEntityBold is "bold"); Telethon's Markdown makes these.
EntityType = Literal["bold", "italic", "strike", "code", "pre", "text_url", "mention_name"]


def handle(name: str) -> str:
    """A username as lookups compare it: without ``@``, in lower case."""
    return name.removeprefix("@").lower()


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except Invalid as exc:
        reason = " ".join(exc.field_errors["phone"])
        raise PydanticCustomError("phone", "{reason}", {"reason": reason}) from None


Phone = Annotated[str, AfterValidator(_phone)]


class Entity(Model):
    """Anything a world lists and a merge upserts by ``id``."""

    id: int


class Privacy(Model):
    invites: Audience = "everybody"
    status: Audience = "everybody"


class Schedule(Model):
    """Online ``online_for`` seconds of every ``online_every`` (phased by the seed)."""

    online_every: PositiveInt
    online_for: NonNegativeInt


class User(Entity):
    username: str | None = None
    first_name: str = ""
    last_name: str = ""
    phone: Phone | None = None
    privacy: Privacy = Field(default_factory=Privacy)
    online: bool = False  # ignored while the user follows a schedule
    changed_at: float = 0.0  # when ``online`` last changed (the last seen time offline)
    schedule: Schedule | None = None
    contacts: list[int] = Field(default_factory=list)  # accounts this user has as contacts


class Population(Model):
    """Users given by a rule instead of one by one, so a world of 100,000 people is a few
    bytes: user ``n`` (0 ≤ n < ``count``) has the id ``first_id + n``, the phone ``phone_from``
    plus ``n`` (as a number) and the username ``username_prefix`` followed by ``n``. The world
    makes a user when it looks one up and never stores them; they are offline until the
    sandbox sets their status (kept in ``WorldState.population_statuses``).
    """

    first_id: PositiveInt
    count: PositiveInt
    phone_from: Phone | None = None
    username_prefix: str | None = None
    first_name: str = ""
    last_name: str = ""
    privacy: Privacy = Field(default_factory=Privacy)
    contacts: list[int] = Field(default_factory=list)  # accounts each of them has as a contact

    @property
    def last_id(self) -> int:
        return self.first_id + self.count - 1

    @property
    def phone_base(self) -> int:
        """The first phone as a number (0 without phones)."""
        return 0 if self.phone_from is None else int(self.phone_from.removeprefix("+"))

    @property
    def last_phone(self) -> str | None:
        return None if self.phone_from is None else f"+{self.phone_base + self.count - 1}"

    def _index(self, offset: int) -> int | None:
        return offset if 0 <= offset < self.count else None

    def index_of_id(self, user_id: int) -> int | None:
        """Which of the population has this id (None: none of them)."""
        return self._index(user_id - self.first_id)

    def index_of_phone(self, phone: str) -> int | None:
        """Which of the population has this (normalised) phone."""
        if self.phone_from is None or phone.startswith("+0"):
            return None
        return self._index(int(phone.removeprefix("+")) - self.phone_base)

    def index_of_username(self, name: str) -> int | None:
        """Which of the population has this username (as ``handle`` gives it: no ``@``, lower
        case). Only the number as written for the user counts: ``user007`` names nobody."""
        if self.username_prefix is None:
            return None
        number = name.removeprefix(self.username_prefix.lower())
        if number == name or not (number.isascii() and number.isdigit()):
            return None
        if len(number) > len(str(self.count)) or number != str(int(number)):
            return None  # longer than any of theirs, or with a leading zero
        return self._index(int(number))

    def user(self, n: int, status: StatusSet | None = None) -> User:
        """The population's user ``n``, with the status the sandbox set, if any."""
        return User(
            id=self.first_id + n,
            username=None if self.username_prefix is None else f"{self.username_prefix}{n}",
            first_name=self.first_name,
            last_name=self.last_name,
            phone=None if self.phone_from is None else f"+{self.phone_base + n}",
            privacy=self.privacy,
            online=False if status is None else status.online,
            changed_at=0.0 if status is None else status.changed_at,
            contacts=self.contacts,
        )


class StatusSet(Model):
    """The status the sandbox set for a population's user (the rest of them stay offline)."""

    online: bool
    changed_at: float


class FloodLimit(Model):
    per_minute: PositiveInt


class Bot(Entity):
    token: str = Field(min_length=1)
    username: str
    first_name: str = ""
    flood: dict[BotFloodMethod, FloodLimit] = Field(default_factory=dict)
    # What Telegram keeps about the bot as it is used; a document may set them too.
    flood_until: float = 0.0
    calls: dict[BotFloodMethod, list[float]] = Field(default_factory=dict)


class Admin(Model):
    """A channel admin: a bot or an account by ``id``, or a bot by ``bot`` (its username).

    Loading a document turns ``bot`` into the bot's ``id``, so the state's admins all have one.
    """

    id: int | None = None
    bot: str | None = None
    post_messages: bool = False
    edit_messages: bool = False
    delete_messages: bool = False
    invite_users: bool = False

    @model_validator(mode="after")
    def _named_once(self) -> Self:
        if self.id is None and self.bot is None:
            raise PydanticCustomError("admin", "An admin needs an id (a bot or account) or a bot.")
        if self.id is not None and self.bot is not None:
            raise PydanticCustomError("admin", "An admin is named by id or by bot, not both.")
        return self

    @model_serializer(mode="wrap")
    def _granted_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Only the name and the rights granted, as a world file writes an admin.
        fields: dict[str, Any] = handler(self)
        return {
            key: value for key, value in fields.items() if value is not None and value is not False
        }


class TextEntity(Model):
    """One formatting span of a post's text, as Telegram stores it: offset and length count
    UTF-16 code units (an emoji outside the BMP counts two)."""

    type: EntityType
    offset: NonNegativeInt
    length: PositiveInt
    url: str | None = None  # text_url
    language: str | None = None  # pre
    user_id: int | None = None  # mention_name

    @model_serializer(mode="wrap")
    def _set_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        fields: dict[str, Any] = handler(self)
        return {key: value for key, value in fields.items() if value is not None}


class Post(Model):
    id: int
    text: str = ""  # the plain text, without Markdown: the formatting is in ``entities``
    entities: list[TextEntity] = Field(default_factory=list)
    views: NonNegativeInt = 0  # views when posted; they grow with the post's age
    date: float | None = None  # epoch seconds; None in a document: loading dates it "now"


class Channel(Entity):
    username: str | None = None
    title: str = ""
    invite_hash: str | None = None
    admins: list[Admin] = Field(default_factory=list)
    members: list[int] = Field(default_factory=list)  # user ids
    posts: list[Post] = Field(default_factory=list)


class Account(Entity):
    """A user account that logs in (with ``code``, and ``password`` for two-step login)."""

    phone: Phone
    code: str = "12345"
    password: str | None = None
    flood: dict[FloodMethod, FloodLimit] = Field(default_factory=dict)
    latency: dict[SlowMethod, NonNegativeFloat] = Field(default_factory=dict)
    # What Telegram keeps about the account as it is used; a document may set them too.
    flood_until: float = 0.0
    peer_flood: bool = False
    sessions: list[str] = Field(default_factory=list)
    code_hash: str | None = None
    pending_session: str | None = None
    # User ids imported by phone. The store keeps them beside the document (``key:contacts``):
    # here only as a document gives them (or an older tghub stored them), until the next step.
    contacts: list[int] = Field(default_factory=list)
    calls: dict[FloodMethod, list[float]] = Field(default_factory=dict)


T = TypeVar("T")


def _none_is_empty(value: object) -> object:
    # ``users:`` with nothing after it is YAML's null: no users, as an empty list.
    return [] if value is None else value


Listed = Annotated[list[T], BeforeValidator(_none_is_empty)]


class WorldDocument(Model):
    """A world file. ``seed`` fixes the demo behaviour's randomness (schedules, views)."""

    seed: int = 0
    users: Listed[User] = Field(default_factory=list)
    populations: Listed[Population] = Field(default_factory=list)
    bots: Listed[Bot] = Field(default_factory=list)
    channels: Listed[Channel] = Field(default_factory=list)
    accounts: Listed[Account] = Field(default_factory=list)


# -- the outbox: everything tghub made Telegram do, in order ------------------------------------


class Recorded(Model):
    seq: int = 0  # stamped when recorded
    type: str
    at: str = ""  # ISO time of the simulated clock, stamped when recorded


class LoginCodeSent(Recorded):
    type: Literal["login_code"] = "login_code"
    phone: str


class PostPublished(Recorded):
    type: Literal["post"] = "post"
    channel_id: int
    message_id: int
    text: str
    by: str  # ``@bot`` or ``sandbox``


class ContactImported(Recorded):
    type: Literal["contact_import"] = "contact_import"
    account: str  # the account's phone
    phone: str
    user_id: int | None  # None: nobody of the world has that phone


class ContactDeleted(Recorded):
    type: Literal["contact_delete"] = "contact_delete"
    account: str  # the account's phone
    user_id: int  # recorded whether or not the user was among the account's contacts


class UserInvited(Recorded):
    type: Literal["invite"] = "invite"
    account: str
    channel_id: int
    user_id: int


class MessageSent(Recorded):
    type: Literal["message"] = "message"
    account: str
    user_id: int
    text: str
    random_id: str  # a string: JSON readers lose digits of a 63-bit integer


OutboxEntry = Annotated[
    LoginCodeSent | PostPublished | ContactImported | ContactDeleted | UserInvited | MessageSent,
    Field(discriminator="type"),
]


class WorldState(Model):
    """The world's document as Redis keeps it: a document's entities and their state.

    Its size follows the entities, not the traffic nor the populations' sizes: the outbox, the
    index of messages delivered and the accounts' contacts are Redis structures of their own
    beside it (``store.WorldStore``).
    """

    seed: int = 0
    clock_offset: float = 0.0  # the simulated clock is real time plus this
    users: list[User] = Field(default_factory=list)
    populations: list[Population] = Field(default_factory=list)
    # Population users whose status the sandbox set, by id: the only ones of them stored.
    population_statuses: dict[int, StatusSet] = Field(default_factory=dict)
    bots: list[Bot] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    # Only in a world stored by an older tghub, which kept them in the document: the store
    # moves them into their own structures on the next step and never writes them here.
    outbox: list[OutboxEntry] = Field(default_factory=list)
    sent: dict[str, int] = Field(default_factory=dict)  # "phone:random_id" → message id
    seq: int = 0  # the last outbox entry's number
