"""Request fields of seed 001's routes: JSON or multipart, with files and id lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from domain.errors import Invalid, NotFound
from domain.files.rules import Upload
from resolvers.rest.drf import read_body

if TYPE_CHECKING:
    from starlette.requests import Request

MULTIPART = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass
class Form:
    """Plain fields (the last value of each), repeated fields, and uploaded files."""

    data: dict[str, Any]
    lists: dict[str, list[Any]] = field(default_factory=dict)
    files: dict[str, list[Upload]] = field(default_factory=dict)

    def upload(self, name: str) -> Upload | None:
        found = self.files.get(name, [])
        return found[-1] if found else None


async def read_form(request: Request) -> Form:
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith(MULTIPART):
        return Form(data=await read_body(request))
    try:
        form = await request.form(max_files=20, max_fields=200)
    except HTTPException as exc:
        if exc.status_code == 413:  # the body limit, met while streaming
            raise
        raise Invalid({}, message=f"Multipart form parse error - {exc.detail}") from exc
    data: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    files: dict[str, list[Upload]] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read()
            files.setdefault(name, []).append(
                Upload(value.filename or "file", content, value.content_type)
            )
        else:
            data[name] = value
            lists.setdefault(name, []).append(value)
    return Form(data=data, lists=lists, files=files)


def uuid_list(form: Form, name: str) -> list[uuid.UUID] | None:
    """An id list from a JSON array, repeated form fields, or one comma-separated field."""
    raw: Any = form.lists.get(name) if name in form.lists else form.data.get(name)
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise Invalid.single(name, f'Expected a list of items but got type "{type(raw).__name__}".')
    parts = [p.strip() for item in raw for p in str(item).split(",") if p.strip()]
    try:
        return [uuid.UUID(part) for part in parts]
    except ValueError as exc:
        raise Invalid.single(name, "Must be a list of valid UUIDs.") from exc


def boolean(form: Form, name: str, *, required: bool) -> bool | None:
    """DRF's BooleanField: true/false, 1/0, on/off, yes/no (any case)."""
    value = form.data.get(name)
    if value is None or value == "":
        if required:
            raise Invalid.single(name, "This field is required.")
        return None
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in {"true", "1", "on", "yes"}:
        return True
    if text in {"false", "0", "off", "no"}:
        return False
    raise Invalid.single(name, "Must be a valid boolean.")


def path_uuid(request: Request, name: str, entity: str) -> uuid.UUID:
    """A UUID path parameter; anything else names nothing (404, as Django's URL converter)."""
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError as exc:
        raise NotFound(entity) from exc
