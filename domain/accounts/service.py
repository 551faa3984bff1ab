"""Use cases of the accounts aggregate."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.access import require_admin, require_user
from domain.accounts import repository, rules
from domain.accounts.errors import InvalidCredentials, InvalidToken, TokenExpired, UsernameTaken
from domain.accounts.events import AccountChanged, PresenceChanged, SessionRevoked
from domain.accounts.model import AuthSession, Role, User
from domain.accounts.rules import TokenClaims, TokenType, UsernamePolicy
from domain.errors import Invalid, NotFound, PermissionDenied, RateLimited
from domain.files import service as files
from domain.text import check_storable, is_storable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from domain.access import Actor
    from domain.accounts.session_cache import SessionCache
    from domain.files.service import Upload
    from domain.ports import AuthPorts, Clock, FileStore, PasswordHasher
    from domain.types import Page, PageRequest
    from domain.uow import SqlAlchemyUnitOfWork


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    session_id: uuid.UUID


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller of one request."""

    user: User
    # None for HTTP Basic callers of legacy routes: they have no token family.
    session_id: uuid.UUID | None
    # When the presented access token expires (its ``exp``); None without a token.
    expires_at: datetime | None = None

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


async def register_user(
    uow: SqlAlchemyUnitOfWork,
    auth: AuthPorts,
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    bio: str | None = None,
    policy: UsernamePolicy = UsernamePolicy.STRICT,
    avatar: tuple[Upload, FileStore] | None = None,
) -> User:
    """Create a ``user``-role account (with an avatar: the upload and the file store it
    goes to); raises Invalid or UsernameTaken. Commits."""
    errors = rules.registration_errors(
        username=username,
        password=password,
        first_name=first_name,
        last_name=last_name,
        policy=policy,
        bio=bio,
    )
    if avatar is not None:
        errors |= _avatar_errors(avatar[0])
    if errors:
        raise Invalid(errors)
    if await repository.find_user_by_username(uow.session, username) is not None:
        raise UsernameTaken
    user = User(
        username=username,
        password_hash=await auth.hasher.hash(password),
        first_name=first_name,
        last_name=last_name,
        bio=bio,
        role=Role.USER,
    )
    await repository.add_user(uow.session, user)
    if avatar is not None:
        upload, store = avatar
        user.avatar = await files.store_file(uow, store, upload, files.FileKind.AVATAR, user.id)
    await uow.commit()
    return user


def _login_budgets(auth: AuthPorts, *, username: str, client: str) -> dict[str, int]:
    # Per name and address, so guessing is slowed without letting others lock a user out;
    # per address too (more generously: offices share one), so spraying names is slowed.
    limit = auth.login_attempts_per_minute
    return {
        f"login:{client}:{username.lower()}": limit,
        f"login:{client}": limit * rules.ADDRESS_LOGIN_FACTOR,
    }


async def _limit_login_attempts(auth: AuthPorts, budgets: dict[str, int]) -> None:
    for key, budget in budgets.items():
        retry_after = await auth.limiter.hit(key, limit=budget, window_seconds=60)
        if retry_after is not None:
            raise RateLimited(retry_after, "Too many login attempts; try again later.")


async def authenticate(
    uow: SqlAlchemyUnitOfWork,
    auth: AuthPorts,
    *,
    username: str,
    password: str,
    client: str = "unknown",
) -> User:
    """The active user with these credentials; raises RateLimited or InvalidCredentials.

    Every attempt is counted before the check (so concurrent guesses cannot overtake the
    limit) and a successful one is taken back: only failures use up the budget, so a client
    sending its valid credentials with each request (HTTP Basic) is never limited. Ends the
    read transaction before hashing, so a slow verification holds no connection.
    """
    if not (is_storable(username) and is_storable(password)):
        raise InvalidCredentials  # no stored name or hash could match such text
    budgets = _login_budgets(auth, username=username, client=client)
    await _limit_login_attempts(auth, budgets)
    user = await repository.find_user_by_username(uow.session, username)
    await uow.release()
    stored = user.password_hash if user is not None and user.is_active else None
    if not await auth.hasher.verify(stored, password) or user is None:
        raise InvalidCredentials
    for key in budgets:
        await auth.limiter.refund(key)
    return user


async def login(
    uow: SqlAlchemyUnitOfWork,
    auth: AuthPorts,
    *,
    username: str,
    password: str,
    client: str = "unknown",
) -> TokenPair:
    """Start a new token family for valid credentials; raises RateLimited. Commits."""
    user = await authenticate(uow, auth, username=username, password=password, client=client)
    now = auth.clock.now()
    family = _new_family(uow, auth, user, now)
    await uow.commit()
    return _issue(auth, family, now)


def _new_family(
    uow: SqlAlchemyUnitOfWork, auth: AuthPorts, user: User, now: datetime
) -> AuthSession:
    family = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        current_jti=uuid.uuid4().hex,
        generation=0,
        created_at=now,
        expires_at=now + timedelta(seconds=auth.refresh_ttl),
    )
    repository.add_auth_session(uow.session, family)
    return family


def _issue(auth: AuthPorts, family: AuthSession, now: datetime) -> TokenPair:
    def claims(token_type: TokenType, jti: str) -> TokenClaims:
        return TokenClaims(family.user_id, family.id, family.generation, token_type, jti)

    access = rules.build_claims(
        claims(TokenType.ACCESS, uuid.uuid4().hex), issued_at=now, ttl_seconds=auth.access_ttl
    )
    refresh = rules.build_claims(
        claims(TokenType.REFRESH, family.current_jti),
        issued_at=now,
        ttl_seconds=auth.refresh_ttl,
    )
    return TokenPair(auth.tokens.encode(access), auth.tokens.encode(refresh), family.id)


def _family_state(family: AuthSession) -> rules.FamilyState:
    return rules.FamilyState(
        generation=family.generation,
        current_jti=family.current_jti,
        expires_at=family.expires_at,
        revoked=family.revoked_at is not None,
        previous_jti=family.previous_jti,
        rotated_at=family.rotated_at,
    )


def read_token(auth: AuthPorts, token: str, expected: TokenType | None) -> TokenClaims:
    """Signature, expiry and shape of a token; raises InvalidToken."""
    claims = rules.parse_claims(auth.tokens.decode(token))
    if claims is None or (expected is not None and claims.token_type is not expected):
        raise InvalidToken
    return claims


async def refresh_tokens(
    uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, refresh_token: str
) -> TokenPair:
    """Rotate a family. The token rotated just before, within the grace window, gets the
    current pair (clients refresh concurrently); any other reuse of an old refresh token
    revokes the family (emits SessionRevoked). Commits."""
    claims = read_token(auth, refresh_token, TokenType.REFRESH)
    family = await repository.lock_auth_session(uow.session, claims.session_id)
    user = None if family is None else await repository.find_user(uow.session, family.user_id)
    if family is None or user is None or not user.is_active:
        raise InvalidToken
    now = auth.clock.now()
    verdict = rules.judge_refresh(_family_state(family), claims, now, grace=auth.refresh_grace)
    if verdict is rules.RefreshVerdict.GRACE:
        return _current_pair(auth, family, now)
    if verdict is rules.RefreshVerdict.REUSED:
        _revoke(uow, family, now, reason="refresh_reused")
        await uow.commit()
    if verdict is not rules.RefreshVerdict.ROTATE:
        raise InvalidToken
    family.previous_jti, family.rotated_at = family.current_jti, now
    family.generation += 1
    family.current_jti = uuid.uuid4().hex
    family.expires_at = now + timedelta(seconds=auth.refresh_ttl)
    _changed(uow, family.user_id)  # the previous generation's access tokens die
    await uow.commit()
    return _issue(auth, family, now)


def _current_pair(auth: AuthPorts, family: AuthSession, now: datetime) -> TokenPair:
    """The family's current refresh token (issued again exactly as at its rotation) and a
    new access token for it."""
    rotated = _issue(auth, family, family.rotated_at or now)
    fresh = _issue(auth, family, now)
    return TokenPair(fresh.access, rotated.refresh, family.id)


def _revoke(uow: SqlAlchemyUnitOfWork, family: AuthSession, now: datetime, reason: str) -> None:
    family.revoked_at = now
    family.revoked_reason = reason
    uow.emit(SessionRevoked(user_id=family.user_id, session_id=family.id, reason=reason))
    _changed(uow, family.user_id)


def _changed(uow: SqlAlchemyUnitOfWork, user_id: uuid.UUID) -> None:
    """Every write of a user's row or token families says so, for the processes that keep
    them in memory (``domain.accounts.session_cache``)."""
    uow.emit(AccountChanged(user_id=user_id))


async def logout(uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, actor: Viewer) -> None:
    """Revoke the viewer's own token family (emits SessionRevoked). Commits."""
    session_id = actor.session_id
    family = (
        None if session_id is None else await repository.lock_auth_session(uow.session, session_id)
    )
    if family is None or family.revoked_at is not None:
        return
    _revoke(uow, family, auth.clock.now(), reason="logout")
    await uow.commit()


async def authenticate_token(
    uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, token: str, expected: TokenType | None
) -> Viewer:
    """The viewer behind a live token; raises InvalidToken."""
    claims = read_token(auth, token, expected)
    family, user = await _session_with_user(uow, auth.sessions, claims.session_id)
    live = rules.token_is_live(family, claims, auth.clock.now())
    if not live or not user.is_active or user.id != claims.user_id:
        raise InvalidToken
    await record_activity(uow, auth, user=user)
    return Viewer(user=user, session_id=claims.session_id, expires_at=claims.expires_at)


async def _session_with_user(
    uow: SqlAlchemyUnitOfWork, cache: SessionCache | None, session_id: uuid.UUID
) -> tuple[rules.FamilyState, User]:
    """The token family's state and its user: from the process's cache when it has them,
    else from the database (and kept). Raises InvalidToken for an unknown family."""
    cached = cache.get(session_id) if cache is not None else None
    if cached is not None:
        return cached.family, cached.user()
    read = cache.begin_read() if cache is not None else 0
    found = await repository.find_session_with_user(uow.session, session_id)
    if found is None:
        raise InvalidToken
    family, user = _family_state(found[0]), found[1]
    if cache is not None:
        cache.put(session_id, family, user, read)
    return family, user


async def find_revocation(uow: SqlAlchemyUnitOfWork, *, session_id: uuid.UUID) -> str | None:
    """Why the token family was revoked (``logout``, ``refresh_reused``), or None while live."""
    family = await repository.find_auth_session(uow.session, session_id)
    if family is None or family.revoked_at is None:
        return None
    return family.revoked_reason or "revoked"


async def ensure_admin(
    uow: SqlAlchemyUnitOfWork,
    hasher: PasswordHasher,
    *,
    actor: Actor,
    username: str,
    password: str,
) -> User:
    """Create the admin, or promote and re-password an existing user (the operator's work:
    the command line, or the configured admin at start). Commits.

    Safe when several replicas run it at once on first start: a lost insert race retries
    once, then finds the winner's row and updates it.
    """
    require_admin(actor)
    errors = rules.registration_errors(
        username=username,
        password=password,
        first_name="",
        last_name="",
        policy=UsernamePolicy.DJANGO,
    )
    if errors:
        raise Invalid(errors)
    password_hash = await hasher.hash(password)
    try:
        return await _upsert_admin(uow, username, password_hash)
    except UsernameTaken:
        await uow.rollback()
        return await _upsert_admin(uow, username, password_hash)


async def _upsert_admin(uow: SqlAlchemyUnitOfWork, username: str, password_hash: str) -> User:
    user = await repository.find_user_by_username(uow.session, username)
    if user is None:
        user = User(username=username, password_hash=password_hash)
        await repository.add_user(uow.session, user)
    user.password_hash = password_hash
    user.role = Role.ADMIN
    user.is_active = True
    _changed(uow, user.id)
    await uow.commit()
    return user


async def ensure_service_user(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, username: str
) -> uuid.UUID:
    """The id of a user tghub itself owns things as (e.g. the mailing group's shared guest
    workspace), created on first use: inactive, with an unusable password, so nobody signs in
    as it, and hidden from user searches. Pick a ``username`` no registration rule accepts
    (a ``:`` in it), so nobody can register it first. Race-safe; does not commit: the row
    commits with the caller's work. tghub's own work (admins, ``System``)."""
    require_admin(actor)
    return await repository.ensure_service_user(uow.session, username)


async def find_service_user(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, username: str
) -> uuid.UUID | None:
    """The id of tghub's own user of this name (``ensure_service_user``), None before its
    first use."""
    require_admin(actor)
    return await repository.find_service_user(uow.session, username)


async def find_user_id(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, username: str
) -> uuid.UUID | None:
    """The id of the user of this name, for tghub's own tools naming a user (admins,
    ``System``): inactive users and tghub's own users too, deleted accounts not (they have
    no name any more). None when nobody has the name."""
    require_admin(actor)
    check_storable("username", username)
    user = await repository.find_user_by_username(uow.session, username)
    return None if user is None or user.deleted_at is not None else user.id


def user_cursor(user: User) -> tuple[str, str]:
    """The position of ``user`` in ``list_users``, for connection cursors."""
    return repository.user_sort_key(user)


async def list_users(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, page: PageRequest, search: str | None = None
) -> Page[User]:
    """Active users other than the actor matching every word of ``search``, for signed-in
    users; raises Invalid for unstorable text."""
    exclude = require_user(actor)
    check_storable("search", search)
    return await repository.list_users(uow.session, page, search=search, exclude=exclude)


async def verify_token(uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, token: str) -> None:
    """Raises InvalidToken unless the token (access or refresh) is live."""
    await authenticate_token(uow, auth, token=token, expected=None)


REALTIME_TOKEN_TYPE = "realtime"  # noqa: S105 - a claim value, not a secret
REALTIME_TOKEN_TTL = 3600


def issue_realtime_token(auth: AuthPorts, *, viewer: Viewer, channel: str | None) -> str:
    """A Centrifugo-style token (seed 001): ``sub`` the user, 1 h; a subscribe one names the
    channel. It is bound to the viewer's session (``sid``) and dies with it; it opens the
    realtime socket only: the API refuses it as an access token."""
    if viewer.session_id is None:
        raise PermissionDenied("Realtime tokens are issued to token sessions only.")
    now = auth.clock.now()
    claims: dict[str, object] = {
        "sub": str(viewer.user.id),
        "sid": str(viewer.session_id),
        "token_type": REALTIME_TOKEN_TYPE,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + REALTIME_TOKEN_TTL,
    }
    if channel is not None:
        claims["channel"] = channel
    return auth.tokens.encode(claims)


async def authenticate_realtime_token(
    uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, token: str, channel: str | None
) -> rules.RealtimeClaims:
    """Who a realtime token was issued to, while their session lives; raises InvalidToken
    (TokenExpired past ``exp``, and for a token of no session: the client fetches a new one).

    A connect token (``channel`` None) must name no channel; a subscribe token must name
    exactly ``channel``.
    """
    raw = auth.tokens.decode(token)
    if raw.get("token_type") != REALTIME_TOKEN_TYPE or raw.get("channel") != channel:
        raise InvalidToken
    claims = rules.parse_realtime_claims(raw)
    if claims is None:
        raise InvalidToken
    if claims.session_id is None:
        raise TokenExpired  # issued before tokens were bound to sessions
    found = await repository.find_session_with_user(uow.session, claims.session_id)
    if found is None or not _session_is_live(*found, claims.user_id, auth.clock.now()):
        raise InvalidToken
    return claims


def _session_is_live(family: AuthSession, user: User, user_id: uuid.UUID, now: datetime) -> bool:
    alive = rules.session_is_live(_family_state(family), now)
    return alive and user.is_active and user.id == user_id


# --- admin sessions (the pages' cookie) ---------------------------------------------------


@dataclass(frozen=True)
class AdminSession:
    """A signed-in admin's browser session: ``token`` is what the pages' cookie holds, bound
    to a token family of its own (so logout, and any revocation of the family, ends it);
    ``csrf`` is the session's token every form it posts must carry."""

    token: str
    csrf: str
    viewer: Viewer
    expires_at: datetime


ADMINS_ONLY_SESSION = "Only tghub admins may sign in here; this account is not an admin."


async def start_admin_session(
    uow: SqlAlchemyUnitOfWork,
    auth: AuthPorts,
    *,
    username: str,
    password: str,
    client: str = "unknown",
) -> AdminSession:
    """A new browser session for an admin's credentials, as long as a login's refresh token
    lives. RateLimited and InvalidCredentials as ``login``; PermissionDenied for anyone but an
    admin (whose password was right: nothing is started). Commits."""
    user = await authenticate(uow, auth, username=username, password=password, client=client)
    if not user.is_admin:
        raise PermissionDenied(ADMINS_ONLY_SESSION)
    now = auth.clock.now()
    family = _new_family(uow, auth, user, now)
    await uow.commit()
    claims = rules.AdminSessionClaims(
        user_id=user.id,
        session_id=family.id,
        csrf=secrets.token_urlsafe(32),
        expires_at=family.expires_at,
    )
    token = auth.tokens.encode(rules.build_admin_session_claims(claims, issued_at=now))
    viewer = Viewer(user=user, session_id=family.id, expires_at=claims.expires_at)
    return AdminSession(token, claims.csrf, viewer, claims.expires_at)


async def authenticate_admin_session(
    uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, token: str
) -> AdminSession:
    """The admin session behind a cookie while its family lives and its user is an active
    admin; raises InvalidToken (an admin since demoted too: the session is no longer one)."""
    claims = rules.parse_admin_session_claims(auth.tokens.decode(token))
    if claims is None:
        raise InvalidToken
    found = await repository.find_session_with_user(uow.session, claims.session_id)
    if found is None:
        raise InvalidToken
    family, user = found
    if not _session_is_live(family, user, claims.user_id, auth.clock.now()) or not user.is_admin:
        raise InvalidToken
    await record_activity(uow, auth, user=user)
    viewer = Viewer(user=user, session_id=family.id, expires_at=claims.expires_at)
    return AdminSession(token, claims.csrf, viewer, claims.expires_at)


async def issue_access_token(uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, actor: Viewer) -> str:
    """A new access token of the viewer's own token family (its current generation), for a
    page the viewer has open to call the API as them: it lives ``access_ttl`` at most, and
    dies with the family like every access token. InvalidToken once the family has ended."""
    family = None
    if actor.session_id is not None:
        family = await repository.find_auth_session(uow.session, actor.session_id)
    now = auth.clock.now()
    if family is None or not rules.session_is_live(_family_state(family), now):
        raise InvalidToken
    claims = TokenClaims(
        family.user_id, family.id, family.generation, TokenType.ACCESS, uuid.uuid4().hex
    )
    ttl = min(auth.access_ttl, max(1, int((family.expires_at - now).total_seconds())))
    return auth.tokens.encode(rules.build_claims(claims, issued_at=now, ttl_seconds=ttl))


# --- presence --------------------------------------------------------------------------------


def _announce(uow: SqlAlchemyUnitOfWork, user: User, online: bool) -> None:
    user.online_announced = online
    uow.emit(PresenceChanged(user_id=user.id, online=online, last_online_at=user.last_online_at))


async def record_activity(uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, user: User) -> None:
    """An authenticated request moves ``last_online_at``, at most once a minute (throttled),
    and announces a user who looked offline as online. Commits when it writes."""
    now = auth.clock.now()
    if not rules.presence_needs_write(user.last_online_at, user.online_announced, now):
        return
    await _set_online(uow, user, now)


async def _set_online(uow: SqlAlchemyUnitOfWork, user: User, now: datetime) -> None:
    was_announced = user.online_announced
    user.last_online_at = now
    await repository.save_presence(uow.session, user.id, last_online_at=now, announced=True)
    _changed(uow, user.id)
    if not was_announced:
        _announce(uow, user, online=True)
    await uow.commit()


async def go_online(uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, actor: Viewer) -> User:
    """The viewer's explicit "I am here" (the legacy HEAD /api/user/online/), never
    throttled."""
    user = actor.user
    await _set_online(uow, user, auth.clock.now())
    return user


async def go_offline(uow: SqlAlchemyUnitOfWork, *, actor: Viewer) -> User:
    """The viewer's explicit sign-off: offline now, until their next activity."""
    user = actor.user
    if user.online_announced:
        await repository.save_presence(
            uow.session, user.id, last_online_at=user.last_online_at, announced=False
        )
        _announce(uow, user, online=False)
        _changed(uow, user.id)
        await uow.commit()
    return user


async def sweep_presence(uow: SqlAlchemyUnitOfWork, clock: Clock, *, actor: Actor) -> int:
    """Announce as offline everyone silent for the online window (tghub's own sweep); how
    many. Commits."""
    require_admin(actor)
    silent = await repository.silent_online_users(uow.session, clock.now() - rules.ONLINE_WINDOW)
    for user in silent:
        _announce(uow, user, online=False)
        _changed(uow, user.id)
    await uow.commit()
    return len(silent)


# --- profile ---------------------------------------------------------------------------------


def _own_account(actor: Actor, user_id: uuid.UUID) -> None:
    if require_user(actor) != user_id:
        raise PermissionDenied("You may change only your own account.")


@dataclass(frozen=True)
class ProfileChanges:
    first_name: str | None = None
    last_name: str | None = None
    bio: str | None = None
    avatar: Upload | None = None


def _avatar_errors(avatar: Upload | None) -> dict[str, list[str]]:
    uploads = {"avatar": [] if avatar is None else [avatar]}
    return files.upload_errors(uploads, {"avatar": files.FileKind.AVATAR})


def _profile_errors(changes: ProfileChanges) -> dict[str, list[str]]:
    checks = {
        "first_name": rules.name_errors(changes.first_name or ""),
        "last_name": rules.name_errors(changes.last_name or ""),
        "bio": rules.bio_errors(changes.bio),
    }
    return {field: msgs for field, msgs in checks.items() if msgs} | _avatar_errors(changes.avatar)


async def update_profile(
    uow: SqlAlchemyUnitOfWork,
    store: FileStore,
    *,
    actor: Actor,
    user_id: uuid.UUID,
    changes: ProfileChanges,
) -> User:
    """The user changes their own names, bio or avatar; anyone else is refused. Commits."""
    _own_account(actor, user_id)
    errors = _profile_errors(changes)
    if errors:
        raise Invalid(errors)
    user = await repository.find_user(uow.session, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("User")
    for name in ("first_name", "last_name", "bio"):
        if getattr(changes, name) is not None:
            setattr(user, name, getattr(changes, name))
    if changes.avatar is not None:
        user.avatar = await files.store_file(
            uow, store, changes.avatar, files.FileKind.AVATAR, user.id
        )
    _changed(uow, user.id)
    await uow.commit()
    return user


async def users_by_ids(uow: SqlAlchemyUnitOfWork, ids: Sequence[uuid.UUID]) -> list[User]:
    """The users of these ids that have a row (deleted accounts included: they still sign
    their messages), in no particular order. For other aggregates, which check their own
    rules first (the messenger shows only members of the actor's chats)."""
    return await repository.users_by_ids(uow.session, ids)


async def users_exist(uow: SqlAlchemyUnitOfWork, ids: Sequence[uuid.UUID]) -> bool:
    """Whether every one of these ids names an active, undeleted user."""
    wanted = set(ids)
    return await repository.count_active_users(uow.session, list(wanted)) == len(wanted)


async def get_user(uow: SqlAlchemyUnitOfWork, *, actor: Actor, user_id: uuid.UUID) -> User:
    """An active user, for signed-in users; NotFound for a deleted or disabled one."""
    require_user(actor)
    user = await repository.find_user(uow.session, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        raise NotFound("User")
    return user


async def delete_account(
    uow: SqlAlchemyUnitOfWork, auth: AuthPorts, *, actor: Actor, user_id: uuid.UUID
) -> None:
    """The user deletes their own account: the row stays, anonymised, so their messages show
    the deleted-user placeholder; every session ends and the name is free again. Commits."""
    _own_account(actor, user_id)
    user = await repository.find_user(uow.session, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("User")
    now = auth.clock.now()
    user.username = f"deleted-{user.id.hex}"
    user.first_name = user.last_name = ""
    user.bio = user.avatar = None
    user.password_hash = "!"  # noqa: S105 - matches no password
    user.is_active = False
    user.deleted_at = now
    _changed(uow, user.id)
    if user.online_announced:
        _announce(uow, user, online=False)
    for family in await repository.live_sessions(uow.session, user.id):
        _revoke(uow, family, now, reason="account_deleted")
    await uow.commit()


async def list_users_by_offset(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, search: str | None, offset: int, limit: int
) -> Page[User]:
    """A legacy page of active users other than the actor matching every word of
    ``search``, by username, for signed-in users."""
    exclude = require_user(actor)
    return await repository.users_page(
        uow.session, search=search, exclude=exclude, offset=offset, limit=limit
    )
