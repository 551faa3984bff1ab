"""DRF's PageNumberPagination as seed 001 configured it: ``page``/``page_size`` (10, max 100),
``{count, next, previous, results}`` with absolute URLs, 404 "Invalid page." past the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.errors import NotFound

if TYPE_CHECKING:
    from starlette.requests import Request

PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


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


def page_params(request: Request) -> PageParams:
    """DRF: a bad ``page_size`` falls back to the default, a big one to the maximum; a page
    that is not a positive number (``last`` aside) is invalid."""
    raw_size = request.query_params.get("page_size", "")
    size = int(raw_size) if raw_size.isdigit() and int(raw_size) > 0 else PAGE_SIZE
    raw_page = request.query_params.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise InvalidPage
    return PageParams(number=int(raw_page), size=min(size, MAX_PAGE_SIZE))


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
