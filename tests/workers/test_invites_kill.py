"""An invite campaign of 400 phones through real `tghub worker` processes and three accounts:
the worker running it is killed (SIGKILL) well into it, with requests claimed and some people
already invited and messaged whose log rows were never written; a new worker finishes it, and
everyone is invited once, messaged once and logged once, and each account's quota counts its
real invites."""

from __future__ import annotations

import logging
import signal
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from domain.invites.model import InviteRequest
from domain.telegram import service as telegram
from domain.telegram.model import TelegramAccount
from tests.conftest import DEADLINE
from tests.integration.invites.scene import (
    ACCOUNT_IDS,
    ACCOUNT_PHONES,
    ADMIN,
    CHANNEL,
    CHANNEL_ID,
    INVITE_HASH,
    configure,
    inviting_accounts,
    load,
    logs,
    members,
    outbox,
    queue,
    world,
)
from tests.processes import killed_if, start_worker, stop, while_progressing

if TYPE_CHECKING:
    import subprocess
    import uuid
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from domain.bootstrap import Runtime

# Beyond the suite's default: two workers and 400 people on a machine that may be loaded. A
# stuck dispatch fails sooner, at STALLED.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

log = logging.getLogger(__name__)

PHONES = 400
ACCOUNTS = 3
# Person n (from 0) of the population: Telegram id FIRST_USER + n, phone PHONE_FROM + n.
FIRST_USER = 8_000_001
PHONE_FROM = 79995000000
# Log rows written before the first worker is killed: well into the campaign.
KILL_AFTER = 100
# Each account's daily quota: any one of them could invite everyone.
QUOTA = PHONES
# A message's answer takes this long after Telegram delivered it: the window in which a
# worker has invited and messaged someone and not yet written the log row, where the kill
# should land.
SEND_LATENCY = 0.05
# Seconds without a new log row, while the test waits for one, that fail it: a loaded
# machine invites slowly, a stuck dispatch not at all (a worker takes some seconds to start,
# and what a dead one held lapses after a few).
STALLED = DEADLINE
POLL = 0.1
# No pauses come from the settings; what a dead worker holds lapses within seconds (its
# dispatch lease and its claims after 3 s) and a new pass is tried every second.
FAST = {
    "invite_tick": "1",
    "invite_claim_seconds": "3",
    "invite_lease_ttl": "3",
    "invite_poll_interval": "0.2",
}


def phone(n: int) -> str:
    return f"+{PHONE_FROM + n}"


def campaign_world() -> dict[str, Any]:
    """PHONES people (a population: one rule, whatever their number) who accept invites from
    everybody, and ACCOUNTS accounts, each an admin of the channel who may invite."""
    return {
        "seed": 11,
        "populations": [
            {"first_id": FIRST_USER, "count": PHONES, "phone_from": phone(0), "first_name": "P"}
        ],
        "channels": [
            {
                "id": CHANNEL_ID,
                "username": CHANNEL,
                "title": "Invites",
                "invite_hash": INVITE_HASH,
                "admins": [{"id": a, "invite_users": True} for a in ACCOUNT_IDS[:ACCOUNTS]],
            }
        ],
        "accounts": [
            {
                "id": ACCOUNT_IDS[i],
                "phone": ACCOUNT_PHONES[i],
                "code": "12345",
                "latency": {"send_message": SEND_LATENCY},
            }
            for i in range(ACCOUNTS)
        ],
    }


async def give_quotas(runtime: Runtime, account_ids: list[uuid.UUID]) -> None:
    for account_id in account_ids:
        async with runtime.uow() as uow:
            await telegram.set_invite_quota(uow, actor=ADMIN, account_id=account_id, quota=QUOTA)


async def queue_everyone(runtime: Runtime) -> None:
    """One webhook-sized batch through the service, as ``POST /webhook`` queues it."""
    accepted = await queue(runtime, *(phone(n) for n in range(PHONES)))
    assert (len(accepted.queued), accepted.waiting, accepted.problems) == (PHONES, [], {})


async def logged(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        query = (
            select(func.count())
            .select_from(InviteRequest)
            .where(InviteRequest.done_at.is_not(None))
        )
        return int(await uow.session.scalar(query) or 0)


async def claimed(runtime: Runtime) -> int:
    """Requests waiting under a claim (bound to an account until a deadline): what a pass is
    working on, or what a dead one left."""
    async with runtime.uow() as uow:
        query = select(func.count()).where(
            InviteRequest.done_at.is_(None), InviteRequest.claimed_until.is_not(None)
        )
        return int(await uow.session.scalar(query) or 0)


async def queue_empty(runtime: Runtime) -> bool:
    async with runtime.uow() as uow:
        query = select(func.count()).where(InviteRequest.done_at.is_(None))
        return not await uow.session.scalar(query)


async def invited_unlogged(runtime: Runtime) -> int:
    """People Telegram has invited whose request has no log row yet (every request of this
    campaign ends invited). Telegram is read first: an invite logged in between counts as
    logged, so more than 0 means someone invited is still unlogged at the second read."""
    invited = len(outbox(await world(runtime), "invite"))
    return invited - await logged(runtime)


async def quotas_used(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        accounts = (await uow.session.scalars(select(TelegramAccount))).all()
    return sum(a.invite_quota - a.invites_left for a in accounts)


async def while_inviting(
    runtime: Runtime, done: Callable[[], Awaitable[bool]], log_file: Path
) -> None:
    """Wait until ``done()``; fail, with the workers' log, when no log row was written for
    STALLED seconds meanwhile."""
    await while_progressing(
        done, lambda: logged(runtime), log_file, stalled=STALLED, what="invite logged", poll=POLL
    )


def start(runtime: Runtime, log_file: Path) -> subprocess.Popen[bytes]:
    return start_worker(runtime.settings, log_file, **FAST)


async def test_a_worker_killed_mid_campaign_leaves_the_rest_to_the_next_each_invited_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    began = time.monotonic()
    await load(runtime, campaign_world())
    account_ids = await inviting_accounts(runtime, ACCOUNTS)
    await give_quotas(runtime, account_ids)
    await configure(runtime, invite_and_message=True)
    await queue_everyone(runtime)
    log_file = tmp_path / "workers.log"
    ready = time.monotonic()

    async def in_the_window() -> bool:
        # Well into the campaign, killed while it holds requests claimed and someone invited
        # whose log row is not written yet (likely, as a message takes SEND_LATENCY to
        # answer), both read while it is frozen.
        done = await logged(runtime)
        if done == PHONES:
            pytest.fail("the campaign ended before the worker could be killed in it")
        return done >= KILL_AFTER and await killed_if(first, holding_unfinished_work)

    async def holding_unfinished_work() -> bool:
        return await claimed(runtime) > 0 and await invited_unlogged(runtime) > 0

    first = start(runtime, log_file)
    try:
        await while_inviting(runtime, in_the_window, log_file)
    finally:
        stop(first, signal.SIGKILL)
    killed = time.monotonic()
    at_kill, claims_left = await logged(runtime), await claimed(runtime)
    unlogged = await invited_unlogged(runtime)
    log.info(
        "killed at %d logged: %d claims left, %d invited without a log row",
        at_kill,
        claims_left,
        unlogged,
    )
    # Killed well into the campaign, with phones still to go and some claimed by it.
    assert KILL_AFTER <= at_kill < PHONES
    assert claims_left > 0
    assert unlogged > 0

    second = start(runtime, log_file)
    try:
        await while_inviting(runtime, lambda: queue_empty(runtime), log_file)
    finally:
        stop(second)
    log.info(
        "set up in %.1f s, killed after %.1f s, finished %.1f s later",
        ready - began,
        killed - ready,
        time.monotonic() - killed,
    )

    # One log row per phone, each an invite, none left claimed.
    rows = await logs(runtime)
    assert Counter(row.phone for row in rows) == {phone(n): 1 for n in range(PHONES)}
    assert {row.status.value for row in rows} == {"invited"}
    assert await claimed(runtime) == 0
    # Telegram's side: everyone invited once, messaged once (the link as well, as the
    # settings ask), a member; no temporary contact left behind.
    everyone = {FIRST_USER + n: 1 for n in range(PHONES)}
    snapshot = await world(runtime)
    invites, messages = outbox(snapshot, "invite"), outbox(snapshot, "message")
    assert Counter(entry["user_id"] for entry in invites) == everyone
    assert Counter(entry["user_id"] for entry in messages) == everyone
    assert {entry["text"] for entry in messages} == {f"Join us: https://t.me/+{INVITE_HASH}"}
    assert sorted(members(snapshot)) == sorted(everyone)
    assert all(account["contacts"] == [] for account in snapshot["accounts"])
    # Each through the account its log row names (a resend goes through the one that tried).
    by_phone = {row.phone: row.account_name for row in rows}
    for entry in invites + messages:
        assert entry["account"] == by_phone[phone(entry["user_id"] - FIRST_USER)]
    # The quotas counted the real invites, each once.
    assert await quotas_used(runtime) == PHONES
