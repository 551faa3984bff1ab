"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _probe(check: Callable[[], Awaitable[None]]) -> str:
    try:
        await asyncio.wait_for(check(), PROBE_TIMEOUT)
    except Exception as exc:  # any failure means "not ready", never a 500
        log.warning("readiness probe failed: %s", type(exc).__name__)
        return "unavailable"
    return "ok"


async def readyz(request: Request) -> JSONResponse:
    """503 when this replica cannot serve (database or Redis); without a running worker it
    still can (jobs wait in the database), so that is 200 with ``"status": "degraded"``."""
    runtime = request.state.runtime
    checks = {
        "database": await _probe(runtime.check_database),
        "redis": await _probe(runtime.check_redis),
        "worker": await _probe(runtime.check_worker),
    }
    if checks["database"] != "ok" or checks["redis"] != "ok":
        status, code = "unavailable", 503
    elif checks["worker"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JSONResponse({"status": status, "checks": checks}, status_code=code)
