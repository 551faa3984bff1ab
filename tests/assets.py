"""Pages of tghub's own pinned files (GraphiQL, the dashboard, the OpenAPI UIs): what a page
links to and the sha384 pins the links carry."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

from typing_extensions import override

EXTERNAL = ("http://", "https://", "//")


class Links(HTMLParser):
    """Every ``src``/``href`` of a page with the ``integrity`` pinned next to it (None when
    there is none), the elements' ids and ``data-`` attributes, and the inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str | None] = {}
        self.ids: set[str] = set()
        self.data: dict[str, str] = {}
        self.inline_scripts = 0

    @override
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        for name in ("src", "href"):
            if values.get(name):
                self.links[values[name]] = values.get("integrity")
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1
        self.data |= {k: v for k, v in values.items() if k.startswith("data-") and v}

    def external(self) -> list[str]:
        return [url for url in self.links if url.lower().startswith(EXTERNAL)]


def parse_links(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def sha384(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()
