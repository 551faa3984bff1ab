"""Who is acting: the one argument every service call checks its own rule against.

Transports authenticate (a token, HTTP Basic, a legacy group the operator opened) and hand
the service an actor; the service decides what that actor may do. Three kinds exist:

- a signed-in user (``domain.accounts.service.Viewer``), an admin or not;
- ``System``: tghub itself (a job, a command line tool, a sweep): allowed everything;
- ``Guest``: an anonymous caller admitted to a legacy group the operator opened, who sees
  what that group's original service showed to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from domain.errors import PermissionDenied, Unauthenticated

if TYPE_CHECKING:
    import uuid


class Actor(Protocol):
    @property
    def user_id(self) -> uuid.UUID | None:
        """The acting user; None for tghub itself and for guests."""

    @property
    def is_admin(self) -> bool: ...


@dataclass(frozen=True)
class System:
    """tghub acting on its own behalf; ``task`` names what for (logs)."""

    task: str
    user_id: None = None
    is_admin: bool = True


@dataclass(frozen=True)
class Guest:
    """An anonymous caller admitted to the open legacy ``group``."""

    group: str
    user_id: None = None
    is_admin: bool = False


def require_admin(actor: Actor) -> None:
    """Admin-only work: tghub itself and admins; FORBIDDEN for anyone else."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins may do this.")


def admits(actor: Actor, group: str) -> bool:
    """Whether ``actor`` may use a legacy group's use cases: admins and tghub itself, and a
    guest of that group once the operator opened it (the original services had no
    authentication; its callers did what anyone could). A signed-in non-admin may not."""
    return actor.is_admin or (isinstance(actor, Guest) and actor.group == group)


def require_admitted(actor: Actor, group: str) -> None:
    """``admits`` or FORBIDDEN, in DRF's words (the legacy routes answer them)."""
    if not admits(actor, group):
        raise PermissionDenied


def require_user(actor: Actor) -> uuid.UUID:
    """The acting user's id, for work only a user does (a chat member, a profile owner)."""
    if actor.user_id is None:
        raise Unauthenticated
    return actor.user_id
