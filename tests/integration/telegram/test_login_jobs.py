"""Login steps run again (a sweeper re-run after a crash) repeat nothing on Telegram."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.access import System
from domain.adapters.clock import SystemClock
from domain.adapters.telegram.simulated import SimulatedGateway
from domain.telegram import service as telegram
from domain.telegram.model import AccountStatus, TelegramAccount
from tests.world import ACCOUNT_PHONE, API_HASH, load_world

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


SYSTEM = System("tests")


async def login_codes(runtime: Runtime) -> int:
    assert runtime.sandbox is not None
    return sum(e["type"] == "login_code" for e in (await runtime.sandbox.world())["outbox"])


class TestLoginSteps:
    async def test_each_step_run_twice_happens_once(self, runtime: Runtime) -> None:
        await load_world(runtime)
        assert runtime.world is not None
        gateway = SimulatedGateway(runtime.world)
        async with runtime.uow() as uow:
            account = await telegram.add_account(
                uow, runtime.secrets, actor=SYSTEM, phone=ACCOUNT_PHONE, api_id=1, api_hash=API_HASH
            )

        for _ in range(2):
            async with runtime.uow() as uow:
                await telegram.deliver_login_code(
                    uow,
                    gateway,
                    runtime.secrets,
                    actor=SYSTEM,
                    job_id="code-job",
                    account_id=account.id,
                )
        assert await login_codes(runtime) == 1

        async with runtime.uow() as uow:
            await telegram.submit_login(
                uow,
                runtime.secrets,
                account_id=account.id,
                code="12345",
                password=None,
                actor=SYSTEM,
            )
        for _ in range(2):
            async with runtime.uow() as uow:
                result = await telegram.complete_sign_in(
                    uow,
                    gateway,
                    runtime.secrets,
                    SystemClock(),
                    actor=SYSTEM,
                    job_id="sign-in-job",
                    account_id=account.id,
                )
            assert result["status"] == "active"
        async with runtime.uow() as uow:
            stored = await uow.session.get(TelegramAccount, account.id)
        assert stored is not None
        assert stored.status is AccountStatus.ACTIVE
