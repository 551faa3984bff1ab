"""Domain events: frozen dataclasses with an explicit channel and version.

They are serialised here, once, as JSON text (the bus publishes text only), and decoded back
into the same dataclass through a registry keyed by the event name. Fields may hold UUIDs,
datetimes, other frozen dataclasses (a message card) and lists or tuples of these; a field
made with ``routing()`` decides where the event goes and never travels with it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
import uuid
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from typing_extensions import override

_REGISTRY: dict[str, type[Event]] = {}
T = TypeVar("T")
_ROUTING = "routing"  # field metadata key: the field stays in the publishing process


class EventDecodeError(ValueError):
    """A message on the bus is not an event this process understands."""


@dataclasses.dataclass(frozen=True)
class Event:
    name: ClassVar[str] = "event"
    version: ClassVar[int] = 1

    @override
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
            raise TypeError(f"duplicate event name {cls.name!r}")
        _REGISTRY[cls.name] = cls

    @property
    def channel(self) -> str:
        raise NotImplementedError

    @property
    def channels(self) -> tuple[str, ...]:
        """Where the event is published: its channel, unless it goes to several."""
        return (self.channel,)


def routing(default: tuple[Any, ...] = ()) -> Any:
    """A field that says where the event is published and is not part of it: not encoded,
    left at ``default`` when decoded, and ignored by equality."""
    return dataclasses.field(default=default, compare=False, repr=False, metadata={_ROUTING: True})


_WIRE_FIELDS: dict[type[Any], tuple[str, ...]] = {}


def _wire_fields(cls: type[Any]) -> tuple[str, ...]:
    """The names of the fields that travel, looked up once per class (a batch event has a
    thousand items to encode)."""
    if cls not in _WIRE_FIELDS:
        fields = dataclasses.fields(cls)
        _WIRE_FIELDS[cls] = tuple(f.name for f in fields if not f.metadata.get(_ROUTING))
    return _WIRE_FIELDS[cls]


# --- encoding ----------------------------------------------------------------------------------


# Values json.dumps (with ``_to_json``) takes as they are: the common case, checked first.
_LEAVES = (str, int, float, bool, type(None), datetime, uuid.UUID)


def compact(cls: type[T]) -> type[T]:
    """A dataclass sent as a JSON array of its fields, in order, rather than an object: for
    the items of a batch event (a thousand names repeated in every message otherwise)."""
    cls.__compact_wire__ = True  # type: ignore[attr-defined]
    return cls


def _is_compact(cls: type[Any]) -> bool:
    return getattr(cls, "__compact_wire__", False) is True


def _plain(value: Any) -> Any:
    """Dataclasses as objects (``compact`` ones as arrays) and tuples as lists, recursively;
    other values as they are."""
    if isinstance(value, _LEAVES):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _wire_fields(type(value))
        if _is_compact(type(value)):
            return [_plain(getattr(value, name)) for name in names]
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _to_json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def encode(event: Event) -> str:
    body = {"event": event.name, "v": event.version, "data": _plain(event)}
    return json.dumps(body, default=_to_json, separators=(",", ":"))


# --- decoding ----------------------------------------------------------------------------------

_FIELD_TYPES: dict[type[Any], dict[str, Any]] = {}
_SCALARS = (str, int, float, bool)


def _field_types(cls: type[Any]) -> dict[str, Any]:
    if cls not in _FIELD_TYPES:
        _FIELD_TYPES[cls] = typing.get_type_hints(cls)
    return _FIELD_TYPES[cls]


def _build(cls: type[Any], data: Any) -> Any:
    """An instance of the dataclass ``cls`` from its JSON object (array, if ``compact``)."""
    types_, names = _field_types(cls), _wire_fields(cls)
    if _is_compact(cls):
        if not isinstance(data, list) or len(data) != len(names):
            raise TypeError(f"{cls.__name__} expects an array of {len(names)}")
        return cls(*[_coerce(types_[name], item) for name, item in zip(names, data, strict=True)])
    if not isinstance(data, dict):
        raise TypeError(f"{cls.__name__} expects an object")
    return cls(**{name: _coerce(types_[name], data[name]) for name in names})


def _coerce_union(field_type: Any, value: Any) -> Any:
    options = [t for t in typing.get_args(field_type) if t is not type(None)]
    if value is None:
        if len(options) == len(typing.get_args(field_type)):
            raise TypeError("null where a value is required")
        return None
    return _coerce(options[0], value) if len(options) == 1 else value


def _coerce_sequence(field_type: Any, value: Any) -> Any:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    item_type = typing.get_args(field_type)[0] if typing.get_args(field_type) else Any
    items = [_coerce(item_type, item) for item in value]
    return tuple(items) if typing.get_origin(field_type) is tuple else items


def _coerce(field_type: Any, value: Any) -> Any:
    """``value`` (decoded JSON) as the declared ``field_type``; TypeError or ValueError when
    it cannot be one."""
    origin = typing.get_origin(field_type)
    if origin is typing.Union or origin is types.UnionType:
        return _coerce_union(field_type, value)
    if value is None:
        raise TypeError("null where a value is required")
    if origin is tuple or origin is list:
        return _coerce_sequence(field_type, value)
    if field_type is uuid.UUID:
        return uuid.UUID(value)
    if field_type is datetime:
        return datetime.fromisoformat(value)
    if isinstance(field_type, type) and dataclasses.is_dataclass(field_type):
        return _build(field_type, value)
    if field_type in _SCALARS and not isinstance(value, field_type):
        raise TypeError(f"expected {field_type.__name__}")
    return value


def decode(text: str) -> Event:
    """The event a bus message carries; EventDecodeError for anything else (another
    version of it included: its fields may mean something else)."""
    try:
        body = json.loads(text)
        cls = _REGISTRY[body["event"]]
        if body["v"] != cls.version:
            raise ValueError(f"version {body['v']!r} of {cls.name}")
        event: Event = _build(cls, body["data"])
        return event
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EventDecodeError(f"undecodable event: {text[:80]!r}") from exc
