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
    "pages.css": "sha384-qYE5mTnVmtrfe5Heg/fy1silffMljEzH4upY6sYE/JNsVhvBvusLVsBHyNT2mz5F",
    "dashboard.js": "sha384-4sQ4mVdBSaxa+KqIdynImeVa1eyXWFlMwOYvKiELapHEejGfRjx/5B7TTWFYgfix",
    "dashboard.graphql": "sha384-8MjjCqjbXLjzcjh1tznLc9f/KCjcorqLQB/3XntfUeybNmjjvjS1x5VIFoIFE+IC",
}


def url(name: str) -> str:
    return URL_PREFIX + name


def integrity(name: str) -> str:
    return PINS[name]
