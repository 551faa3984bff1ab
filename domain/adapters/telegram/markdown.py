"""Markdown as Telegram receives it: Telethon's own parser, for both gateways.

Telegram stores a post as plain text plus formatting entities; Telethon's Markdown (its
client's ``"md"`` parse mode, ``telethon.extensions.markdown``) makes them. Both gateways
parse with it, so the simulated world keeps the text and entities Telegram would, and both
refuse what Telegram would refuse (an empty post, one over 4096 characters once parsed)
before anything is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telethon.extensions import markdown

from domain.errors import Invalid
from domain.telegram.rules import MAX_MESSAGE_LENGTH, utf16_length

if TYPE_CHECKING:
    from collections.abc import Callable

    from telethon.tl.types import TypeMessageEntity

# Telethon's parser is unannotated; this gives it its real type once.
_parse: Callable[[str], tuple[str, list[TypeMessageEntity]]] = markdown.parse


def parse_post(text: str) -> tuple[str, list[TypeMessageEntity]]:
    """The plain text and entities Telegram gets for ``text`` (Markdown); ``Invalid`` (field
    ``text``) when Telegram would refuse the post: nothing left to send, or too long."""
    plain, entities = _parse(text)
    if not plain.strip():
        raise _refused("The post has no text once its Markdown is applied.")
    size = utf16_length(plain)
    if size > MAX_MESSAGE_LENGTH:
        raise _refused(
            f"A post is at most {MAX_MESSAGE_LENGTH} characters once its Markdown is applied; "
            f"this one has {size}."
        )
    # Telethon's client drops empty spans before sending (Telegram refuses them); so do we.
    return plain, [entity for entity in entities if entity.length > 0]


def _refused(message: str) -> Invalid:
    # The same words as the message: a failed job shows only the message.
    return Invalid({"text": [message]}, message)
