"""Helpers of the tracking GraphQL tests: an admin (and a plain user) calling the real API,
and things arranged through the tracking service as tghub itself (``SYSTEM``)."""

from __future__ import annotations

import itertools
import secrets
from typing import TYPE_CHECKING, Any

from strawberry.relay import GlobalID

from domain.tracking import service as tracking
from tests.api.graphql.factories import error_codes, login, register_and_login
from tests.api.rest.factories import PASSWORD, create_admin
from tests.conftest import graphql
from tests.world import SYSTEM

if TYPE_CHECKING:
    from datetime import datetime

    import httpx

    from domain.bootstrap import Runtime

_numbers = itertools.count(1)


def gid(type_name: str, key: object) -> str:
    return str(GlobalID(type_name, str(key)))


def raw(global_id: str) -> int:
    return int(GlobalID.from_id(global_id).node_id)


def fresh_telegram_id() -> int:
    return 10**12 + secrets.randbelow(10**15)


def fresh_phone() -> str:
    return f"+7998{secrets.randbelow(10**7):07d}"


def api_credentials() -> dict[str, Any]:
    return {"apiId": 1000 + next(_numbers), "apiHash": secrets.token_hex(16)}


class Caller:
    """One caller of the API (an admin, a plain user, or nobody), keeping every body."""

    def __init__(self, http: httpx.AsyncClient, token: str | None) -> None:
        self.http = http
        self.token = token
        self.bodies: list[dict[str, Any]] = []

    async def call(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await graphql(self.http, name, variables, token=self.token)
        self.bodies.append(body)
        return body

    async def mutate(self, name: str, **input: Any) -> dict[str, Any]:
        """The payload of mutation ``name``; a call refused as a whole is
        ``{"refused": [codes]}``."""
        body = await self.call(name, {"input": input})
        if body.get("data") is None:
            return {"refused": error_codes(body)}
        assert "errors" not in body, body
        payload: dict[str, Any] = body["data"][name[0].lower() + name[1:]]
        return payload

    async def succeeded(self, name: str, **input: Any) -> dict[str, Any]:
        payload = await self.mutate(name, **input)
        assert payload.get("__typename") == f"{name}Success", payload
        return payload

    async def query(self, name: str, **variables: Any) -> Any:
        """The data of query ``name``; fails on errors."""
        body = await self.call(name, variables)
        assert "errors" not in body, body
        [value] = body["data"].values()
        return value

    async def nodes(self, name: str, **variables: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await self.query(name, first=100, **variables))["nodes"]
        return found

    async def refused(self, name: str, **variables: Any) -> tuple[list[str | None], list[str]]:
        """The codes and messages of a query refused with errors."""
        body = await self.call(name, variables)
        assert body.get("errors"), body
        return error_codes(body), [error["message"] for error in body["errors"]]

    # --- arranged through the API -------------------------------------------------------

    async def tracker(self, **overrides: Any) -> dict[str, Any]:
        fields = {"telegramId": str(fresh_telegram_id()), **api_credentials(), **overrides}
        tracker: dict[str, Any] = (await self.succeeded("CreateTracker", **fields))["tracker"]
        return tracker

    async def ready_tracker(self, max_users: int = 10, **overrides: Any) -> dict[str, Any]:
        """An active, authorised tracker with a setting of ``max_users`` slots."""
        tracker = await self.tracker(isActive=True, isAuth=True, **overrides)
        created = await self.succeeded(
            "CreateTrackerSetting",
            trackerId=tracker["id"],
            phoneNumber=fresh_phone(),
            maxUsers=max_users,
        )
        ready: dict[str, Any] = created["tracker"]
        return ready

    async def client(self, **overrides: Any) -> dict[str, Any]:
        fields = {"telegramId": str(fresh_telegram_id()), **overrides}
        client: dict[str, Any] = (await self.succeeded("CreateTrackingClient", **fields))["client"]
        return client

    async def tracked(self, client: dict[str, Any], username: str, **fields: Any) -> dict[str, Any]:
        payload = await self.succeeded(
            "CreateTrackedUser", clientId=client["id"], username=username, **fields
        )
        tracked: dict[str, Any] = payload["trackedUser"]
        return tracked


async def admin_caller(runtime: Runtime, http: httpx.AsyncClient) -> Caller:
    """A signed-in admin (each test module's ``admin`` fixture)."""
    user = await create_admin(runtime)
    return Caller(http, (await login(http, user.username, PASSWORD)).access)


async def user_caller(http: httpx.AsyncClient) -> Caller:
    """A signed-in user who is no admin."""
    return Caller(http, (await register_and_login(http, "ivan")).access)


def field_errors(payload: dict[str, Any]) -> dict[str, list[str]]:
    assert payload["__typename"] == "ValidationError", payload
    assert payload["code"] == "invalid"
    return {error["field"]: error["messages"] for error in payload["fields"]}


async def record(runtime: Runtime, *changes: tuple[str, bool | None, datetime]) -> int:
    """Status changes of tracked users (by global ID) recorded as tghub's listener does."""
    async with runtime.uow() as uow:
        return await tracking.record_statuses(
            uow,
            actor=SYSTEM,
            changes=[
                tracking.StatusChange(raw(tracked_id), online, at)
                for tracked_id, online, at in changes
            ],
        )
