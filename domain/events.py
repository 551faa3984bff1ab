"""Domain events: frozen dataclasses with an explicit channel and version.

They are serialised here, once, as JSON text (the bus publishes text only), and decoded back
into the same dataclass through a registry keyed by the event name.
"""

from __future__ import annotations

import dataclasses
import json
import typing
import uuid
from datetime import datetime
from typing import Any, ClassVar

from typing_extensions import override

_REGISTRY: dict[str, type[Event]] = {}


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


def _to_json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def encode(event: Event) -> str:
    payload = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    body = {"event": event.name, "v": event.version, "data": payload}
    return json.dumps(body, default=_to_json, separators=(",", ":"))


_FIELD_TYPES: dict[type[Event], dict[str, Any]] = {}


def _field_types(cls: type[Event]) -> dict[str, Any]:
    if cls not in _FIELD_TYPES:
        _FIELD_TYPES[cls] = typing.get_type_hints(cls)
    return _FIELD_TYPES[cls]


def _coerce(field_type: Any, value: Any) -> Any:
    if value is None:
        return None
    kinds = {field_type, *typing.get_args(field_type)}
    if uuid.UUID in kinds:
        return uuid.UUID(value)
    if datetime in kinds:
        return datetime.fromisoformat(value)
    return value


def decode(text: str) -> Event:
    try:
        body = json.loads(text)
        cls = _REGISTRY[body["event"]]
        data = body["data"]
        types = _field_types(cls)
        kwargs = {f.name: _coerce(types[f.name], data[f.name]) for f in dataclasses.fields(cls)}
        return cls(**kwargs)
    except (ValueError, KeyError, TypeError) as exc:
        raise EventDecodeError(f"undecodable event: {text[:80]!r}") from exc
