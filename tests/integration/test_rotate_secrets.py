"""`tghub rotate-secrets`: stored secrets move to the new key; a missing key changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from domain.access import System
from domain.adapters.secrets import FernetBox
from domain.errors import SecretUnreadable
from domain.telegram import service as telegram
from domain.tracking import service as tracking
from domain.types import PageRequest
from tests import canaries
from tests.conftest import TEST_SECRET
from tests.integration.test_cli import ROOT
from tests.logcheck import collect_output
from tests.world import API_HASH

if TYPE_CHECKING:
    from domain.bootstrap import Runtime
    from domain.telegram.model import TelegramAccount

OLD, NEW = canaries.OLD_ENCRYPTION_KEY, canaries.NEW_ENCRYPTION_KEY


SYSTEM = System("tests")


def rotate(runtime: Runtime, keys: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_")}
    env.update(
        TGHUB_DATABASE_URL=str(runtime.settings.database_url),
        TGHUB_SECRET_KEY=TEST_SECRET,
        TGHUB_ENCRYPTION_KEYS=keys,
    )
    result = subprocess.run(
        [sys.executable, "-m", "tghub", "rotate-secrets"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    collect_output("tghub-rotate-secrets", result.stdout, result.stderr)
    return result


async def stored(runtime: Runtime) -> TelegramAccount:
    async with runtime.uow() as uow:
        (account,) = (await telegram.list_accounts(uow, PageRequest(first=10), actor=SYSTEM)).items
        return account


class TestRotateSecrets:
    async def test_secrets_move_to_the_first_key(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            await telegram.add_account(
                uow,
                FernetBox([OLD]),
                actor=SYSTEM,
                phone="+79990000100",
                api_id=1,
                api_hash=API_HASH,
            )

        async with runtime.uow() as uow:
            await tracking.create_tracker(
                uow, FernetBox([OLD]), actor=SYSTEM, telegram_id=1, api_id=2, api_hash=API_HASH
            )

        done = rotate(runtime, f"{NEW},{OLD}")

        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 Telegram account(s), 1 tracker(s) and 0 bot(s)" in done.stdout
        assert FernetBox([NEW]).decrypt((await stored(runtime)).api_hash_enc) == API_HASH
        async with runtime.uow() as uow:
            (tracker,) = await tracking.list_trackers(uow, actor=SYSTEM)
        assert FernetBox([NEW]).decrypt(tracker.api_hash_enc) == API_HASH

    async def test_without_the_old_key_nothing_changes(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            await telegram.add_account(
                uow,
                FernetBox([OLD]),
                actor=SYSTEM,
                phone="+79990000100",
                api_id=1,
                api_hash=API_HASH,
            )
        before = (await stored(runtime)).api_hash_enc

        done = rotate(runtime, NEW)

        assert done.returncode == 1
        assert "cannot be decrypted" in done.stdout
        assert API_HASH not in done.stdout + done.stderr
        after = (await stored(runtime)).api_hash_enc
        assert after == before
        with pytest.raises(SecretUnreadable):
            FernetBox([NEW]).decrypt(after)
