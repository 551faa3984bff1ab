"""Stored files against the real database and file store: what ``store_file`` records, what
``find_file`` finds, and how ``upload_errors`` names the fields of bad uploads."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from domain.accounts.model import User
from domain.files import service
from domain.files.model import StoredFile
from domain.files.rules import FileKind, Upload
from tests.api.rest.messenger_factories import GIF, MP3, PNG

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


def upload(content: bytes, name: str = "file.bin") -> Upload:
    return Upload(filename=name, content=content)


@pytest.fixture
async def owner(runtime: Runtime) -> User:
    user = User(username="ivan", password_hash="!")
    async with runtime.uow() as uow:
        uow.session.add(user)
        await uow.commit()
    return user


class TestStoreFile:
    async def test_a_committed_file_is_found_with_its_kind_owner_and_type(
        self, runtime: Runtime, owner: User
    ) -> None:
        async with runtime.uow() as uow:
            key = await service.store_file(
                uow, runtime.messenger.files, upload(MP3, "song.mp3"), FileKind.VOICE, owner.id
            )
            await uow.commit()
        async with runtime.uow() as uow:
            stored = await service.find_file(uow, key)
        assert stored is not None
        assert (stored.kind, stored.content_type, stored.owner_id) == (
            FileKind.VOICE,
            "audio/mpeg",
            owner.id,
        )
        assert key.endswith("/song.mp3")
        assert await runtime.messenger.files.read(key) == MP3

    async def test_an_unknown_key_is_none(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            assert await service.find_file(uow, f"{uuid.uuid4().hex}/nothing.png") is None

    async def test_a_key_no_database_text_can_hold_is_none(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            assert await service.find_file(uow, "a\x00b") is None

    async def test_an_uncommitted_file_has_no_record(self, runtime: Runtime, owner: User) -> None:
        async with runtime.uow() as uow:
            key = await service.store_file(
                uow, runtime.messenger.files, upload(PNG), FileKind.AVATAR, owner.id
            )
        async with runtime.uow() as uow:
            assert await service.find_file(uow, key) is None
            assert (await uow.session.execute(select(StoredFile))).all() == []


class TestUploadErrors:
    def test_names_each_field_with_its_own_messages(self) -> None:
        kinds = {"files": FileKind.ATTACHMENT, "voice": FileKind.VOICE}
        errors = service.upload_errors(
            {"files": [upload(PNG), upload(b""), upload(b"")], "voice": [upload(GIF)]}, kinds
        )
        assert errors == {
            "files": ["The submitted file is empty.", "The submitted file is empty."],
            "voice": ["Upload a valid voice file (mp3, wav or ogg)."],
        }

    def test_valid_or_absent_files_have_no_errors(self) -> None:
        kinds = {"files": FileKind.ATTACHMENT, "voice": FileKind.VOICE}
        assert service.upload_errors({"files": [upload(GIF)], "voice": []}, kinds) == {}
