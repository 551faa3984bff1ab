"""The pages' own static files, served from the repository under ``/static/pages/`` and
pinned like GraphiQL's: each tag carries the file's sha384 as its ``integrity``, so a
changed file does not load until its pin here is updated too (a test compares them).

To update a pin: ``openssl dgst -sha384 -binary resolvers/static/pages/FILE | base64``.
"""

from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent.parent / "static" / "pages"
URL_PREFIX = "/static/pages/"

PINS = {
    "pages.css": "sha384-jZnPnpE4gels16kwLxuAP+1pq7k+wJtt6B3gZojACPN6H3YfS/R+HOEb2qdl5gC4",
    "dashboard.js": "sha384-GzRtwLA0VWuv5hWqkw0oXum9lq/jrMVMGcSlke6/KOqcNpgkUfjS0nyi0Z1XLpb7",
    "dashboard.graphql": "sha384-8MjjCqjbXLjzcjh1tznLc9f/KCjcorqLQB/3XntfUeybNmjjvjS1x5VIFoIFE+IC",
}


def url(name: str) -> str:
    return URL_PREFIX + name


def integrity(name: str) -> str:
    return PINS[name]
