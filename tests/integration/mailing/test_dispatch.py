"""Mailing dispatch through the simulated Telegram: one message per matching client and none
to others, start at the start, nothing at or after the end, claims that survive a crash
without a duplicate, flood limits that slow a mailing down, cancel, the daytime window."""

from __future__ import annotations

from collections import Counter
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.errors import Conflict
from domain.mailing import repository, rules
from domain.mailing import service as mailing
from domain.telegram import service as telegram
from domain.telegram.model import TelegramAccount
from tests.integration.mailing.dispatch_scene import (
    ACCOUNT_PHONES,
    FIRST_USER,
    NOW,
    deliveries,
    dispatch,
    later,
    load,
    messages,
    phone,
    recipients_world,
    sending_accounts,
    statuses,
)
from tests.integration.mailing.scene import SYSTEM, client, user

if TYPE_CHECKING:
    from datetime import datetime

    from domain.accounts.service import Viewer
    from domain.bootstrap import Runtime
    from domain.mailing.service import Mailing


async def new_mailing(
    runtime: Runtime,
    me: Viewer,
    *,
    start: datetime,
    end: datetime,
    tag: str = "vip",
    text: str = "Sale!",
    daytime: tuple[time, time] | None = None,
) -> Mailing:
    start_of_day, end_of_day = daytime or (None, None)
    async with runtime.uow() as uow:
        return await mailing.create_mailing(
            uow,
            actor=me,
            start_time=start,
            end_time=end,
            message_text=text,
            filter_params={"tag": tag},
            daytime_start=start_of_day,
            daytime_end=end_of_day,
        )


async def finished(runtime: Runtime, me: Viewer, mailing_id: int) -> bool:
    async with runtime.uow() as uow:
        found = await mailing.get_mailing(uow, actor=me, mailing_id=mailing_id)
    return found.finished_at is not None


async def stats(runtime: Runtime, me: Viewer, mailing_id: int) -> repository.Counts:
    async with runtime.uow() as uow:
        return (await mailing.mailing_stats(uow, actor=me, mailing_ids=[mailing_id]))[mailing_id]


async def test_one_message_per_matching_client_and_none_to_others(runtime: Runtime) -> None:
    await load(runtime, recipients_world(4))
    await sending_accounts(runtime)
    me = await user(runtime)
    for n, tag in ((1, "vip"), (2, "vip"), (3, "other"), (4, "vip")):
        await client(runtime, me, phone(n), tag=tag)
    await client(runtime, me, phone(5), tag="vip")  # no Telegram account has this phone
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    run = dispatch(runtime)

    await run.until(lambda: finished(runtime, me, made.id))

    sent = await messages(runtime)
    assert sorted(m["user_id"] for m in sent) == [FIRST_USER, FIRST_USER + 1, FIRST_USER + 3]
    assert {m["text"] for m in sent} == {"Sale!"}
    assert await statuses(runtime, made.id) == {
        phone(1): "sent",
        phone(2): "sent",
        phone(4): "sent",
        phone(5): "failed",
    }
    (failed,) = [d for d in await deliveries(runtime, made.id) if d.status.value == "failed"]
    assert failed.error == rules.NOT_ON_TELEGRAM
    counts = await stats(runtime, me, made.id)
    assert (counts.total, counts.sent, counts.failed, counts.pending) == (4, 3, 1, 0)
    assert counts.first_sent_at is not None
    assert counts.last_sent_at is not None
    assert counts.first_sent_at <= counts.last_sent_at


async def test_a_future_mailing_starts_at_its_start(runtime: Runtime) -> None:
    await load(runtime, recipients_world(2))
    await sending_accounts(runtime)
    me = await user(runtime)
    await client(runtime, me, phone(1), tag="vip")
    made = await new_mailing(runtime, me, start=later(10), end=later(70))
    run = dispatch(runtime)

    await run.run()  # before the start: nothing matched, nothing sent
    assert await deliveries(runtime, made.id) == []
    await client(runtime, me, phone(2), tag="vip")  # matched at the start, so it counts
    await run.advance(10 * 60)
    await run.until(lambda: finished(runtime, me, made.id))

    assert await statuses(runtime, made.id) == {phone(1): "sent", phone(2): "sent"}
    assert len(await messages(runtime)) == 2


async def test_a_past_window_sends_nothing(runtime: Runtime) -> None:
    await load(runtime, recipients_world(2))
    await sending_accounts(runtime)
    me = await user(runtime)
    await client(runtime, me, phone(1), tag="vip")
    made = await new_mailing(runtime, me, start=later(-120), end=later(-60))

    await dispatch(runtime).until(lambda: finished(runtime, me, made.id))

    assert await statuses(runtime, made.id) == {phone(1): "expired"}
    assert await messages(runtime) == []


async def test_nothing_goes_at_or_after_the_end(runtime: Runtime) -> None:
    # The one account may send once a minute: the window closes with two messages to go.
    world = recipients_world(3, flood={"send_message": {"per_minute": 1}})
    await load(runtime, world)
    await sending_accounts(runtime)
    me = await user(runtime)
    for n in (1, 2, 3):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(0.5))
    run = dispatch(runtime)

    await run.until(lambda: _counted(runtime, me, made.id, sent=1))
    await run.advance(60)  # past the end, and past the flood wait
    await run.until(lambda: finished(runtime, me, made.id))

    assert Counter((await statuses(runtime, made.id)).values()) == {"sent": 1, "expired": 2}
    assert len(await messages(runtime)) == 1


async def paused(runtime: Runtime, account_id: Any) -> bool:
    async with runtime.uow() as uow:
        account = await uow.session.get(TelegramAccount, account_id)
        assert account is not None
        return account.paused_until is not None


async def _counted(runtime: Runtime, me: Viewer, mailing_id: int, **wanted: int) -> bool:
    counts = await stats(runtime, me, mailing_id)
    return all(getattr(counts, name) == value for name, value in wanted.items())


async def test_a_resend_after_a_crash_is_delivered_once(runtime: Runtime) -> None:
    """A pass claimed a batch, Telegram delivered it, the pass died before its commit: the
    claims lapse, the next pass sends again through the same account with the same
    random_ids, and Telegram recognises every one."""
    await load(runtime, recipients_world(3, accounts=2))
    first, _ = await sending_accounts(runtime, 2)
    me = await user(runtime)
    for n in (1, 2, 3):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    run = dispatch(runtime, claim_seconds=30.0)
    await run.dispatcher().housekeep()  # started: the deliveries exist
    claimed = await _claim_and_send_without_commit(runtime, run.clock.now(), first)
    assert len(claimed) == 3

    await run.run()  # the claims still hold: nothing is sent twice meanwhile
    assert await _sent_count(runtime, made.id) == 0
    await run.advance(60)  # the dead pass's claims lapse
    await run.until(lambda: finished(runtime, me, made.id))

    sent = await messages(runtime)
    assert sorted(m["user_id"] for m in sent) == [FIRST_USER, FIRST_USER + 1, FIRST_USER + 2]
    assert {d.account_id for d in await deliveries(runtime, made.id)} == {first}


async def _claim_and_send_without_commit(
    runtime: Runtime, now: datetime, account_id: Any, *, limit: int = 10
) -> list[repository.Claimed]:
    from domain.adapters.telegram import build_gateway

    async with runtime.uow() as uow:
        account = await uow.session.get(TelegramAccount, account_id)
        assert account is not None
        creds = telegram.credentials(runtime.secrets, account)
        accounts = await telegram.pool(uow, actor=SYSTEM, use=telegram.AccountUse.MAILINGS)
        pool = [a.id for a in accounts]
        claimed = await repository.claim(
            uow.session,
            account_id=account_id,
            pool=pool,
            now=now,
            until=now + timedelta(seconds=30),
            limit=limit,
        )
        await uow.commit()
    gateway = build_gateway(runtime.settings, runtime)
    for item in claimed:
        user_found = await gateway.import_phone(creds, f"+{item.phone_number}")
        assert user_found is not None
        await gateway.send_message(
            creds, str(user_found.id), item.message_text, random_id=rules.random_id(item.id)
        )
    return claimed


async def _sent_count(runtime: Runtime, mailing_id: int) -> int:
    return sum(d.status.value == "sent" for d in await deliveries(runtime, mailing_id))


async def test_a_resend_cut_short_by_a_flood_wait_stays_with_its_account(
    runtime: Runtime,
) -> None:
    """A dead pass's sends went; the account that made them, claiming them again, is told to
    wait before it sends the first: the rest it gave back must wait for it too, as another
    account's send would be a second message."""
    await load(runtime, recipients_world(3, accounts=2))
    first, _ = await sending_accounts(runtime, 2)
    me = await user(runtime)
    for n in (1, 2, 3):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    run = dispatch(runtime, claim_seconds=30.0)
    await run.dispatcher().housekeep()
    assert len(await _claim_and_send_without_commit(runtime, run.clock.now(), first)) == 3
    await run.advance(60)  # the dead pass's claims lapse
    assert runtime.sandbox is not None
    await runtime.sandbox.set_account_flood(ACCOUNT_PHONES[0], 120)

    # the first account claims them again, and is told to wait
    await run.until(lambda: paused(runtime, first))

    assert Counter((await statuses(runtime, made.id)).values()) == {"pending": 3}
    await run.advance(121)
    await run.until(lambda: finished(runtime, me, made.id))
    sent = await messages(runtime)
    assert sorted(m["user_id"] for m in sent) == [FIRST_USER, FIRST_USER + 1, FIRST_USER + 2]
    assert {d.account_id for d in await deliveries(runtime, made.id)} == {first}


async def test_a_resend_waits_for_its_paused_account_while_the_rest_go(
    runtime: Runtime,
) -> None:
    """A dead pass sent two messages through an account that is paused since: those two wait
    for it (``test_a_delivery_waits_for_its_paused_account``), but only those: the mailing's
    other client goes through another account meanwhile."""
    await load(runtime, recipients_world(3, accounts=2))
    first, second = await sending_accounts(runtime, 2)
    me = await user(runtime)
    for n in (1, 2, 3):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    run = dispatch(runtime, claim_seconds=30.0)
    await run.dispatcher().housekeep()
    dead = await _claim_and_send_without_commit(runtime, run.clock.now(), first, limit=2)
    assert len(dead) == 2
    async with runtime.uow() as uow:
        await telegram.pause_account(
            uow, actor=SYSTEM, account_id=first, until=later(10), reason="FloodWait"
        )
    await run.advance(60)  # the dead pass's claims lapse; the first account is still paused

    async def third_sent() -> bool:
        return (await statuses(runtime, made.id))[phone(3)] == "sent"

    await run.until(third_sent)
    await run.run()

    assert Counter((await statuses(runtime, made.id)).values()) == {"sent": 1, "pending": 2}
    assert [m["user_id"] for m in await messages(runtime)][2:] == [FIRST_USER + 2]
    await run.advance(10 * 60)  # the pause ends
    await run.until(lambda: finished(runtime, me, made.id))
    sent = await messages(runtime)
    assert sorted(m["user_id"] for m in sent) == [FIRST_USER, FIRST_USER + 1, FIRST_USER + 2]
    accounts = {d.phone_number: d.account_id for d in await deliveries(runtime, made.id)}
    assert accounts == {phone(1): first, phone(2): first, phone(3): second}


async def test_a_flood_wait_slows_the_mailing_instead_of_failing_it(runtime: Runtime) -> None:
    await load(runtime, recipients_world(3))
    (account_id,) = await sending_accounts(runtime)
    me = await user(runtime)
    for n in (1, 2, 3):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    assert runtime.sandbox is not None
    await runtime.sandbox.set_account_flood("+79990000100", 120)
    run = dispatch(runtime)

    await run.until(lambda: paused(runtime, account_id))

    assert Counter((await statuses(runtime, made.id)).values()) == {"pending": 3}
    async with runtime.uow() as uow:
        account = await uow.session.get(TelegramAccount, account_id)
        assert account is not None
        assert account.paused_until is not None
        # Telegram's wait, less the real seconds that passed since it was set (a loaded
        # machine takes some).
        assert account.paused_until >= NOW + timedelta(seconds=60)
    await run.run()  # still paused: the account is left alone
    assert await messages(runtime) == []
    await run.advance(121)
    await run.until(lambda: finished(runtime, me, made.id))
    assert Counter((await statuses(runtime, made.id)).values()) == {"sent": 3}


async def test_peer_flood_pauses_the_account_and_another_sends(runtime: Runtime) -> None:
    await load(runtime, recipients_world(3, accounts=2, peer_flood=True))
    flagged, healthy = await sending_accounts(runtime, 2)
    me = await user(runtime)
    for n in (1, 2, 3):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    await _set_uses(runtime, healthy, [])  # first the flagged account alone
    run = dispatch(runtime)

    await run.until(lambda: paused(runtime, flagged))
    assert Counter((await statuses(runtime, made.id)).values()) == {"pending": 3}
    await _set_uses(runtime, healthy, ["mailings"])
    await run.until(lambda: finished(runtime, me, made.id))

    assert Counter((await statuses(runtime, made.id)).values()) == {"sent": 3}
    assert {m["account"] for m in await messages(runtime)} == {"+79990000101"}
    async with runtime.uow() as uow:
        found = await uow.session.get(TelegramAccount, flagged)
        assert found is not None
        assert found.paused_until is not None
        assert found.pause_reason is not None
        assert "PEER_FLOOD" in found.pause_reason
    assert {d.account_id for d in await deliveries(runtime, made.id)} == {healthy}


async def _set_uses(runtime: Runtime, account_id: Any, uses: list[str]) -> None:
    async with runtime.uow() as uow:
        await telegram.set_account_uses(uow, actor=SYSTEM, account_id=account_id, uses=uses)


async def test_cancel_expires_what_is_pending(runtime: Runtime) -> None:
    await load(runtime, recipients_world(2))
    await sending_accounts(runtime)
    me = await user(runtime)
    for n in (1, 2):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    run = dispatch(runtime)
    await run.dispatcher().housekeep()

    async with runtime.uow() as uow:
        cancelled = await mailing.cancel_mailing(uow, actor=me, mailing_id=made.id)
    assert cancelled.cancelled_at is not None
    await run.run()

    assert await statuses(runtime, made.id) == {phone(1): "expired", phone(2): "expired"}
    assert await messages(runtime) == []
    assert {d.error for d in await deliveries(runtime, made.id)} == {rules.CANCELLED}
    async with runtime.uow() as uow:  # again: nothing changes
        again = await mailing.cancel_mailing(uow, actor=me, mailing_id=made.id)
    assert again.cancelled_at == cancelled.cancelled_at


async def test_a_finished_mailing_cannot_be_cancelled(runtime: Runtime) -> None:
    await load(runtime, recipients_world(1))
    await sending_accounts(runtime)
    me = await user(runtime)
    await client(runtime, me, phone(1), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    await dispatch(runtime).until(lambda: finished(runtime, me, made.id))

    async with runtime.uow() as uow:
        with pytest.raises(Conflict):
            await mailing.cancel_mailing(uow, actor=me, mailing_id=made.id)


async def test_the_daytime_window_follows_each_clients_timezone(runtime: Runtime) -> None:
    # 12:00 UTC: daytime in London, 01:00 the next day in Auckland (UTC+13 in March).
    await load(runtime, recipients_world(2))
    await sending_accounts(runtime)
    me = await user(runtime)
    await client(runtime, me, phone(1), tag="vip", timezone="Europe/London")
    await client(runtime, me, phone(2), tag="vip", timezone="Pacific/Auckland")
    made = await new_mailing(
        runtime, me, start=later(-1), end=later(24 * 60), daytime=(time(9), time(21))
    )
    run = dispatch(runtime)

    await run.until(lambda: _counted(runtime, me, made.id, sent=1))
    await run.run()
    assert await statuses(runtime, made.id) == {phone(1): "sent", phone(2): "pending"}
    await run.advance(8 * 3600)  # 09:00 in Auckland
    await run.until(lambda: finished(runtime, me, made.id))
    assert await statuses(runtime, made.id) == {phone(1): "sent", phone(2): "sent"}


async def test_another_owners_mailing_is_not_found(runtime: Runtime) -> None:
    me, other = await user(runtime), await user(runtime)
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))

    async with runtime.uow() as uow:
        with pytest.raises(mailing.MailingNotFound):
            await mailing.cancel_mailing(uow, actor=other, mailing_id=made.id)
        assert await mailing.mailing_stats(uow, actor=other, mailing_ids=[made.id]) == {}


async def test_a_delivery_waits_for_its_paused_account(runtime: Runtime) -> None:
    """Sent through one account just before a crash, then that account is paused: the resend
    waits for it (another account would deliver the message a second time)."""
    await load(runtime, recipients_world(2, accounts=2))
    first, _ = await sending_accounts(runtime, 2)
    me = await user(runtime)
    for n in (1, 2):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(24 * 60))
    run = dispatch(runtime, claim_seconds=30.0)
    await run.dispatcher().housekeep()
    await _claim_and_send_without_commit(runtime, run.clock.now(), first)
    async with runtime.uow() as uow:
        await telegram.pause_account(
            uow, actor=SYSTEM, account_id=first, until=later(30), reason="FloodWait"
        )
    await run.advance(60)  # the dead pass's claims lapse; the account is still paused

    await run.run()
    assert Counter((await statuses(runtime, made.id)).values()) == {"pending": 2}
    await run.advance(30 * 60)
    await run.until(lambda: finished(runtime, me, made.id))

    assert sorted(m["user_id"] for m in await messages(runtime)) == [FIRST_USER, FIRST_USER + 1]
    assert {m["account"] for m in await messages(runtime)} == {"+79990000100"}


async def test_a_senders_cursor_comes_back_for_what_became_ready_behind_it(
    runtime: Runtime,
) -> None:
    """Within a pass each claim starts past the sender's last one; a delivery behind it that
    is ready again (its claim given back) is claimed once nothing is left ahead."""
    await load(runtime, recipients_world(3))
    (account_id,) = await sending_accounts(runtime)
    me = await user(runtime)
    for n in (1, 2, 3):
        await client(runtime, me, phone(n), tag="vip")
    await new_mailing(runtime, me, start=later(-1), end=later(60))
    run = dispatch(runtime, claim_batch=2)
    dispatcher = run.dispatcher()
    await dispatcher.housekeep()

    first = await dispatcher._claim(account_id, [account_id])
    async with runtime.uow() as uow:  # given back untried, as after a flood wait
        await repository.release(uow.session, first)
        await uow.commit()
    ahead = await dispatcher._claim(account_id, [account_id])
    behind = await dispatcher._claim(account_id, [account_id])

    # Which clients' deliveries come first follows the delivery ids, not the clients' order.
    assert len(first) == 2
    assert len(ahead) == 1
    assert {c.id for c in ahead}.isdisjoint(c.id for c in first)
    assert min(c.id for c in ahead) > max(c.id for c in first)
    assert {c.id for c in behind} == {c.id for c in first}


async def test_an_account_gone_from_telegram_stops_without_failing_deliveries(
    runtime: Runtime,
) -> None:
    await load(runtime, recipients_world(2))
    (account_id,) = await sending_accounts(runtime)
    me = await user(runtime)
    for n in (1, 2):
        await client(runtime, me, phone(n), tag="vip")
    made = await new_mailing(runtime, me, start=later(-1), end=later(60))
    await load(runtime, recipients_world(2, accounts=0))  # the account is gone
    run = dispatch(runtime)

    async def revoked() -> bool:
        async with runtime.uow() as uow:
            account = await uow.session.get(TelegramAccount, account_id)
            assert account is not None
            return account.status.value == "revoked"

    await run.until(revoked)

    assert Counter((await statuses(runtime, made.id)).values()) == {"pending": 2}
