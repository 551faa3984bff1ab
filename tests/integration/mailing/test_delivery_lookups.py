"""Deliveries by id (the GraphQL API's node lookups): only those of the mailings the actor
sees; and a mailing's progress as a subscriber reads it first."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from domain.access import Guest
from domain.mailing import service as mailing
from tests.integration.mailing.dispatch_scene import deliveries, dispatch, later
from tests.integration.mailing.scene import admin, client, user

if TYPE_CHECKING:
    from domain.accounts.service import Viewer
    from domain.bootstrap import Runtime
    from domain.mailing.service import Mailing


async def started(runtime: Runtime, me: Viewer, phones: list[str]) -> Mailing:
    """A mailing of ``me`` to these phones, started by a dispatch pass (no account sends:
    its deliveries stay pending)."""
    for phone in phones:
        await client(runtime, me, phone, tag="vip")
    async with runtime.uow() as uow:
        made = await mailing.create_mailing(
            uow,
            actor=me,
            start_time=later(-1),
            end_time=later(60),
            message_text="Hi",
            filter_params={"tag": "vip"},
        )
    await dispatch(runtime).run()
    return made


async def test_a_user_sees_the_deliveries_of_their_own_mailings(runtime: Runtime) -> None:
    me, other, boss = await user(runtime), await user(runtime), await admin(runtime)
    mine = await started(runtime, me, ["79990000001", "79990000002"])
    theirs = await started(runtime, other, ["79990000003"])
    my_ids = [d.id for d in await deliveries(runtime, mine.id)]
    their_ids = [d.id for d in await deliveries(runtime, theirs.id)]
    asked = [*my_ids, *their_ids, 0, 2**63, 2**70]  # ids of nothing, past a bigint too

    async with runtime.uow() as uow:
        seen = await mailing.visible_deliveries(uow, asked, actor=me)
        seen_by_admin = await mailing.visible_deliveries(uow, asked, actor=boss)
        seen_by_guest = await mailing.visible_deliveries(uow, asked, actor=Guest("mailing"))
        seen_by_stranger = await mailing.visible_deliveries(uow, asked, actor=Guest("chat"))

    assert sorted(seen) == sorted(my_ids)
    assert {d.mailing_id for d in seen.values()} == {mine.id}
    assert sorted(seen_by_admin) == sorted(my_ids + their_ids)
    assert seen_by_guest == {}  # the guests' workspace holds no mailing here
    assert seen_by_stranger == {}


async def test_the_progress_a_subscriber_reads_first(runtime: Runtime) -> None:
    me, other = await user(runtime), await user(runtime)
    made = await started(runtime, me, ["79990000001", "79990000002"])

    async with runtime.uow() as uow:
        now = await mailing.mailing_progress(uow, actor=me, mailing_id=made.id)
        with pytest.raises(mailing.MailingNotFound):
            await mailing.mailing_progress(uow, actor=other, mailing_id=made.id)

    assert (now.mailing_id, now.total, now.pending, now.started, now.finished) == (
        made.id,
        2,
        2,
        True,
        False,
    )
