"""Centrifugo-compatible realtime socket for seed 001's single-page apps (being written)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.websockets import WebSocket


async def centrifugo_endpoint(websocket: WebSocket) -> None:
    await websocket.close(code=3000)
