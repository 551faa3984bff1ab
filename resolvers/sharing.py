"""Subscription results shared between identical subscriptions in this process.

One bus event reaches every socket of a user; with each socket's ``messageEvents`` running
the same document, executing its selection set and encoding the result once per socket cost
about a millisecond each (a second for 1,000 sockets). Here they share the work:

1. the subscription's resolver builds each event's payload once per (event, viewer-visible
   data): the same object for every subscription of the same viewer, chat filter and base URL
   (``resolvers.messenger.shared_message_event``), and names its type ``SHAREABLE``;
2. ``SharedExecutor`` executes the selection set once per (payload, operation, variables,
   viewer) and hands the same result to every subscription that asks next;
3. ``next_message_json`` encodes that result's data once; each socket's ``next`` message is
   its own id around the shared text, byte for byte what encoding the whole message gives.

Only results computed without awaiting anything are shared: a selection that reaches a field
reading the database (``Message.chat``) runs per subscription, as before, and so does one
with errors (they carry per-operation details). Entries are kept for the last few events
only, and each is found by identity as well as by key, so a reused ``id`` never matches.
"""

from __future__ import annotations

import collections
import json
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult
from graphql.execution.executor import CollectedErrors
from typing_extensions import override

from resolvers.jsontext import graphql_json
from resolvers.plainfields import PlainFieldExecutor

if TYPE_CHECKING:
    from collections.abc import Hashable

# Payload types whose objects the resolvers build once per event and viewer-visible data.
SHAREABLE: set[type] = set()
KEPT = 256  # results (and encodings) remembered: the events of the last moments


class _Kept:
    """A small LRU of entries whose key objects are held, so identities stay unique."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()

    def get(self, key: Hashable) -> Any:
        return self.entries.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        self.entries[key] = value
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


class _SharedResult:
    __slots__ = ("operation", "result", "root")

    def __init__(self, root: object, operation: object, result: ExecutionResult) -> None:
        self.root, self.operation, self.result = root, operation, result


class _Encoded:
    __slots__ = ("data", "text")

    def __init__(self, data: object) -> None:
        self.data = data
        self.text: str | None = None


_results = _Kept(KEPT)
_encoded = _Kept(KEPT)
_UNKNOWN: Any = object()


def _canonical_text(variables: dict[str, Any]) -> str | None:
    """The variables as one text whatever their order; None when they have none."""
    try:
        return json.dumps(variables, sort_keys=True)
    except (TypeError, ValueError):
        return None


class SharedExecutor(PlainFieldExecutor):
    """The executor that reads plain fields directly (``resolvers.plainfields``), sharing
    the execution of a subscription event between the subscriptions that would compute the
    same result (see the module's docstring)."""

    reused = 0  # results handed to a further subscription (for tests and curiosity)
    _variables_text: str | None = _UNKNOWN  # worked out before the per-event copies

    @override
    def execute_operation(self, serially: bool | None = None) -> Any:
        key = self._sharing_key()
        if key is None:
            return super().execute_operation(serially)
        kept: _SharedResult | None = _results.get(key)
        if kept is not None and kept.root is self.root_value and kept.operation is self.operation:
            SharedExecutor.reused += 1
            return kept.result
        result = super().execute_operation(serially)
        # An awaitable result read something (the database): not shared.
        if isinstance(result, ExecutionResult) and not result.errors:
            _results.put(key, _SharedResult(self.root_value, self.operation, result))
            _encoded.put(id(result.data), _Encoded(result.data))
        return result

    @override
    def build_per_event_executor(self, payload: Any) -> Any:
        """graphql-core's copy of the subscription's executor for one event, made without
        ``copy.copy`` (its reduce protocol cost a tenth of a shared event per socket) and
        carrying the variables' canonical text, worked out once per subscription."""
        if self._variables_text is _UNKNOWN:
            self._variables_text = _canonical_text(self.variable_values.coerced)
        executor = object.__new__(type(self))
        executor.__dict__.update(self.__dict__)
        executor.root_value = payload
        executor.collected_errors = CollectedErrors()
        # Each event's field sets are its own: kept in the subscription's executor, one more
        # would pile up per event for as long as the socket lives.
        executor._field_sets = {}
        return executor

    def _sharing_key(self) -> tuple[Hashable, ...] | None:
        """What the result depends on: the payload (built per viewer-visible data), the
        operation, its variables and the viewer; None for anything not shareable."""
        if type(self.root_value) not in SHAREABLE:
            return None
        variables = self._variables_text
        if variables is _UNKNOWN:
            variables = _canonical_text(self.variable_values.coerced)
        if variables is None:
            return None  # variables with no canonical text: not worth a key
        viewer = getattr(self.context_value, "viewer", None)
        who = None if viewer is None else (viewer.user_id, viewer.is_admin)
        return (id(self.root_value), id(self.operation), variables, who)


def next_message_json(message: object) -> str | None:
    """A graphql-transport-ws ``next`` message carrying a shared result, as JSON (compact, as
    the view encodes everything); None for any other message."""
    if not isinstance(message, dict) or list(message) != ["id", "type", "payload"]:
        return None
    if message["type"] != "next":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or len(payload) != 1 or "data" not in payload:
        return None
    data = payload["data"]
    encoded: _Encoded | None = _encoded.get(id(data))
    if encoded is None or encoded.data is not data:
        return None
    if encoded.text is None:
        encoded.text = graphql_json(data).decode()
    operation_id = graphql_json(message["id"]).decode()
    return '{"id":' + operation_id + ',"type":"next","payload":{"data":' + encoded.text + "}}"
