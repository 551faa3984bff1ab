"""Bots: the token checked with Telegram by a job, stored encrypted and shown masked; a bot
registered again is updated, not duplicated; who may manage bots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from domain.access import Guest, System
from domain.accounts.service import Viewer
from domain.bots import service as bots
from domain.bots.model import Bot
from domain.errors import Invalid, NotFound, PermissionDenied
from domain.jobs.model import JobStatus
from tests.api.rest.factories import create_user
from tests.integration.bots.scene import SECRET, SYSTEM, link, load, register, result, token

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


class TestRegistration:
    async def test_a_good_token_stores_the_bot_telegram_knows(self, runtime: Runtime) -> None:
        await load(runtime)

        done = await register(runtime, token(1), alias="news", description="d", name="")

        assert done.status is JobStatus.SUCCEEDED, done.error
        assert done.result == {"id": result(done)["id"], "new": True}
        async with runtime.uow() as uow:
            view = await bots.get_bot(uow, runtime.secrets, actor=SYSTEM, bot_id=result(done)["id"])
        assert (view.telegram_id, view.username, view.alias, view.name) == (
            5001,
            "bot_1",
            "news",
            "Bot 1",
        )
        assert view.is_active

    async def test_a_bad_token_fails_the_job_with_telegrams_refusal(self, runtime: Runtime) -> None:
        await load(runtime)

        done = await register(runtime, "5001:not-the-real-secret")

        assert done.status is JobStatus.FAILED
        assert done.error == "Telegram does not accept this bot token."
        async with runtime.uow() as uow:
            assert (await uow.session.scalars(select(Bot))).all() == []

    async def test_a_known_bot_is_updated_not_added(self, runtime: Runtime) -> None:
        await load(runtime)
        first = await register(runtime, token(1), alias="old")

        again = await register(runtime, token(1), alias="new alias", name="Renamed")

        assert again.result == {"id": result(first)["id"], "new": False}
        async with runtime.uow() as uow:
            views = await bots.list_bots(uow, runtime.secrets, actor=SYSTEM)
        assert [(v.alias, v.name) for v in views] == [("new alias", "Renamed")]

    async def test_a_malformed_token_is_refused_before_any_job(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as refused:
                await bots.request_bot(uow, runtime.secrets, actor=SYSTEM, token="no colon here")
        assert "no colon here" not in str(refused.value.field_errors)


class TestTokensStaySecret:
    async def test_the_token_is_never_shown_whole(self, runtime: Runtime) -> None:
        await load(runtime)
        done = await register(runtime, token(1))
        bad = await register(runtime, f"5002:{SECRET}")

        async with runtime.uow() as uow:
            views = await bots.list_bots(uow, runtime.secrets, actor=SYSTEM)
            stored = (await uow.session.scalars(select(Bot))).one()
        assert views[0].token == f"5001:****{token(1)[-4:]}"
        shown = [repr(views[0]), repr(stored), str(done.args), str(done.result), str(bad.error)]
        shown += [str(bad.args), stored.token_enc, stored.token_digest]
        for text in shown:
            assert SECRET[:20] not in text, text
            assert token(1) not in text


class TestBotManagement:
    async def test_patch_changes_the_fields_given(self, runtime: Runtime) -> None:
        await load(runtime)
        done = await register(runtime, token(1), alias="a", description="d")

        async with runtime.uow() as uow:
            view = await bots.update_bot(
                uow, runtime.secrets, actor=SYSTEM, bot_id=result(done)["id"], is_active=False
            )
        assert (view.alias, view.description, view.is_active) == ("a", "d", False)

    async def test_a_bot_serving_a_channel_is_not_deleted(self, runtime: Runtime) -> None:
        await load(runtime)
        done = await register(runtime, token(1))
        await link(runtime, "https://t.me/chan_1")

        async with runtime.uow() as uow:
            with pytest.raises(bots.BotInUse):
                await bots.delete_bot(uow, actor=SYSTEM, bot_id=result(done)["id"])

    async def test_a_deleted_bot_is_gone(self, runtime: Runtime) -> None:
        await load(runtime)
        done = await register(runtime, token(1))

        async with runtime.uow() as uow:
            await bots.delete_bot(uow, actor=SYSTEM, bot_id=result(done)["id"])
        async with runtime.uow() as uow:
            with pytest.raises(NotFound):
                await bots.get_bot(uow, runtime.secrets, actor=SYSTEM, bot_id=result(done)["id"])


class TestWhoMay:
    async def test_a_signed_in_non_admin_is_refused(self, runtime: Runtime) -> None:
        viewer = Viewer(user=await create_user(runtime), session_id=None)
        async with runtime.uow() as uow:
            with pytest.raises(PermissionDenied):
                await bots.list_bots(uow, runtime.secrets, actor=viewer)
            with pytest.raises(PermissionDenied):
                await bots.request_bot(uow, runtime.secrets, actor=viewer, token=token(1))
            with pytest.raises(PermissionDenied):
                await bots.request_link(uow, actor=viewer, channel="chan_1")
            with pytest.raises(PermissionDenied):
                await bots.queue_post(uow, actor=viewer, channel_id=-1, text="hi")

    async def test_a_guest_of_the_open_bots_group_manages_bots(self, runtime: Runtime) -> None:
        await load(runtime)
        await register(runtime, token(1))
        async with runtime.uow() as uow:
            views = await bots.list_bots(uow, runtime.secrets, actor=Guest("bots"))
        assert [v.username for v in views] == ["bot_1"]

    async def test_a_guest_of_another_group_is_refused(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(PermissionDenied):
                await bots.list_bots(uow, runtime.secrets, actor=Guest("seeonline"))

    async def test_the_jobs_own_work_is_not_a_guests(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(PermissionDenied):
                await bots.queue_check(uow, actor=Guest("bots"))
            await bots.queue_check(uow, actor=System("cron"))
