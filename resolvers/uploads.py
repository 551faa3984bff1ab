"""The GraphQL multipart request spec, read strictly: a malformed ``map`` is the client's 400.

Strawberry trusts the ``map`` field: a list where an object belongs, or a path naming nothing
in ``operations`` (``variables.f.5`` with ``"f": []``), fails inside it as a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from starlette.datastructures import UploadFile

from domain.files.rules import Upload

if TYPE_CHECKING:
    from collections.abc import Mapping

MAP_SHAPE = "The multipart 'map' must be an object of file field names to lists of paths."


def bad_request(message: str) -> HTTPException:
    return HTTPException(400, message)


def with_files(operations: object, files_map: object, files: Mapping[str, Any]) -> Any:
    """``operations`` with each path of ``files_map`` replaced by its file; raises 400."""
    if not isinstance(operations, dict | list):
        raise bad_request("The multipart 'operations' must be an object or a list.")
    if not isinstance(files_map, dict):
        raise bad_request(MAP_SHAPE)
    for field, paths in files_map.items():
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise bad_request(MAP_SHAPE)
        if field not in files:
            raise bad_request(f"The multipart 'map' names a file field {field!r} not sent.")
        for path in paths:
            _place(operations, path, files[field])
    return operations


def _place(operations: dict[str, Any] | list[Any], path: str, file: object) -> None:
    *parents, last = path.split(".")
    target: Any = operations
    for key in parents:
        target = _child(target, key, path)
    if isinstance(target, list):
        target[_index(target, last, path)] = file
    elif isinstance(target, dict):
        target[last] = file
    else:
        raise _no_value(path)


def _child(container: object, key: str, path: str) -> Any:
    if isinstance(container, list):
        return container[_index(container, key, path)]
    if isinstance(container, dict) and key in container:
        return container[key]
    raise _no_value(path)


def _index(items: list[Any], key: str, path: str) -> int:
    if not (key.isascii() and key.isdigit() and len(key) < 10) or int(key) >= len(items):
        raise _no_value(path)
    return int(key)


def _no_value(path: str) -> HTTPException:
    return bad_request(f"The multipart 'map' path {path[:200]!r} names no value in 'operations'.")


async def upload_of(file: object) -> Upload | None:
    """A GraphQL multipart upload (Starlette's UploadFile) as the domain's Upload."""
    if not isinstance(file, UploadFile):
        return None
    return Upload(file.filename or "file", await file.read(), file.content_type)
