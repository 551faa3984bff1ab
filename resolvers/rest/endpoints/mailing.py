"""Seed 003 (Mailing): registration, simplejwt's token routes, clients and mailings, declared
once (routes, document, answer check).

``create/`` comes before the ``{mailing_id}`` endpoint: a POST there is a new mailing (a GET
reaches the ``{mailing_id}`` endpoint, where a name that is no number is 404). ``/api/token/``
and ``/api/token/refresh/`` are the messenger's login and refresh (the same users, the same
pair).

The bodies are read as DRF's serializers read them: their models below allow keys they do
not name (unknown and read-only fields are ignored).
"""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - pydantic reads the field types at run time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from resolvers.rest import mailing, messenger
from resolvers.rest.contract import (
    LOGIN_LIMITED,
    Answer,
    Detail,
    Endpoint,
    Handler,
    Operation,
    Shape,
    System,
)
from resolvers.rest.endpoints.messenger import Credentials, Refresh, TokenPair

if TYPE_CHECKING:
    from collections.abc import Mapping

WHO = (
    "Any signed-in user (a Bearer token), who sees their own clients and mailings (admins"
    " everyone's); anonymous callers too once the operator opened the mailing group"
    " (TGHUB_LEGACY_OPEN), sharing one workspace. Another's id is 404 as an unknown one."
)
AS_TEXT = "A number is taken as its text."


class RegisteredUser(Shape):
    username: str


class TokenToVerify(BaseModel):
    token: str = Field(description="An access or a refresh token.")


class Verified(Shape):
    """simplejwt's empty answer: the token is live."""


class Client(Shape):
    id: int
    phone_number: str = Field(description="`7` and ten digits.")
    operator_code: str = Field(description="Digits 2 to 4 of the phone.")
    tag: str
    timezone: str = Field(description="An IANA name.")


PHONE = f"`7` and ten digits, unique among your clients. {AS_TEXT}"
TAG = f"Up to 255 characters; may be empty (the default). {AS_TEXT}"
TIMEZONE = "An IANA name such as Europe/Moscow (default UTC)."


class ClientFields(BaseModel):
    """A new client, or all of one (PUT keeps what it is not sent)."""

    phone_number: str = Field(description=PHONE)
    tag: str | None = Field(None, description=TAG)
    timezone: str | None = Field(None, description=TIMEZONE)


class ClientChanges(BaseModel):
    phone_number: str | None = Field(None, description=PHONE)
    tag: str | None = Field(None, description=TAG)
    timezone: str | None = Field(None, description=TIMEZONE)


class MailingFilters(Shape):
    """Which clients receive the mailing: at least one of the two, text or an integer (kept
    and shown exactly as sent)."""

    tag: str | int | None = None
    operator_code: str | int | None = None


class MailingStats(Shape):
    """The mailing's deliveries by status (tghub's addition)."""

    total: int
    pending: int
    sent: int
    failed: int
    expired: int


class Mailing(Shape):
    id: int
    start_time: str = Field(description="ISO 8601 in UTC, written with `Z`.")
    end_time: str = Field(description="ISO 8601 in UTC, written with `Z`.")
    message_text: str
    filter_params: MailingFilters
    stats: MailingStats


DJANGO_TIME = (
    "ISO 8601 as Django reads it (also `2024-03-20 12:00`, or a date alone for its midnight);"
    " without an offset, UTC."
)


class NewMailing(BaseModel):
    start_time: datetime = Field(description=DJANGO_TIME)
    end_time: datetime = Field(description=f"After start_time. {DJANGO_TIME}")
    message_text: str = Field(description="Not blank; the whitespace around it is dropped.")
    filter_params: MailingFilters = Field(description="In a form: its JSON text.")


CLIENT_ID = {"client_id": int}


def endpoints() -> list[Endpoint]:
    return [
        _open(
            "/api/v1/users/register/",
            mailing.register,
            Operation(
                "Register a user",
                (Answer(201, "Registered.", RegisteredUser),),
                auth=(),
                body=Credentials,
                description="Django's username rule: up to 150 letters, digits and `@.+-_`."
                " The same users as the messenger's /api/register/.",
            ),
        ),
        _open(
            "/api/token/",
            messenger.obtain_tokens,
            Operation(
                "Log in: a token pair",
                (
                    Answer(200, "The pair.", TokenPair),
                    Answer(401, "Wrong username or password.", Detail),
                    LOGIN_LIMITED,
                ),
                auth=(),
                body=Credentials,
            ),
        ),
        _open(
            "/api/token/refresh/",
            messenger.refresh_tokens,
            Operation(
                "Rotate a token pair",
                (
                    Answer(
                        200, "A new pair (the original answered the access token only).", TokenPair
                    ),
                    Answer(401, "The token is invalid, expired or revoked.", Detail),
                ),
                auth=(),
                body=Refresh,
            ),
        ),
        _open(
            "/api/token/verify/",
            mailing.verify_token,
            Operation(
                "Check a token",
                (
                    Answer(200, "The token is live.", Verified),
                    Answer(401, "The token is malformed, invalid, expired or revoked.", Detail),
                ),
                auth=(),
                body=TokenToVerify,
            ),
        ),
        Endpoint(
            "/api/v1/clients/",
            mailing.clients,
            {
                "GET": _operation("Your clients, by id", Answer(200, "The clients.", list[Client])),
                "POST": _operation(
                    "Create a client", Answer(201, "Created.", Client), body=ClientFields
                ),
            },
            System.MAILING,
        ),
        Endpoint(
            "/api/v1/clients/{client_id}/",
            mailing.client,
            {
                "GET": _operation("One client", Answer(200, "The client.", Client), path=CLIENT_ID),
                "PUT": _operation(
                    "Change a client (phone_number required)",
                    Answer(200, "The client changed.", Client),
                    body=ClientFields,
                    path=CLIENT_ID,
                ),
                "PATCH": _operation(
                    "Change a client",
                    Answer(200, "The client changed.", Client),
                    body=ClientChanges,
                    path=CLIENT_ID,
                ),
                "DELETE": _operation("Delete a client", Answer(204, "Deleted."), path=CLIENT_ID),
            },
            System.MAILING,
        ),
        Endpoint(
            "/api/v1/mailing/",
            mailing.mailings,
            {
                "GET": _operation(
                    "Your mailings, newest start first",
                    Answer(200, "The mailings.", list[Mailing]),
                )
            },
            System.MAILING,
        ),
        Endpoint(
            "/api/v1/mailing/create/",
            mailing.create_mailing,
            {
                "POST": _operation(
                    "Create a mailing",
                    Answer(201, "Created; it is sent through Telegram from its start.", Mailing),
                    body=NewMailing,
                    description="Every bad field is named at once; only then is the mailing"
                    " checked as a whole (one `non_field_errors` message).",
                )
            },
            System.MAILING,
        ),
        Endpoint(
            "/api/v1/mailing/create/",
            mailing.create_is_no_mailing,
            {
                "GET": _operation(
                    "No mailing is named create",
                    Answer(404, "Always: the original read `create` as an id here.", Detail),
                )
            },
            System.MAILING,
        ),
        Endpoint(
            "/api/v1/mailing/{mailing_id}/",
            mailing.mailing_detail,
            {
                "GET": _operation(
                    "One mailing", Answer(200, "The mailing.", Mailing), path={"mailing_id": int}
                )
            },
            System.MAILING,
        ),
    ]


def _open(path: str, handler: Handler, operation: Operation) -> Endpoint:
    """A route anyone may call (the sign-up and token routes)."""
    return Endpoint(path, handler, {"POST": operation}, System.MAILING)


def _operation(
    summary: str,
    *answers: Answer,
    body: object = None,
    path: Mapping[str, Any] | None = None,
    description: str = "",
) -> Operation:
    """An operation of the clients' and mailings' routes (who may call them: ``WHO``)."""
    return Operation(
        summary,
        answers,
        body=body,
        path=path or {},
        description=f"{description} {WHO}".strip(),
    )
