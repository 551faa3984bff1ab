"""``tghub createadmin``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.accounts import service
from domain.bootstrap import build_runtime
from domain.errors import Invalid
from tghub.embedded import embedded_services

if TYPE_CHECKING:
    from domain.settings import Settings


async def create_admin(settings: Settings, username: str, password: str) -> int:
    async with embedded_services(settings) as resolved:
        runtime = build_runtime(resolved)
        await runtime.start()
        try:
            async with runtime.uow() as uow:
                await service.ensure_admin(uow, runtime.auth, username=username, password=password)
        except Invalid as exc:
            for field, messages in exc.field_errors.items():
                print(f"{field}: {' '.join(messages)}")
            return 1
        finally:
            await runtime.stop()
    print(f"admin {username!r} is ready")
    return 0
