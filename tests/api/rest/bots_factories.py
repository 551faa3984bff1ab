"""Builders of the legacy 002 route tests: admin credentials, the bots' simulated world, and
a request answered while a worker runs the job it waits for."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import select

from domain.jobs.model import Job
from tests.api.rest.factories import PASSWORD, basic_header, create_admin
from tests.conftest import until
from tests.world import run_jobs

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import httpx

    from domain.bootstrap import Runtime

NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


async def admin_basic(runtime: Runtime) -> dict[str, str]:
    admin = await create_admin(runtime)
    return {"Authorization": basic_header(admin.username, PASSWORD)}


async def jobs_of(runtime: Runtime, kind: str) -> list[Job]:
    async with runtime.uow() as uow:
        return list(await uow.session.scalars(select(Job).where(Job.kind == kind)))


async def with_worker(
    runtime: Runtime, request: Awaitable[httpx.Response], kind: str
) -> httpx.Response:
    """The answer of a request that waits for its job (of ``kind``), a burst worker running
    the job once it is queued."""
    before = len(await jobs_of(runtime, kind))
    answer = asyncio.ensure_future(request)

    async def queued() -> bool:
        return answer.done() or len(await jobs_of(runtime, kind)) > before

    await until(queued)
    await run_jobs(runtime)
    return await answer


def assert_no_secret(response: httpx.Response, *secrets: str) -> None:
    """No whole token (nor its secret half) in the answer, headers included."""
    text = response.text + repr(response.headers)
    for secret in secrets:
        assert secret not in text
        assert secret.partition(":")[2] not in text
