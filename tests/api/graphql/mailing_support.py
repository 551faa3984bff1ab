"""Helpers of the mailing GraphQL tests: signed-in users and an admin calling the real API,
their clients and mailings made through it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.api.graphql.factories import login, register_and_login
from tests.api.graphql.tracking_support import Caller, gid
from tests.api.rest.factories import PASSWORD, create_admin

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime

START = datetime(2030, 1, 1, 9, tzinfo=UTC)
PHONE_MESSAGE = 'The phone number must be in the format: "7XXXXXXXXXX" '


class Owner(Caller):
    """A signed-in caller who owns a workspace, with their User global ID."""

    def __init__(self, http: httpx.AsyncClient, token: str, user_id: str) -> None:
        super().__init__(http, token)
        self.user_id = uuid.UUID(user_id)
        self.id = gid("User", user_id)

    async def mailing_client(self, phone: str, **fields: Any) -> dict[str, Any]:
        payload = await self.succeeded("CreateMailingClient", phoneNumber=phone, **fields)
        found: dict[str, Any] = payload["mailingClient"]
        return found

    async def mailing(
        self,
        *,
        start: datetime = START,
        hours: float = 1,
        text: str = "Hello",
        filter: dict[str, Any] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        payload = await self.succeeded(
            "CreateMailing",
            startTime=start.isoformat(),
            endTime=(start + timedelta(hours=hours)).isoformat(),
            messageText=text,
            filter={"tag": "vip"} if filter is None else filter,
            **fields,
        )
        found: dict[str, Any] = payload["mailing"]
        return found


async def user(http: httpx.AsyncClient, username: str) -> Owner:
    tokens = await register_and_login(http, username)
    return Owner(http, tokens.access, tokens.user_id)


async def admin(runtime: Runtime, http: httpx.AsyncClient) -> Owner:
    made = await create_admin(runtime)
    tokens = await login(http, made.username, PASSWORD)
    return Owner(http, tokens.access, tokens.user_id)


def ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["id"] for node in nodes]
