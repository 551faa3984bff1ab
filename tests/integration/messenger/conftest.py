"""The messenger service tests' hub and people: a creator, two members and a stranger."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.messenger.factories import Hub, new_user

if TYPE_CHECKING:
    from domain.accounts.model import User
    from domain.bootstrap import Runtime


@pytest.fixture
def hub(runtime: Runtime) -> Hub:
    return Hub(runtime)


@pytest.fixture
async def ivan(hub: Hub) -> User:
    return await new_user(hub, username="ivan", first_name="Ivan", last_name="Petrov")


@pytest.fixture
async def olga(hub: Hub) -> User:
    return await new_user(hub, username="olga", first_name="Olga", last_name="Smirnova")


@pytest.fixture
async def petr(hub: Hub) -> User:
    return await new_user(hub, username="petr", first_name="Petr", last_name="Ivanov")


@pytest.fixture
async def stranger(hub: Hub) -> User:
    return await new_user(hub, username="stranger", first_name="Anna", last_name="Volkova")
