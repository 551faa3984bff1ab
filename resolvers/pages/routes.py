"""The pages' routes (``/login``, ``/logout``, ``/admin``, ``/logs``, ``/dashboard``)."""

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
