"""A mailing to 2,000 clients through real `tghub worker` processes: the one sending it is
killed (SIGKILL) well into it, a new one finishes it, and every client gets the message once,
although the dead worker left deliveries claimed, some of them already delivered."""

from __future__ import annotations

import logging
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from domain.mailing import rules
from domain.mailing import service as mailing
from domain.mailing.model import Client, Delivery, DeliveryStatus, Mailing
from domain.telegram.model import TelegramAccount
from tests.conftest import DEADLINE
from tests.integration.mailing.dispatch_scene import (
    FIRST_USER,
    load,
    messages,
    phone,
    recipients_world,
    sending_accounts,
)
from tests.integration.mailing.scene import user
from tests.processes import killed_if, start_worker, stop, while_progressing

if TYPE_CHECKING:
    import subprocess
    import uuid
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from domain.accounts.service import Viewer
    from domain.bootstrap import Runtime

# Beyond the suite's default: two workers, 2,000 messages, on a machine that may be loaded. A
# stuck dispatch fails sooner, at STALLED.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

log = logging.getLogger(__name__)

RECIPIENTS = 2_000
TEXT = "Spring sale!"
# Deliveries recorded sent before the first worker is killed: well into the mailing.
KILL_AFTER = 200
# Seconds without a delivery recorded sent, while the test waits for one, that fail it: a
# loaded machine sends slowly, a stuck dispatch not at all. (A claimed batch's sends are
# recorded together, and a worker takes some seconds to start.)
STALLED = DEADLINE
POLL = 0.1
# No pacing; what a dead worker holds lapses within seconds (its dispatch lease and its claims
# after 3 s) and a new pass is tried every second.
FAST = {
    "mailing_pacing": "0",
    "mailing_claim_batch": "50",
    "mailing_claim_seconds": "3",
    "mailing_lease_ttl": "3",
    "mailing_tick": "1",
    "mailing_poll_interval": "0.2",
}


async def add_clients(runtime: Runtime, owner: Viewer) -> None:
    """Clients 1…RECIPIENTS of ``owner``, client n with recipient n's phone: a CSV file
    imported through the service (one batched insert)."""
    rows = "".join(f"{phone(n)},all\n" for n in range(1, RECIPIENTS + 1))
    async with runtime.uow() as uow:
        report = await mailing.import_clients(
            uow, actor=owner, content=f"phone_number,tag\n{rows}".encode()
        )
    assert (report.imported, report.problems) == (RECIPIENTS, [])


async def open_mailing(runtime: Runtime, owner: Viewer) -> int:
    """A mailing to every client, its window open now: the workers use the real clock."""
    now = datetime.now(UTC)
    async with runtime.uow() as uow:
        made = await mailing.create_mailing(
            uow,
            actor=owner,
            start_time=now - timedelta(minutes=1),
            end_time=now + timedelta(hours=1),
            message_text=TEXT,
            filter_params={"tag": "all"},
        )
    return made.id


async def by_status(runtime: Runtime, mailing_id: int) -> Counter[str]:
    async with runtime.uow() as uow:
        query = (
            select(Delivery.status, func.count())
            .where(Delivery.mailing_id == mailing_id)
            .group_by(Delivery.status)
        )
        rows = (await uow.session.execute(query)).all()
    return Counter({DeliveryStatus(status).value: count for status, count in rows})


async def left_claimed(runtime: Runtime, mailing_id: int) -> int:
    """Pending deliveries bound to an account: claims that no pass recorded or gave back (a
    pass that ends does one or the other with each of its claims)."""
    async with runtime.uow() as uow:
        query = select(func.count()).where(
            Delivery.mailing_id == mailing_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.account_id.is_not(None),
        )
        return int(await uow.session.scalar(query) or 0)


async def finished(runtime: Runtime, mailing_id: int) -> bool:
    async with runtime.uow() as uow:
        found = await uow.session.get(Mailing, mailing_id)
    assert found is not None
    return found.finished_at is not None


async def deliveries(runtime: Runtime, mailing_id: int) -> list[Delivery]:
    async with runtime.uow() as uow:
        query = select(Delivery).where(Delivery.mailing_id == mailing_id)
        return list((await uow.session.execute(query)).scalars())


async def account_phones(runtime: Runtime) -> dict[uuid.UUID, str]:
    async with runtime.uow() as uow:
        return {a.id: a.phone for a in await uow.session.scalars(select(TelegramAccount))}


async def client_count(runtime: Runtime, owner: Viewer) -> int:
    async with runtime.uow() as uow:
        query = select(func.count()).where(Client.owner_id == owner.user.id)
        return int(await uow.session.scalar(query) or 0)


async def while_sending(
    runtime: Runtime, mailing_id: int, done: Callable[[], Awaitable[bool]], log_file: Path
) -> None:
    """Wait until ``done()``; fail, with the workers' log, when no delivery was recorded sent
    for STALLED seconds meanwhile."""

    async def sent() -> int:
        return (await by_status(runtime, mailing_id))["sent"]

    await while_progressing(done, sent, log_file, stalled=STALLED, what="delivery sent", poll=POLL)


def start(runtime: Runtime, log_file: Path) -> subprocess.Popen[bytes]:
    return start_worker(runtime.settings, log_file, **FAST)


async def test_a_worker_killed_mid_mailing_leaves_the_rest_to_the_next_sent_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    began = time.monotonic()
    await load(runtime, recipients_world(RECIPIENTS, accounts=2, population=True))
    await sending_accounts(runtime, 2)
    owner = await user(runtime)
    await add_clients(runtime, owner)
    assert await client_count(runtime, owner) == RECIPIENTS
    mailing_id = await open_mailing(runtime, owner)
    log_file = tmp_path / "workers.log"
    ready = time.monotonic()

    async def holding_claims() -> bool:
        return await left_claimed(runtime, mailing_id) > 0

    async def killed_well_under_way() -> bool:
        # Killed while it holds claims (between two batches it holds none, and the crash
        # would test nothing).
        counts = await by_status(runtime, mailing_id)
        under_way = counts["sent"] >= KILL_AFTER and counts["pending"] > 0
        return under_way and await killed_if(first, holding_claims)

    first = start(runtime, log_file)
    try:
        await while_sending(runtime, mailing_id, killed_well_under_way, log_file)
    finally:
        stop(first, signal.SIGKILL)
    killed = time.monotonic()
    at_kill = await by_status(runtime, mailing_id)
    claims_left = await left_claimed(runtime, mailing_id)
    out_at_kill = len(await messages(runtime))
    log.info(
        "killed at %s: %d messages out, %d claims left",
        dict(at_kill),
        out_at_kill,
        claims_left,
    )
    # Killed well into the mailing, with messages still to go and some claimed by it. (Out
    # beyond those recorded: sent by the dead worker, not recorded; they go again, once.)
    assert sum(at_kill.values()) == RECIPIENTS
    assert KILL_AFTER <= at_kill["sent"] < RECIPIENTS
    assert at_kill["pending"] == RECIPIENTS - at_kill["sent"]
    assert claims_left > 0
    assert at_kill["sent"] <= out_at_kill < RECIPIENTS

    second = start(runtime, log_file)
    try:
        await while_sending(runtime, mailing_id, lambda: finished(runtime, mailing_id), log_file)
    finally:
        stop(second)
    log.info(
        "set up in %.1f s, killed after %.1f s, finished %.1f s later",
        ready - began,
        killed - ready,
        time.monotonic() - killed,
    )

    # Every delivery sent through an account; every recipient messaged once, no one else.
    found = await deliveries(runtime, mailing_id)
    assert Counter(d.status.value for d in found) == {"sent": RECIPIENTS}
    assert all(d.account_id is not None for d in found)
    delivered = await messages(runtime)
    assert len(delivered) == RECIPIENTS
    assert {m["user_id"] for m in delivered} == set(range(FIRST_USER, FIRST_USER + RECIPIENTS))
    assert {m["text"] for m in delivered} == {TEXT}
    # And each message is its delivery's: under its random_id, to its client, through the
    # account the delivery names.
    phones = await account_phones(runtime)
    recipient = {phone(n): FIRST_USER + n - 1 for n in range(1, RECIPIENTS + 1)}
    by_random_id = {m["random_id"]: m for m in delivered}
    assert len(by_random_id) == RECIPIENTS
    for delivery in found:
        message = by_random_id[str(rules.random_id(delivery.id))]
        assert message["user_id"] == recipient[delivery.phone_number]
        assert delivery.account_id is not None
        assert message["account"] == phones[delivery.account_id]
    # The sent index (what Telegram recognises a resend by) agrees: one entry per message.
    assert runtime.sandbox is not None
    assert len((await runtime.sandbox.world())["sent"]) == RECIPIENTS
