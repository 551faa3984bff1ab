"""``tghub createadmin``: needs only the database, so it never starts or stops a Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.access import System
from domain.accounts import service
from domain.adapters.secrets import FernetBox
from domain.bootstrap import build_database, build_hasher, encryption_keys
from domain.bots import service as bots
from domain.errors import Invalid, SecretUnreadable
from domain.telegram import service as telegram
from domain.tracking import service as tracking
from tghub.embedded import embedded_services

if TYPE_CHECKING:
    from domain.settings import Settings


async def create_admin(settings: Settings, username: str, password: str) -> int:
    async with embedded_services(settings, with_redis=False) as resolved:
        engine, units = build_database(resolved)
        try:
            async with units() as uow:
                await service.ensure_admin(
                    uow,
                    build_hasher(resolved),
                    actor=System("createadmin"),
                    username=username,
                    password=password,
                )
        except Invalid as exc:
            for field, messages in exc.field_errors.items():
                print(f"{field}: {' '.join(messages)}")
            return 1
        finally:
            await engine.dispose()
    print(f"admin {username!r} is ready")
    return 0


async def rotate_secrets(settings: Settings) -> int:
    """``tghub rotate-secrets``: every stored secret re-encrypted under the first key."""
    async with embedded_services(settings, with_redis=False) as resolved:
        engine, units = build_database(resolved)
        try:
            box, actor = FernetBox(encryption_keys(resolved)), System("rotate-secrets")
            async with units() as uow:
                # The trackers' and bots' secrets first: the Telegram accounts' rotation
                # commits them all.
                trackers = await tracking.rotate_secrets(uow, box, actor=actor)
                bots_count = await bots.rotate_secrets(uow, box, actor=actor)
                count = await telegram.rotate_secrets(uow, box, actor=actor)
        except SecretUnreadable as exc:
            print(f"rotate-secrets: {exc.message} Nothing was changed.")
            return 1
        finally:
            await engine.dispose()
    print(
        f"re-encrypted the secrets of {count} Telegram account(s), {trackers} tracker(s)"
        f" and {bots_count} bot(s) under the current key"
    )
    return 0
