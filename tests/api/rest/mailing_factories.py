"""Builders of the seed-003 (mailing) REST tests: signed-in callers, phones, bodies."""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING, Any

from tests.api.rest.factories import PASSWORD, create_admin, mailing_registration
from tests.conftest import app_client

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

CLIENTS = "/api/v1/clients/"
MAILINGS = "/api/v1/mailing/"
CREATE_MAILING = "/api/v1/mailing/create/"
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
NOT_FOUND = {"detail": "Not found."}
NO_CLIENT = {"detail": "No Client matches the given query."}
NO_MAILING = {"detail": "No Mailing matches the given query."}
REQUIRED = ["This field is required."]
NOT_NULL = ["This field may not be null."]
BLANK = ["This field may not be blank."]
PHONE_MESSAGE = ['The phone number must be in the format: "7XXXXXXXXXX" ']
PHONE_TAKEN = ["client with this phone number already exists."]
WRONG_DATETIME = [
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
]


def fresh_phone(operator: str = "999") -> str:
    """A valid phone nobody in the test has: ``7``, the operator code, seven digits."""
    return f"7{operator}{secrets.randbelow(10**7):07d}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signed_in(http: httpx.AsyncClient) -> dict[str, str]:
    """A new user of the mailing service, registered and signed in at its own routes: the
    header of their access token."""
    body = mailing_registration()
    registered = await http.post("/api/v1/users/register/", json=body)
    assert registered.status_code == 201, registered.text
    pair = await http.post("/api/token/", json=body)
    assert pair.status_code == 200, pair.text
    return bearer(pair.json()["access"])


async def admin_signed_in(http: httpx.AsyncClient, runtime: Runtime) -> dict[str, str]:
    admin = await create_admin(runtime)
    pair = await http.post("/api/token/", json={"username": admin.username, "password": PASSWORD})
    assert pair.status_code == 200, pair.text
    return bearer(pair.json()["access"])


async def new_client(
    http: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    """A client made through ``POST /api/v1/clients/`` (a fresh phone unless one is given)."""
    response = await http.post(
        CLIENTS, json={"phone_number": fresh_phone(), **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def mailing_body(**overrides: Any) -> dict[str, Any]:
    """A valid new mailing; ``overrides`` replace fields (or, as ``...``, drop them)."""
    body: dict[str, Any] = {
        "start_time": "2030-01-01T09:00:00Z",
        "end_time": "2030-01-02T09:00:00Z",
        "message_text": "Hello",
        "filter_params": {"tag": "vip"},
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


async def new_mailing(
    http: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await http.post(CREATE_MAILING, json=mailing_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


@contextlib.asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the ``mailing`` group open to anonymous callers."""
    async with app_client(settings.model_copy(update={"legacy_open": ["mailing"]})) as client:
        yield client
