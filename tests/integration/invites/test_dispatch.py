"""Invite dispatch through the simulated Telegram: the original's flow per phone, the modes of
the settings, the account pool (least recently used, quotas, pauses), and claims that survive
a crash without inviting or messaging anyone twice."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update

from domain.invites import repository, rules
from domain.invites.model import InviteSettings
from domain.telegram import service as telegram
from domain.telegram.model import TelegramAccount
from tests.integration.invites.scene import (
    ACCOUNT_PHONES,
    ADMIN,
    CHANNEL,
    CLOSED,
    CONTACTS_ONLY,
    INVITE_HASH,
    MEMBER,
    NOBODY_ON_TELEGRAM,
    OPEN,
    USER_IDS,
    account,
    configure,
    dispatch,
    invite_world,
    inviting_accounts,
    load,
    logs,
    members,
    outbox,
    outcomes,
    queue,
    waiting,
    world,
)
from tests.world import signed_in_account

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


async def nothing_waits(runtime: Runtime) -> bool:
    return not await waiting(runtime)


async def test_each_phone_gets_the_outcome_of_the_original_flow(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    [account_id] = await inviting_accounts(runtime)
    await configure(runtime)
    await queue(runtime, OPEN, CONTACTS_ONLY, CLOSED, NOBODY_ON_TELEGRAM)

    await dispatch(runtime).until(lambda: nothing_waits(runtime))

    assert await outcomes(runtime) == {
        OPEN: ("invited", None),
        # Importing the phone makes them the account's contact, not the account theirs.
        CONTACTS_ONLY: ("link_sent", "privacy_restricted"),
        CLOSED: ("link_sent", "privacy_restricted"),
        NOBODY_ON_TELEGRAM: ("failed", rules.NOT_TELEGRAM_USER),
    }
    snapshot = await world(runtime)
    assert USER_IDS[OPEN] in members(snapshot)
    assert USER_IDS[CLOSED] not in members(snapshot)
    sent = {m["user_id"]: m["text"] for m in outbox(snapshot, "message")}
    link = f"https://t.me/+{INVITE_HASH}"
    assert sent == {
        USER_IDS[CONTACTS_ONLY]: f"Join us: {link}",
        USER_IDS[CLOSED]: f"Join us: {link}",
    }
    # Only the real invite counts against the quota; the account was used.
    used = await account(runtime, account_id)
    assert (used.invite_quota, used.invites_left) == (40, 39)
    assert used.invite_last_used_at is not None
    assert {row.account_name for row in await logs(runtime)} == {used.phone}


async def test_temporary_contacts_are_removed(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    await inviting_accounts(runtime)
    await configure(runtime)
    await queue(runtime, OPEN, CLOSED)

    await dispatch(runtime).until(lambda: nothing_waits(runtime))

    snapshot = await world(runtime)
    imported = {entry["user_id"] for entry in outbox(snapshot, "contact_import")}
    removed = {entry["user_id"] for entry in outbox(snapshot, "contact_delete")}
    assert imported == removed == {USER_IDS[OPEN], USER_IDS[CLOSED]}
    assert all(account["contacts"] == [] for account in snapshot["accounts"])


async def test_an_invited_phone_queued_again_is_skipped(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    await inviting_accounts(runtime)
    await configure(runtime)
    await queue(runtime, OPEN)
    run = dispatch(runtime)
    await run.until(lambda: nothing_waits(runtime))

    accepted = await queue(runtime, OPEN)
    assert accepted.queued == [OPEN]
    await run.until(lambda: nothing_waits(runtime))

    rows = await logs(runtime)
    assert [(r.status.value, r.reason) for r in rows] == [
        ("invited", None),
        ("skipped", rules.ALREADY_INVITED),
    ]
    assert len(outbox(await world(runtime), "invite")) == 1


async def test_a_member_already_is_skipped_and_not_counted(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    [account_id] = await inviting_accounts(runtime)
    await configure(runtime)
    await queue(runtime, MEMBER)

    await dispatch(runtime).until(lambda: nothing_waits(runtime))

    assert await outcomes(runtime) == {MEMBER: ("skipped", rules.ALREADY_MEMBER)}
    assert (await account(runtime, account_id)).invites_left == 40


async def test_only_message_mode_sends_the_link_and_invites_nobody(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    await inviting_accounts(runtime)
    await configure(runtime, only_message_bot=True, failure_message="Come to {{channel}} now")
    await queue(runtime, OPEN)

    await dispatch(runtime).until(lambda: nothing_waits(runtime))

    assert await outcomes(runtime) == {OPEN: ("link_sent", None)}
    snapshot = await world(runtime)
    assert outbox(snapshot, "invite") == []
    [message] = outbox(snapshot, "message")
    assert message["text"] == f"Come to https://t.me/+{INVITE_HASH} now"


async def test_invite_and_message_mode_does_both(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    await inviting_accounts(runtime)
    await configure(runtime, invite_and_message=True, failure_message="Welcome!")
    await queue(runtime, OPEN)

    await dispatch(runtime).until(lambda: nothing_waits(runtime))

    assert await outcomes(runtime) == {OPEN: ("invited", None)}
    snapshot = await world(runtime)
    assert len(outbox(snapshot, "invite")) == 1
    [message] = outbox(snapshot, "message")
    # Without the placeholder the link comes on a line of its own.
    assert message["text"] == f"Welcome!\nhttps://t.me/+{INVITE_HASH}"


async def test_peer_flood_pauses_the_account_and_another_invites(runtime: Runtime) -> None:
    await load(runtime, invite_world(accounts=2, peer_flood=True))
    flagged, other = await inviting_accounts(runtime, 2)
    await configure(runtime)
    await queue(runtime, OPEN)

    await dispatch(runtime).until(lambda: nothing_waits(runtime))

    [row] = await logs(runtime)
    assert (row.status.value, row.account_id) == ("invited", other)
    paused = await account(runtime, flagged)
    assert paused.paused_until is not None
    assert paused.paused_until - dispatch(runtime).clock.now() > timedelta(hours=5)
    assert paused.pause_reason is not None
    assert "PEER_FLOOD" in paused.pause_reason


async def test_a_flood_wait_delays_the_invite_by_its_seconds(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    [account_id] = await inviting_accounts(runtime)
    await configure(runtime)
    assert runtime.sandbox is not None
    run = dispatch(runtime)
    await runtime.sandbox.set_account_flood(invite_world()["accounts"][0]["phone"], 120)
    await queue(runtime, OPEN)

    report = await run.run()

    assert report.paused
    assert await logs(runtime) == []
    [request] = await waiting(runtime)
    assert request.account_id is None
    assert request.next_attempt_at is not None
    wait = request.next_attempt_at - run.clock.now()
    # Telegram's wait, less the real seconds since it was set (a loaded machine takes some).
    assert timedelta(seconds=60) < wait <= timedelta(seconds=120)
    assert (await account(runtime, account_id)).paused_until is not None

    await run.advance(121)
    await run.until(lambda: nothing_waits(runtime))
    assert await outcomes(runtime) == {OPEN: ("invited", None)}


async def test_an_account_that_may_not_invite_is_paused_and_another_takes_over(
    runtime: Runtime,
) -> None:
    # Only the second account is the channel's admin; the first signs in alone first.
    await load(runtime, invite_world(accounts=2, admins=0))
    assert runtime.sandbox is not None
    channel = invite_world()["channels"][0] | {"admins": [{"id": 9101, "invite_users": True}]}
    await runtime.sandbox.load_world({"channels": [channel]}, merge=True)
    first = await signed_in_account(runtime, ACCOUNT_PHONES[0])
    await configure(runtime)
    await queue(runtime, OPEN)
    run = dispatch(runtime)

    await run.run()

    stored = await account(runtime, first)
    assert stored.paused_until is not None
    assert stored.pause_reason is not None
    assert f"@{CHANNEL}" in stored.pause_reason
    [request] = await waiting(runtime)
    assert request.account_id is None

    second = await signed_in_account(runtime, ACCOUNT_PHONES[1])
    await run.until(lambda: nothing_waits(runtime))
    [row] = await logs(runtime)
    assert (row.status.value, row.account_id) == ("invited", second)


async def test_quotas_run_out_and_come_back_the_next_day(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    [account_id] = await inviting_accounts(runtime)
    await configure(runtime)
    async with runtime.uow() as uow:
        await telegram.set_invite_quota(uow, actor=ADMIN, account_id=account_id, quota=1)
    await queue(runtime, OPEN, CONTACTS_ONLY, "+79991110005")
    run = dispatch(runtime)

    await run.until(lambda: _logged(runtime, 1))
    await run.run()
    # The one invite used the quota up: the account takes no more today.
    assert (await account(runtime, account_id)).invites_left == 0
    assert len(await waiting(runtime)) == 2

    await run.advance(24 * 3600)
    await run.until(lambda: _logged(runtime, 2))
    assert (await account(runtime, account_id)).invites_reset_on == run.clock.now().date()


async def _logged(runtime: Runtime, count: int) -> bool:
    return len(await logs(runtime)) >= count


async def test_the_least_recently_used_account_invites_next(runtime: Runtime) -> None:
    await load(runtime, invite_world(accounts=2))
    first, second = await inviting_accounts(runtime, 2)
    await configure(runtime)
    async with runtime.uow() as uow:
        await uow.session.execute(
            update(TelegramAccount)
            .where(TelegramAccount.id == first)
            .values(invite_last_used_at=dispatch(runtime).clock.now())
        )
        await uow.commit()
    await queue(runtime, OPEN)

    await dispatch(runtime).until(lambda: nothing_waits(runtime))

    [row] = await logs(runtime)
    assert row.account_id == second


async def test_a_crash_after_telegram_answered_invites_and_messages_once(
    runtime: Runtime,
) -> None:
    await load(runtime, invite_world())
    [account_id] = await inviting_accounts(runtime)
    await configure(runtime, invite_and_message=True)
    await queue(runtime, OPEN)
    run = dispatch(runtime)
    dispatcher = run.dispatcher()
    # A pass claims the request and does Telegram's part, then dies before its log row.
    claimed = await dispatcher._claim(account_id, [account_id])
    assert claimed is not None
    request, settings = claimed
    creds = telegram.credentials(runtime.secrets, await account(runtime, account_id))
    await dispatcher._invite(creds, request, settings)

    # Its claim lapses; the next pass works the request again through the same account.
    await run.advance(3600)
    await run.until(lambda: nothing_waits(runtime))

    assert await outcomes(runtime) == {OPEN: ("invited", None)}
    snapshot = await world(runtime)
    assert len(outbox(snapshot, "invite")) == 1
    assert len(outbox(snapshot, "message")) == 1
    assert (await account(runtime, account_id)).invites_left == 39


async def test_nothing_goes_out_without_a_channel(runtime: Runtime) -> None:
    await load(runtime, invite_world())
    await inviting_accounts(runtime)
    await queue(runtime, OPEN)

    await dispatch(runtime).run()

    assert await logs(runtime) == []
    assert len(await waiting(runtime)) == 1


async def test_the_queue_watch_announces_changes_and_alerts_once_per_crossing(
    runtime: Runtime,
) -> None:
    await configure(runtime, queue_threshold=1)
    run = dispatch(runtime)
    await queue(runtime, OPEN)
    await run.dispatcher().watch_queue()
    assert await _watch_state(runtime) == (1, False)

    await queue(runtime, CLOSED, CONTACTS_ONLY)
    await run.dispatcher().watch_queue()
    assert await _watch_state(runtime) == (3, True)


async def _watch_state(runtime: Runtime) -> tuple[int, bool]:
    async with runtime.uow() as uow:
        row = await repository.settings(uow.session)
        assert isinstance(row, InviteSettings)
        return row.queue_length_seen, row.queue_over_threshold
