"""Legacy JSON shapes shared by several legacy routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.accounts import rules

if TYPE_CHECKING:
    from datetime import datetime

    from domain.accounts.model import User
    from domain.accounts.service import TokenPair


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def user_json(user: User, now: datetime) -> dict[str, Any]:
    """Seed 001's user object."""
    return {
        "id": str(user.id),
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "bio": user.bio,
        "avatar": None,
        "is_online": rules.is_online(user.last_online_at, now),
        "last_online_at": iso(user.last_online_at),
    }


def token_pair_json(pair: TokenPair) -> dict[str, str]:
    return {"access": pair.access, "refresh": pair.refresh}
