"""Small value types shared by aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, NewType, TypeVar

if TYPE_CHECKING:
    from collections.abc import Sequence

TelegramID = NewType("TelegramID", int)

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageRequest:
    """Keyset page: ``after`` is the sort key of the last item already seen."""

    first: int = 20
    after: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_next: bool
    total: int
