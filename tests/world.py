"""A small simulated Telegram for tests, and helpers that drive accounts through real jobs."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from domain.access import System
from domain.jobs.model import Job
from domain.telegram import service as telegram
from domain.telegram.model import AccountCredentials, AccountStatus, TelegramAccount
from tests import canaries
from workers.main import create_worker

if TYPE_CHECKING:
    import uuid

    from domain.adapters.simulated.store import WorldStore
    from domain.adapters.telegram.simulated import SimulatedGateway
    from domain.bootstrap import Runtime

SYSTEM = System("tests")

API_HASH = canaries.API_HASH
BOT_TOKEN = canaries.BOT_TOKEN
ACCOUNT_PHONE = "+79990000100"
WORLD: dict[str, Any] = {
    "seed": 7,
    "users": [
        {"id": 1001, "phone": "+79990000001", "username": "ivan_test", "first_name": "Ivan"},
        {
            "id": 1002,
            "phone": "+79990000002",
            "username": "maria_test",
            "privacy": {"invites": "contacts", "status": "contacts"},
        },
        {
            "id": 1003,
            "phone": "+79990000003",
            "username": "oleg_test",
            "privacy": {"invites": "nobody", "status": "nobody"},
        },
    ],
    "bots": [{"id": 5001, "token": BOT_TOKEN, "username": "test_bot"}],
    "channels": [
        {
            "id": -1001234567890,
            "username": "test_channel",
            "title": "Test",
            "invite_hash": "AbCdEf",
            "admins": [
                {"bot": "test_bot", "post_messages": True},
                {"id": 9001, "invite_users": True},
            ],
            "members": [1001],
            "posts": [{"id": 1, "text": "hi", "views": 10}],
        },
    ],
    "accounts": [{"id": 9001, "phone": ACCOUNT_PHONE, "code": "12345", "password": None}],
}


def world(**account_overrides: Any) -> dict[str, Any]:
    document = copy.deepcopy(WORLD)
    document["accounts"][0].update(account_overrides)
    return document


async def load_world(runtime: Runtime, document: dict[str, Any] | None = None) -> None:
    assert runtime.sandbox is not None
    await runtime.sandbox.load_world(document or world(), merge=False)


async def run_jobs(runtime: Runtime, **overrides: Any) -> None:
    """A burst ARQ worker in this process: runs what is queued (and deferred), then returns.
    Without the cron table: a scheduled job falling due during the burst (the bots' hourly
    check at the top of an hour) would run beside what the test queued and change its
    outcome."""
    settings = {"cron_jobs": [], **overrides}
    worker = create_worker(runtime.settings, runtime, burst=True, handle_signals=False, **settings)
    try:
        await worker.main()
    finally:
        await worker.close()


async def signed_in_account(runtime: Runtime, phone: str = ACCOUNT_PHONE) -> uuid.UUID:
    """An account added, sent a code and signed in, through the real jobs."""
    async with runtime.uow() as uow:
        account = await telegram.add_account(
            uow, runtime.secrets, actor=SYSTEM, phone=phone, api_id=12345, api_hash=API_HASH
        )
    await sign_in(runtime, account.id)
    return account.id


async def sign_in(runtime: Runtime, account_id: uuid.UUID) -> None:
    """Sends the account a code and signs it in with the world's code, through the jobs."""
    async with runtime.uow() as uow:
        await telegram.request_login_code(uow, account_id=account_id, actor=SYSTEM)
    await run_jobs(runtime)
    async with runtime.uow() as uow:
        await telegram.submit_login(
            uow,
            runtime.secrets,
            account_id=account_id,
            code="12345",
            password=None,
            actor=SYSTEM,
        )
    await run_jobs(runtime)
    async with runtime.uow() as uow:
        stored = await uow.session.get(TelegramAccount, account_id)
        assert stored is not None
        failures = [(j.kind, j.status, j.error) for j in (await uow.session.scalars(select(Job)))]
        assert stored.status is AccountStatus.ACTIVE, failures


async def signed_in_credentials(gateway: SimulatedGateway) -> AccountCredentials:
    """The world's account (``ACCOUNT_PHONE``) signed in straight through the gateway (no
    database row, no job): the credentials a verb takes."""
    fresh = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH)
    code = await gateway.send_login_code(fresh)
    pending = AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=code.session)
    signed = await gateway.sign_in(pending, code="12345", phone_code_hash=code.phone_code_hash)
    return AccountCredentials(ACCOUNT_PHONE, 1, API_HASH, session=signed.session)


async def stored_document(store: WorldStore) -> dict[str, Any]:
    """The world document as Redis holds it."""
    stored: dict[str, Any] = json.loads(await store.redis.get(store.key) or b"{}")
    return stored


async def stored_set(store: WorldStore, key: str) -> set[str]:
    """A Redis set the store keeps beside the document (contacts, members)."""
    members = await store.redis.smembers(key)  # type: ignore[misc]
    return {member.decode() for member in members}
