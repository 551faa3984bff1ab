"""The pages tghub serves itself (server-side HTML, legacy 004's ``/admin`` and ``/logs``, and
the live dashboard), behind an admin's login: docs/invites.md, "Pages and dashboard"."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from resolvers.pages import admin, dashboard, login, logs


def page_routes() -> list[BaseRoute]:
    return [
        Route("/login", login.login, methods=["GET", "POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/admin", admin.admin, methods=["GET", "POST"]),
        Route("/logs", logs.logs, methods=["GET"]),
        Route("/dashboard", dashboard.dashboard, methods=["GET"]),
        Route(dashboard.TOKEN_PATH, dashboard.dashboard_token, methods=["POST"]),
    ]
