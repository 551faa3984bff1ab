"""``tghub createadmin``: needs only the database, so it never starts or stops a Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.accounts import service
from domain.bootstrap import build_database, build_hasher
from domain.errors import Invalid
from tghub.embedded import embedded_services

if TYPE_CHECKING:
    from domain.settings import Settings


async def create_admin(settings: Settings, username: str, password: str) -> int:
    async with embedded_services(settings, with_redis=False) as resolved:
        engine, units = build_database(resolved)
        try:
            async with units() as uow:
                await service.ensure_admin(
                    uow, build_hasher(resolved), username=username, password=password
                )
        except Invalid as exc:
            for field, messages in exc.field_errors.items():
                print(f"{field}: {' '.join(messages)}")
            return 1
        finally:
            await engine.dispose()
    print(f"admin {username!r} is ready")
    return 0
