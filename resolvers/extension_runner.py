"""Strawberry's extension runner, without its per-result costs for hooks nobody defines.

A subscription event reaches every subscribed socket, and Strawberry runs two extension
steps per result and socket: ``on_stream_result`` (it looks up the hook of every extension
and wraps each found one in a new context manager) and ``get_extensions_results`` (it awaits
every extension's ``get_results``). With seven extensions and one of them streaming, that
was about a fifth of a thousand sockets' work per event. Here both steps visit only the
extensions that define them, and a plain-function ``on_stream_result`` is called as is.
What runs, and in which order, is what Strawberry runs.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.utils.await_maybe import await_maybe
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from strawberry.types import ExecutionContext, StreamExecutionResult

_DEFAULT_STREAM_HOOK = SchemaExtension.on_stream_result
_DEFAULT_RESULTS = SchemaExtension.get_results


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """The runner of one operation (Strawberry builds one per operation)."""

    _streaming: list[SchemaExtension] | None = None
    _plain_hooks: list[Callable[[StreamExecutionResult], object]] | None = None
    _reporting: list[SchemaExtension] | None = None

    @override
    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        if self._streaming is None:
            self._streaming = [e for e in self.extensions if _streams(e)]
            if all(_is_plain(type(e).on_stream_result) for e in self._streaming):
                self._plain_hooks = [e.on_stream_result for e in self._streaming]
        if self._plain_hooks is not None:
            return PlainStreamHooks(self._plain_hooks, result)
        # A generator or async hook: Strawberry's own context manager runs it.
        return StreamResultContextManager(self._streaming, result)

    @override
    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        if self._reporting is None:
            self._reporting = [
                e for e in self.extensions if type(e).get_results is not _DEFAULT_RESULTS
            ]
        data: dict[str, Any] = {}
        for extension in self._reporting:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


class PlainStreamHooks(StreamResultContextManager):
    """Calls each plain ``on_stream_result`` hook on entering, as Strawberry's wrapper of
    such a hook does (before its ``yield``); nothing happens on leaving."""

    def __init__(  # not Strawberry's: it would look every hook up again
        self, calls: list[Callable[[StreamExecutionResult], object]], result: StreamExecutionResult
    ) -> None:
        self.calls, self.result = calls, result

    @override
    def __enter__(self) -> None:
        for call in self.calls:
            call(self.result)

    @override
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        return None

    @override
    async def __aenter__(self) -> None:
        self.__enter__()

    @override
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        return None


def _streams(extension: SchemaExtension) -> bool:
    return type(extension).on_stream_result is not _DEFAULT_STREAM_HOOK


def _is_plain(hook: object) -> bool:
    return callable(hook) and not (
        inspect.isgeneratorfunction(hook)
        or inspect.isasyncgenfunction(hook)
        or inspect.iscoroutinefunction(hook)
    )
