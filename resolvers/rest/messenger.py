"""Seed 001 (messenger) legacy routes: registration, JWT auth, users, presence, realtime
tokens and stored files."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.responses import Response

from domain.accounts import service
from domain.accounts.service import ProfileChanges
from domain.errors import NotFound, PermissionDenied
from domain.files import service as files
from resolvers.permissions import client_address
from resolvers.rest.auth import require_user
from resolvers.rest.drf import JSONResponse, drf_view, optional_string, required_strings
from resolvers.rest.forms import read_form
from resolvers.rest.pages import envelope, fetch_page, search_param
from resolvers.rest.serializers import base_url, token_pair_json, user_json

if TYPE_CHECKING:
    from starlette.requests import Request

    from domain.accounts.model import User
    from domain.accounts.service import Viewer
    from domain.bootstrap import Runtime
    from domain.types import Page


def _optional_text(data: dict[str, object], name: str) -> str | None:
    return optional_string(data, name) if data.get(name) is not None else None


@drf_view
async def register(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    form = await read_form(request)
    username, password = required_strings(form.data, "username", "password")
    avatar = form.upload("avatar")
    async with runtime.uow() as uow:
        user = await service.register_user(
            uow,
            runtime.auth,
            username=username,
            password=password,
            first_name=optional_string(form.data, "first_name"),
            last_name=optional_string(form.data, "last_name"),
            bio=optional_string(form.data, "bio") or None,
            avatar=None if avatar is None else (avatar, runtime.messenger.files),
        )
    now = runtime.auth.clock.now()
    return JSONResponse(user_json(user, now, base_url(request)), status_code=201)


@drf_view
async def obtain_tokens(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    username, password = required_strings((await read_form(request)).data, "username", "password")
    async with runtime.uow() as uow:
        pair = await service.login(
            uow,
            runtime.auth,
            username=username,
            password=password,
            client=client_address(request),
        )
    return JSONResponse(token_pair_json(pair))


@drf_view
async def refresh_tokens(request: Request) -> JSONResponse:
    runtime: Runtime = request.state.runtime
    (refresh,) = required_strings((await read_form(request)).data, "refresh")
    async with runtime.uow() as uow:
        pair = await service.refresh_tokens(uow, runtime.auth, refresh_token=refresh)
    return JSONResponse(token_pair_json(pair))


# --- users -----------------------------------------------------------------------------------


def _target(request: Request, viewer: Viewer) -> uuid.UUID:
    """``current`` or a user's UUID (anything else names nobody)."""
    raw = request.path_params["user_id"]
    if raw == "current":
        return viewer.user.id
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound("User") from exc


@drf_view
async def user(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    user_id = _target(request, viewer)
    async with runtime.uow() as uow:
        if request.method == "DELETE":
            await service.delete_account(uow, runtime.auth, actor=viewer, user_id=user_id)
            return Response(status_code=204)
        if request.method == "PATCH":
            form = await read_form(request)
            changes = ProfileChanges(
                first_name=_optional_text(form.data, "first_name"),
                last_name=_optional_text(form.data, "last_name"),
                bio=_optional_text(form.data, "bio"),
                avatar=form.upload("avatar"),
            )
            found = await service.update_profile(
                uow, runtime.messenger.files, actor=viewer, user_id=user_id, changes=changes
            )
        elif user_id == viewer.user.id:
            found = viewer.user  # read (and its presence written) by this very request
        else:
            found = await service.get_user(uow, actor=viewer, user_id=user_id)
    return JSONResponse(user_json(found, runtime.auth.clock.now(), base_url(request)))


@drf_view
async def users(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    search = search_param(request)

    async def fetch(offset: int, limit: int) -> Page[User]:
        async with runtime.uow() as uow:
            return await service.list_users_by_offset(
                uow, actor=viewer, search=search, offset=offset, limit=limit
            )

    params, found = await fetch_page(request, fetch)
    now, base = runtime.auth.clock.now(), base_url(request)
    results = [user_json(u, now, base) for u in found.items]
    return JSONResponse(envelope(request, params, found.total, results))


@drf_view
async def online(request: Request) -> Response:
    """HEAD (seed 001) or POST: online now, whatever the throttle says."""
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    async with runtime.uow() as uow:
        found = await service.go_online(uow, runtime.auth, actor=viewer)
    if request.method == "HEAD":
        return Response(status_code=200)
    return JSONResponse(user_json(found, runtime.auth.clock.now(), base_url(request)))


@drf_view
async def offline(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    async with runtime.uow() as uow:
        found = await service.go_offline(uow, actor=viewer)
    return JSONResponse(user_json(found, runtime.auth.clock.now(), base_url(request)))


# --- realtime tokens -------------------------------------------------------------------------


@drf_view
async def centrifugo_connect(request: Request) -> JSONResponse:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    token = service.issue_realtime_token(runtime.auth, viewer=viewer, channel=None)
    return JSONResponse({"token": token})


@drf_view
async def centrifugo_subscribe(request: Request) -> JSONResponse:
    """A token for the caller's own channel (their user id); another channel is refused."""
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    own = str(viewer.user.id)
    asked = (await read_form(request)).data.get("channel") or own
    if asked != own:
        raise PermissionDenied("You may subscribe only to your own channel.")
    token = service.issue_realtime_token(runtime.auth, viewer=viewer, channel=own)
    return JSONResponse({"token": token})


# --- stored files ----------------------------------------------------------------------------

INLINE_TYPES = ("image/jpeg", "image/png", "audio/mpeg", "audio/wav", "audio/ogg")


@drf_view
async def media(request: Request) -> Response:
    """A stored file at its stable URL; anything but pictures and sound downloads."""
    runtime: Runtime = request.state.runtime
    key = request.path_params["key"]
    async with runtime.uow() as uow:
        stored = await files.find_file(uow, key)
    content = None if stored is None else await runtime.messenger.files.read(key)
    if stored is None or content is None:
        raise NotFound("file")
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
    }
    if stored.content_type not in INLINE_TYPES:
        headers["Content-Disposition"] = "attachment"
    return Response(content, media_type=stored.content_type, headers=headers)
