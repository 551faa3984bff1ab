"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with several keys for rotation.

The first key encrypts; every key decrypts, so a new key is put first and the old ones stay
until ``tghub rotate-secrets`` has re-encrypted the stored values.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from domain.errors import SecretUnreadable

if TYPE_CHECKING:
    from collections.abc import Sequence


def fernet_key(material: str) -> bytes:
    """A Fernet key as given (urlsafe base64 of 32 bytes), or derived from any passphrase."""
    try:
        if len(base64.urlsafe_b64decode(material.encode())) == 32:
            return material.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest())


class FernetBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(fernet_key(key)) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, ValueError):
            raise SecretUnreadable from None

    def rotate(self, token: str) -> str:
        """The same secret under the first (current) key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except (InvalidToken, ValueError):
            raise SecretUnreadable from None
