"""Small value types shared by aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, NewType, TypeVar

if TYPE_CHECKING:
    from collections.abc import Sequence

TelegramID = NewType("TelegramID", int)

# PostgreSQL's integer and bigint: an id past them names no row (and must not reach a query).
INT_MAX = 2**31 - 1
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def fits_int(value: int) -> bool:
    """Whether ``value`` can be an integer primary key (PostgreSQL's integer)."""
    return -INT_MAX - 1 <= value <= INT_MAX


def fits_bigint(value: int) -> bool:
    return BIGINT_MIN <= value <= BIGINT_MAX


T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class PageRequest:
    """Keyset page: ``after`` is the sort key of the last item already seen.

    Lists that page both ways (Relay's ``last``/``before``) also read ``last``: given, the page
    holds the ``last`` items just before ``before`` (or the end of the list); ``after`` and
    ``before`` together bound the list on both sides. Lists that page forward only are never
    given them."""

    first: int = DEFAULT_PAGE_SIZE
    after: tuple[str, ...] | None = None
    last: int | None = None
    before: tuple[str, ...] | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        return self.first if self.last is None else self.last


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_next: bool
    total: int
    # Whether items come before the first one, as a backward page finds out (a forward
    # page's connection says so when it was asked for the items after a cursor).
    has_previous: bool = False
