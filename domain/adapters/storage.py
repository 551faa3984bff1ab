"""The local-filesystem file store (the data folder's ``media/`` by default)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# What storage keys look like (domain.messenger.rules.storage_key); nothing else is a path.
KEY = re.compile(r"[0-9a-f]{32}/[A-Za-z0-9._-]{1,100}")


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path | None:
        # Keys come from URLs too: only the exact shape tghub writes may touch the disk.
        if not KEY.fullmatch(key) or any(part in {".", ".."} for part in key.split("/")):
            return None
        return self.root / key

    async def save(self, key: str, content: bytes) -> None:
        path = self._path(key)
        if path is None:
            raise ValueError(f"not a storage key: {key!r}")
        await asyncio.to_thread(_write, path, content)

    async def read(self, key: str) -> bytes | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, NotADirectoryError):
            return None

    async def delete(self, key: str) -> None:
        path = self._path(key)
        if path is not None:
            await asyncio.to_thread(path.unlink, missing_ok=True)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(content)
    partial.replace(path)  # readers never see half a file
