"""Strawberry's extension runner, without its per-result costs for hooks nobody defines.

A subscription event reaches every subscribed socket, and Strawberry runs two extension
steps per result and socket: ``on_stream_result`` (it looks up the hook of every extension
and wraps each found one in a new context manager) and ``get_extensions_results`` (it awaits
every extension's ``get_results``). With seven extensions and one of them streaming, that
was about a fifth of a thousand sockets' work per event. Here both steps visit only the
extensions that define them, and a plain-function ``on_stream_result`` is called as is.
What runs, and in which order, is what Strawberry runs.

The four stages of every operation (operation, parsing, validation, execution) wrap each
generator hook in the context manager contextlib would make of it, without the decorated
function contextlib builds on the way (about 1 % of a chat page's CPU).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from typing import TYPE_CHECKING, Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    StreamResultContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.utils.await_maybe import await_maybe
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from strawberry.types import ExecutionContext, StreamExecutionResult

_DEFAULT_STREAM_HOOK = SchemaExtension.on_stream_result
_DEFAULT_RESULTS = SchemaExtension.get_results


class _GeneratorHooks:
    """What Strawberry's stage context managers do with a generator hook, without building
    a decorated function for it on every request: ``contextlib.contextmanager`` copies the
    hook's name and docstring onto a new function (``functools.update_wrapper``) before
    making the same context manager, for each hook of each operation. Other hooks take
    Strawberry's own way."""

    __slots__ = ()
    HOOK_NAME: str

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        hook = getattr(type(extension), self.HOOK_NAME)
        kind = _generator_kind(hook)
        if kind is None:
            return super().get_hook(extension)  # type: ignore[misc, no-any-return]
        factory = functools.partial(kind, hook, (extension,), {})
        return WrappedHook(
            extension=extension, hook=factory, is_async=kind is _ASYNC_GENERATOR_CONTEXT
        )


# What contextlib's contextmanager() and asynccontextmanager() make of a generator.
_GENERATOR_CONTEXT: Any = contextlib._GeneratorContextManager
_ASYNC_GENERATOR_CONTEXT: Any = contextlib._AsyncGeneratorContextManager


@functools.cache
def _generator_kind(hook: object) -> Any:
    """The context manager class contextlib makes of a generator hook; None for others."""
    if inspect.isgeneratorfunction(hook):
        return _GENERATOR_CONTEXT
    if inspect.isasyncgenfunction(hook):
        return _ASYNC_GENERATOR_CONTEXT
    return None


class _Operation(_GeneratorHooks, OperationContextManager):
    __slots__ = ()


class _Parsing(_GeneratorHooks, ParsingContextManager):
    __slots__ = ()


class _Validation(_GeneratorHooks, ValidationContextManager):
    __slots__ = ()


class _Executing(_GeneratorHooks, ExecutingContextManager):
    __slots__ = ()


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """The runner of one operation (Strawberry builds one per operation)."""

    @override
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    @override
    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    @override
    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    @override
    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

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
