"""The messenger tests' people: each a registered, logged-in user."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.api.graphql.test_messenger_support import Person, person

if TYPE_CHECKING:
    import httpx


@pytest.fixture
async def ivan(http: httpx.AsyncClient) -> Person:
    return await person(http, "ivan")


@pytest.fixture
async def olga(http: httpx.AsyncClient) -> Person:
    return await person(http, "olga")


@pytest.fixture
async def petr(http: httpx.AsyncClient) -> Person:
    return await person(http, "petr")
