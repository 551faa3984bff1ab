"""Seed 001 (messenger) legacy routes: chats and messages."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from domain.errors import Invalid
from domain.messenger import service
from domain.messenger.errors import PrivateChatExists
from domain.messenger.service import ChatChanges, NewChat, NewMessage
from resolvers.rest.auth import require_user
from resolvers.rest.drf import JSONResponse, drf_view, optional_string
from resolvers.rest.forms import boolean, path_uuid, read_form, uuid_list
from resolvers.rest.pages import envelope, fetch_page, search_param
from resolvers.rest.serializers import (
    base_url,
    iso,
    media_url,
    message_card_json,
    read_all_json,
    user_card_json,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from starlette.requests import Request

    from domain.accounts.service import Viewer
    from domain.bootstrap import Runtime
    from domain.messenger.cards import MessageCard
    from domain.messenger.model import Chat
    from domain.messenger.service import ChatOverview
    from domain.types import Page
    from domain.uow import SqlAlchemyUnitOfWork


# --- chat JSON -------------------------------------------------------------------------------


class ChatRenderer:
    """Seed 001's chat objects for one request: every chat's relations are read together, so
    any number of chats costs the same five statements."""

    def __init__(self, request: Request, viewer: Viewer) -> None:
        self.runtime: Runtime = request.state.runtime
        self.viewer = viewer
        self.now = self.runtime.auth.clock.now()
        self.base = base_url(request)

    async def many(self, chats: list[Chat]) -> list[dict[str, Any]]:
        async with self.runtime.uow() as uow:
            overviews = await service.chat_overviews(uow, actor=self.viewer, chats=chats)
        return self.render(overviews)

    def render(self, overviews: Sequence[ChatOverview]) -> list[dict[str, Any]]:
        return [self._json(overview) for overview in overviews]

    async def one(self, chat: Chat) -> dict[str, Any]:
        return (await self.many([chat]))[0]

    def _json(self, overview: ChatOverview) -> dict[str, Any]:
        chat, last = overview.chat, overview.last_message
        return {
            "id": str(chat.id),
            "title": overview.title,
            "members": [user_card_json(m, self.now, self.base) for m in overview.members],
            "creator": user_card_json(overview.creator, self.now, self.base),
            "avatar": media_url(self.base, overview.avatar),
            "created_at": iso(chat.created_at),
            "updated_at": iso(chat.updated_at),
            "is_private": chat.is_private,
            "last_message": None if last is None else message_card_json(last, self.now, self.base),
            "unread_messages_count": overview.unread_messages_count,
        }


def _now(request: Request) -> datetime:
    runtime: Runtime = request.state.runtime
    return runtime.auth.clock.now()


# --- chats -----------------------------------------------------------------------------------


@drf_view
async def chats(request: Request) -> Response:
    if request.method == "POST":
        return await _create_chat(request)
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    search = search_param(request)

    async def fetch(offset: int, limit: int) -> Page[ChatOverview]:
        async with runtime.uow() as uow:
            return await service.list_chat_overviews_by_offset(
                uow, actor=viewer, search=search, offset=offset, limit=limit
            )

    params, found = await fetch_page(request, fetch)
    results = ChatRenderer(request, viewer).render(found.items)
    return JSONResponse(envelope(request, params, found.total, results))


async def _create_chat(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    form = await read_form(request)
    new = NewChat(
        is_private=bool(boolean(form, "is_private", required=True)),
        member_ids=uuid_list(form, "members") or [],
        title=optional_string(form.data, "title") or None,
        avatar=form.upload("avatar"),
    )
    fallback = request.query_params.get("fallback") == "on"
    try:
        async with runtime.uow() as uow:
            chat, _ = await service.create_chat(
                uow, runtime.messenger, actor=viewer, new=new, fallback=fallback
            )
    except PrivateChatExists as exc:  # seed 001 answered with a bare list here
        return JSONResponse(exc.field_errors["non_field_errors"], status_code=400)
    return JSONResponse(await ChatRenderer(request, viewer).one(chat), status_code=201)


@drf_view
async def chat(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    chat_id = path_uuid(request, "chat_id", "Chat")
    if request.method == "DELETE":
        async with runtime.uow() as uow:
            await service.delete_chat(uow, actor=viewer, chat_id=chat_id)
        return Response(status_code=204)
    async with runtime.uow() as uow:
        if request.method == "PATCH":
            found = await _update_chat(request, uow, viewer, chat_id)
        else:
            found = await service.get_chat(uow, actor=viewer, chat_id=chat_id)
    return JSONResponse(await ChatRenderer(request, viewer).one(found))


async def _update_chat(
    request: Request, uow: SqlAlchemyUnitOfWork, viewer: Viewer, chat_id: uuid.UUID
) -> Chat:
    runtime: Runtime = request.state.runtime
    form = await read_form(request)
    changes = ChatChanges(
        title=optional_string(form.data, "title") or None,
        member_ids=uuid_list(form, "members"),
        avatar=form.upload("avatar"),
    )
    return await service.update_chat(
        uow, runtime.messenger, actor=viewer, chat_id=chat_id, changes=changes
    )


@drf_view
async def leave_chat(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    chat_id = path_uuid(request, "chat_id", "Chat")
    async with runtime.uow() as uow:
        await service.leave_chat(uow, actor=viewer, chat_id=chat_id)
    return JSONResponse({"detail": "You leave the chat"})


# --- messages --------------------------------------------------------------------------------


def chat_param(request: Request) -> uuid.UUID:
    raw = request.query_params.get("chat")
    try:
        return uuid.UUID(raw or "")
    except ValueError as exc:
        raise Invalid({}, message="Chat UUID is required in url") from exc


@drf_view
async def messages(request: Request) -> Response:
    if request.method == "POST":
        return await _send_message(request)
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    try:
        chat_id = chat_param(request)
    except Invalid as exc:  # seed 001 answered with a bare list here
        return JSONResponse([exc.message], status_code=400)
    search = search_param(request)

    async def fetch(offset: int, limit: int) -> Page[MessageCard]:
        async with runtime.uow() as uow:
            return await service.list_messages_by_offset(
                uow,
                actor=viewer,
                chat_id=chat_id,
                search=search,
                offset=offset,
                limit=limit,
            )

    params, found = await fetch_page(request, fetch)
    now, base = _now(request), base_url(request)
    results = [message_card_json(card, now, base) for card in found.items]
    return JSONResponse(envelope(request, params, found.total, results))


async def _send_message(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    form = await read_form(request)
    raw_chat = optional_string(form.data, "chat")
    try:
        chat_id = uuid.UUID(raw_chat)
    except ValueError as exc:
        message = "This field is required." if not raw_chat else "Must be a valid UUID."
        raise Invalid.single("chat", message) from exc
    new = NewMessage(
        chat_id=chat_id,
        text=optional_string(form.data, "text") or None,
        files=form.files.get("files", []),
        voice=form.upload("voice"),
    )
    async with runtime.uow() as uow:
        card = await service.send_message(uow, runtime.messenger, actor=viewer, new=new)
    return JSONResponse(message_card_json(card, _now(request), base_url(request)), status_code=201)


@drf_view
async def message(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    message_id = path_uuid(request, "message_id", "Message")
    async with runtime.uow() as uow:
        if request.method == "DELETE":
            await service.delete_message(uow, actor=viewer, message_id=message_id)
            return Response(status_code=204)
        if request.method == "PATCH":
            form = await read_form(request)
            text = optional_string(form.data, "text")
            card = await service.edit_message(
                uow, runtime.messenger, actor=viewer, message_id=message_id, text=text
            )
        else:
            card = await service.get_message(uow, actor=viewer, message_id=message_id)
    return JSONResponse(message_card_json(card, _now(request), base_url(request)))


@drf_view
async def read_message(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    message_id = path_uuid(request, "message_id", "Message")
    async with runtime.uow() as uow:
        card = await service.read_message(uow, actor=viewer, message_id=message_id)
    return JSONResponse(message_card_json(card, _now(request), base_url(request)))


@drf_view
async def read_all(request: Request) -> Response:
    viewer = await require_user(request)
    runtime: Runtime = request.state.runtime
    chat_id = chat_param(request)  # here seed 001 answered {"detail": …}
    async with runtime.uow() as uow:
        done = await service.read_all_messages(uow, actor=viewer, chat_id=chat_id)
    return JSONResponse(read_all_json(done.chat_id, done.user_id, done.message_ids))
