"""Use cases of stored files, for the aggregates that take uploads (accounts, messenger).

Callers check uploads with ``upload_errors`` while validating the rest of their input, then
store them with ``store_file`` inside their own unit of work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.files import repository, rules
from domain.files.model import StoredFile
from domain.files.rules import FileKind, Upload
from domain.text import is_storable

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping, Sequence

    from domain.ports import FileStore
    from domain.uow import SqlAlchemyUnitOfWork

# Other aggregates import this module only (the import contract): it offers the value types
# they pass in as well.
__all__ = ["FileKind", "StoredFile", "Upload", "find_file", "store_file", "upload_errors"]


def upload_errors(
    uploads: Mapping[str, Sequence[Upload]], kinds: Mapping[str, FileKind]
) -> dict[str, list[str]]:
    """Field -> messages for each field whose files are empty, too large or of a wrong type
    (``kinds`` names each field's kind); empty when every file may be stored."""
    errors: dict[str, list[str]] = {}
    for field, files in uploads.items():
        kind = kinds[field]
        messages = [message for upload in files for message in rules.file_errors(upload, kind)]
        if messages:
            errors[field] = messages
    return errors


async def store_file(
    uow: SqlAlchemyUnitOfWork,
    store: FileStore,
    upload: Upload,
    kind: FileKind,
    owner: uuid.UUID,
) -> str:
    """Save an upload (already checked by ``upload_errors``) and record it, in the caller's
    transaction; its storage key. The bytes are written at once: a rollback leaves them."""
    key = rules.storage_key(upload.filename)
    await store.save(key, upload.content)
    stored = StoredFile(
        key=key,
        kind=kind,
        content_type=rules.stored_content_type(upload),
        size=len(upload.content),
        owner_id=owner,
    )
    repository.add_stored_file(uow.session, stored)
    return key


async def find_file(uow: SqlAlchemyUnitOfWork, key: str) -> StoredFile | None:
    """The stored file of ``key`` (from a URL: any text); None when there is none."""
    if not is_storable(key):  # PostgreSQL text holds no NUL: no stored key could match
        return None
    return await repository.find_stored_file(uow.session, key)
