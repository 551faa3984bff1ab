"""DRF's PageNumberPagination as seed 001 configured it: ``page``/``page_size`` (10, max 100),
``{count, next, previous, results}`` with absolute URLs, 404 "Invalid page." past the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from domain.errors import Invalid, NotFound
from domain.text import text_errors

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

    from domain.types import Page

T = TypeVar("T")

PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
# Pages past this would need an offset beyond PostgreSQL's bigint: no such page.
MAX_PAGE_NUMBER = (2**63 - 1) // MAX_PAGE_SIZE
LAST = -1  # ``?page=last``, resolved once the count is known


class InvalidPage(NotFound):
    def __init__(self) -> None:
        super().__init__("page", message="Invalid page.")


@dataclass(frozen=True)
class PageParams:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _positive(raw: str) -> int | None:
    """A positive decimal number of sane length (``str.isdigit`` alone accepts "²")."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    return int(raw) or None


def page_params(request: Request) -> PageParams:
    """DRF: a bad ``page_size`` falls back to the default, a big one to the maximum; an empty
    ``page`` is the first, ``last`` the last; anything else not a positive number is invalid."""
    size = _positive(request.query_params.get("page_size", "")) or PAGE_SIZE
    raw_page = request.query_params.get("page") or "1"
    number = LAST if raw_page == "last" else _positive(raw_page)
    if number is None or number > MAX_PAGE_NUMBER:
        raise InvalidPage
    return PageParams(number=number, size=min(size, MAX_PAGE_SIZE))


async def fetch_page(
    request: Request, fetch: Callable[[int, int], Awaitable[Page[T]]]
) -> tuple[PageParams, Page[T]]:
    """The requested page through ``fetch(offset, limit)``; ``last`` costs one count more."""
    params = page_params(request)
    if params.number == LAST:
        total = (await fetch(0, 0)).total
        params = PageParams(number=max(1, -(-total // params.size)), size=params.size)
    return params, await fetch(params.offset, params.size)


def _page_url(request: Request, number: int) -> str:
    if number == 1:
        return str(request.url.remove_query_params("page"))
    return str(request.url.include_query_params(page=number))


def envelope(
    request: Request, params: PageParams, total: int, results: list[Any]
) -> dict[str, Any]:
    """The page body; raises InvalidPage for a page past the last (page 1 always exists)."""
    pages = max(1, -(-total // params.size))
    if params.number > pages:
        raise InvalidPage
    return {
        "count": total,
        "next": _page_url(request, params.number + 1) if params.number < pages else None,
        "previous": _page_url(request, params.number - 1) if params.number > 1 else None,
        "results": results,
    }


def search_param(request: Request) -> str | None:
    """The list's ``?search=`` words; Invalid for text no row could hold."""
    search = request.query_params.get("search")
    if search is not None and text_errors(search):
        raise Invalid({"search": text_errors(search)})
    return search
