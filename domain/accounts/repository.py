"""SQL of the accounts aggregate."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from domain.accounts.errors import UsernameTaken
from domain.accounts.model import AuthSession, User
from domain.errors import Invalid
from domain.text import contains_pattern, is_storable
from domain.types import Page, PageRequest

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession


async def find_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_username(session: AsyncSession, username: str) -> User | None:
    result = await session.execute(select(User).where(User.username == username))
    return result.scalar_one_or_none()


async def add_user(session: AsyncSession, user: User) -> None:
    """Insert now; raises UsernameTaken when the name is (concurrently) taken."""
    session.add(user)
    # Two concurrent registrations of one name both pass the lookup: the unique index decides.
    try:
        await session.flush()
    except IntegrityError as exc:
        raise UsernameTaken from exc


# Django's mark of a password that matches nothing; argon2 cannot read it, so no login.
UNUSABLE_PASSWORD = "!"  # noqa: S105 - no password: a hash no password matches


async def find_service_user(session: AsyncSession, username: str) -> uuid.UUID | None:
    query = select(User.id).where(
        User.username == username, User.password_hash == UNUSABLE_PASSWORD
    )
    found: uuid.UUID | None = await session.scalar(query)
    return found


async def ensure_service_user(session: AsyncSession, username: str) -> uuid.UUID:
    """The id of tghub's own user of this name, inserted when missing: inactive, with an
    unusable password. ``INSERT … ON CONFLICT DO NOTHING`` then a read, so two concurrent
    first uses make one row (the loser waits for the winner's commit, then reads its row)."""
    await session.execute(
        insert(User)
        .values(
            id=uuid.uuid4(),
            username=username,
            password_hash=UNUSABLE_PASSWORD,
            is_active=False,
        )
        .on_conflict_do_nothing(index_elements=[User.username])
    )
    found = await find_service_user(session, username)
    if found is None:  # pragma: no cover - the insert or the conflicting row put it there
        raise RuntimeError(f"service user {username!r} vanished")
    return found


def add_auth_session(session: AsyncSession, family: AuthSession) -> None:
    session.add(family)


async def users_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[User]:
    result = await session.execute(select(User).where(User.id.in_(ids)))
    return list(result.scalars())


async def count_active_users(session: AsyncSession, ids: Sequence[uuid.UUID]) -> int:
    """How many of these ids name an active, undeleted user."""
    stmt = select(func.count()).where(User.id.in_(ids), User.is_active, User.deleted_at.is_(None))
    return int(await session.scalar(stmt) or 0)


async def find_auth_session(session: AsyncSession, session_id: uuid.UUID) -> AuthSession | None:
    return await session.get(AuthSession, session_id)


async def lock_auth_session(session: AsyncSession, session_id: uuid.UUID) -> AuthSession | None:
    stmt = select(AuthSession).where(AuthSession.id == session_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_session_with_user(
    session: AsyncSession, session_id: uuid.UUID
) -> tuple[AuthSession, User] | None:
    stmt = (
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.id == session_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


def user_sort_key(user: User) -> tuple[str, str]:
    """The keyset of ``list_users``: its ORDER BY, as text."""
    return (user.username, str(user.id))


def _user_key(after: tuple[str, ...]) -> tuple[str, uuid.UUID]:
    try:
        username, user_id = after
        if not is_storable(username):
            raise ValueError(username)
        return username, uuid.UUID(user_id)
    except ValueError as exc:
        raise Invalid({"after": ["Invalid cursor."]}, message="Invalid cursor.") from exc


def search_users(search: str | None, exclude: uuid.UUID | None) -> Select[User]:
    """Users matching every word of ``search`` in username or names (case-insensitive)."""
    stmt = select(User).where(User.is_active, User.deleted_at.is_(None))
    if exclude is not None:
        stmt = stmt.where(User.id != exclude)
    for word in (search or "").split():
        pattern = contains_pattern(word)
        stmt = stmt.where(
            or_(
                User.username.ilike(pattern, escape="\\"),
                User.first_name.ilike(pattern, escape="\\"),
                User.last_name.ilike(pattern, escape="\\"),
            )
        )
    return stmt


async def list_users(
    session: AsyncSession, page: PageRequest, *, search: str | None, exclude: uuid.UUID | None
) -> Page[User]:
    base = search_users(search, exclude)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    stmt = base.order_by(User.username, User.id).limit(page.first + 1)
    if page.after is not None:
        username, user_id = _user_key(page.after)
        stmt = stmt.where(tuple_(User.username, User.id) > tuple_(username, user_id))
    rows = list((await session.execute(stmt)).scalars())
    return Page(items=rows[: page.first], has_next=len(rows) > page.first, total=total or 0)


async def save_presence(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    last_online_at: datetime | None,
    announced: bool,
) -> None:
    """A targeted UPDATE: the viewer's row is loaded by another session (the request's auth)."""
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(last_online_at=last_online_at, online_announced=announced)
    )


async def silent_online_users(session: AsyncSession, silent_since: datetime) -> list[User]:
    """Users announced online whose last activity is older than ``silent_since``, locked and
    marked offline in this transaction (concurrent sweepers skip what another one took)."""
    stmt = (
        select(User)
        .where(User.online_announced, User.last_online_at < silent_since)
        .with_for_update(skip_locked=True)
    )
    users = list((await session.execute(stmt)).scalars())
    if users:
        await session.execute(
            update(User).where(User.id.in_([u.id for u in users])).values(online_announced=False)
        )
    return users


async def live_sessions(session: AsyncSession, user_id: uuid.UUID) -> list[AuthSession]:
    stmt = select(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    return list((await session.execute(stmt)).scalars())


async def users_page(
    session: AsyncSession, *, search: str | None, exclude: uuid.UUID | None, offset: int, limit: int
) -> Page[User]:
    base = search_users(search, exclude)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    stmt = base.order_by(User.username, User.id).offset(offset).limit(limit)
    rows = list((await session.execute(stmt)).scalars())
    return Page(items=rows, has_next=offset + len(rows) < (total or 0), total=total or 0)
