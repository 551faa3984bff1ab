"""The simulated world as typed models: the world file, and the state the world steps through.

A world file (YAML or JSON, or the ``world`` of ``sandboxLoadWorld``) is a ``WorldDocument``:
users, bots, channels and accounts, each with the settings a test or a demo chooses. The state
kept in Redis is a ``WorldState``: the same entities, plus what happens to them over time (the
clock's offset, the last outbox number). Entities carry their runtime fields too (sessions,
flood bookkeeping), so a document may set those as well. What grows with every message (the
outbox, the index of messages delivered) is kept beside it in Redis (``store.py``).

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
    contacts: list[int] = Field(default_factory=list)  # user ids imported by phone
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
    LoginCodeSent | PostPublished | ContactImported | UserInvited | MessageSent,
    Field(discriminator="type"),
]


class WorldState(Model):
    """The world's document as Redis keeps it: a document's entities and their state.

    Its size follows the entities, not the traffic: the outbox and the index of messages
    delivered are Redis structures of their own beside it (``store.WorldStore``).
    """

    seed: int = 0
    clock_offset: float = 0.0  # the simulated clock is real time plus this
    users: list[User] = Field(default_factory=list)
    bots: list[Bot] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    accounts: list[Account] = Field(default_factory=list)
    # Only in a world stored by an older tghub, which kept them in the document: the store
    # moves them into their own structures on the next step and never writes them here.
    outbox: list[OutboxEntry] = Field(default_factory=list)
    sent: dict[str, int] = Field(default_factory=dict)  # "phone:random_id" → message id
    seq: int = 0  # the last outbox entry's number
