"""The REST compatibility router: every documented URL of the five legacy services."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from resolvers.rest import bots, mailing, messenger


def _both(path: str, endpoint: object, methods: list[str]) -> list[BaseRoute]:
    """The path with and without its trailing slash, neither redirecting (COMPAT.md)."""
    bare = path.rstrip("/")
    return [Route(path, endpoint, methods=methods), Route(bare, endpoint, methods=methods)]  # type: ignore[arg-type]


def legacy_routes() -> list[BaseRoute]:
    return [
        # 001 messenger
        *_both("/api/register/", messenger.register, ["POST"]),
        *_both("/api/auth/", messenger.obtain_tokens, ["POST"]),
        *_both("/api/auth/refresh/", messenger.refresh_tokens, ["POST"]),
        # 002 bot management
        *_both("/tasks/{task_id}/", bots.task_status, ["GET"]),
        # 003 mailing
        *_both("/api/v1/users/register/", mailing.register, ["POST"]),
        *_both("/api/token/", messenger.obtain_tokens, ["POST"]),
        *_both("/api/token/refresh/", messenger.refresh_tokens, ["POST"]),
        *_both("/api/token/verify/", mailing.verify_token, ["POST"]),
    ]
