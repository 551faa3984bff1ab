"""Pure rules of the accounts aggregate: input validation and token-family rotation."""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.text import text_errors

# Seed 001 (messenger): 1-20 Latin letters or digits, not starting with a digit.
STRICT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9]{0,19}")
# Seed 003 (mailing) used Django's default user model: 150 of letters, digits and @.+-_.
DJANGO_USERNAME = re.compile(r"[\w.@+-]{1,150}")
NAME_MAX = 20
PASSWORD_MIN = 8
PASSWORD_MAX = 128
# One client address may try this many times the per-username login budget per minute.
ADDRESS_LOGIN_FACTOR = 5


class UsernamePolicy(enum.Enum):
    STRICT = "strict"
    DJANGO = "django"


def username_errors(username: str, policy: UsernamePolicy) -> list[str]:
    if text_errors(username):
        return text_errors(username)
    if not username:
        return ["This field may not be blank."]
    if policy is UsernamePolicy.STRICT and not STRICT_USERNAME.fullmatch(username):
        return ["Username must be 1-20 Latin letters or digits and must not start with a digit."]
    if policy is UsernamePolicy.DJANGO and not DJANGO_USERNAME.fullmatch(username):
        return [
            "Enter a valid username. This value may contain only letters, numbers, "
            "and @/./+/-/_ characters."
        ]
    return []


def password_errors(password: str) -> list[str]:
    if text_errors(password):
        return text_errors(password)
    errors = []
    if len(password) < PASSWORD_MIN:
        errors.append(
            f"This password is too short. It must contain at least {PASSWORD_MIN} characters."
        )
    if len(password) > PASSWORD_MAX:
        errors.append(f"Ensure this field has no more than {PASSWORD_MAX} characters.")
    if password.isdigit():
        errors.append("This password is entirely numeric.")
    return errors


def name_errors(name: str) -> list[str]:
    if text_errors(name):
        return text_errors(name)
    if len(name) > NAME_MAX:
        return [f"Ensure this field has no more than {NAME_MAX} characters."]
    if name and not name.isalpha():
        return ["Only letters are allowed."]
    return []


def bio_errors(bio: str | None) -> list[str]:
    return [] if bio is None else text_errors(bio)


def registration_errors(
    *,
    username: str,
    password: str,
    first_name: str,
    last_name: str,
    policy: UsernamePolicy,
    bio: str | None = None,
) -> dict[str, list[str]]:
    """Field name -> messages; empty when the registration is valid."""
    checks = {
        "username": username_errors(username, policy),
        "password": password_errors(password),
        "first_name": name_errors(first_name),
        "last_name": name_errors(last_name),
        "bio": bio_errors(bio),
    }
    return {field: msgs for field, msgs in checks.items() if msgs}


class TokenType(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    generation: int
    token_type: TokenType
    jti: str
    # Read from a token's ``exp``; claims being built get theirs from a TTL instead.
    expires_at: datetime | None = None


def build_claims(claims: TokenClaims, *, issued_at: datetime, ttl_seconds: int) -> dict[str, Any]:
    return {
        "sub": str(claims.user_id),
        "sid": str(claims.session_id),
        "gen": claims.generation,
        "token_type": claims.token_type.value,
        "jti": claims.jti,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + timedelta(seconds=ttl_seconds)).timestamp()),
    }


def parse_claims(raw: dict[str, Any]) -> TokenClaims | None:
    """The typed claims, or None when a verified token lacks what tghub issues."""
    try:
        return TokenClaims(
            user_id=uuid.UUID(str(raw["sub"])),
            session_id=uuid.UUID(str(raw["sid"])),
            generation=int(raw["gen"]),
            token_type=TokenType(raw["token_type"]),
            jti=str(raw["jti"]),
            expires_at=datetime.fromtimestamp(int(raw["exp"]), UTC),
        )
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class FamilyState:
    generation: int
    current_jti: str
    expires_at: datetime
    revoked: bool
    # The refresh token the last rotation replaced, and when.
    previous_jti: str | None = None
    rotated_at: datetime | None = None


class RefreshVerdict(enum.Enum):
    ROTATE = "rotate"
    GRACE = "grace"
    REUSED = "reused"
    DEAD = "dead"


def session_is_live(family: FamilyState, now: datetime) -> bool:
    """Neither revoked nor expired: its tokens of the current generation work."""
    return not family.revoked and family.expires_at > now


def judge_refresh(
    family: FamilyState, claims: TokenClaims, now: datetime, *, grace: float = 0
) -> RefreshVerdict:
    """Rotate the current token. The one rotated just before, within ``grace`` seconds of the
    rotation, is a concurrent refresh (GRACE); any older generation of a live family is a
    theft signal (REUSED)."""
    if not session_is_live(family, now):
        return RefreshVerdict.DEAD
    if claims.generation == family.generation and claims.jti == family.current_jti:
        return RefreshVerdict.ROTATE
    if _within_grace(family, claims, now, grace):
        return RefreshVerdict.GRACE
    if claims.generation < family.generation:
        return RefreshVerdict.REUSED
    return RefreshVerdict.DEAD


def _within_grace(family: FamilyState, claims: TokenClaims, now: datetime, grace: float) -> bool:
    just_rotated = claims.generation == family.generation - 1 and claims.jti == family.previous_jti
    rotated_at = family.rotated_at
    return just_rotated and rotated_at is not None and now - rotated_at < timedelta(seconds=grace)


def token_is_live(family: FamilyState, claims: TokenClaims, now: datetime) -> bool:
    """Access tokens die with their family and with its next rotation; refresh tokens too."""
    if claims.token_type is TokenType.REFRESH:
        return judge_refresh(family, claims, now) is RefreshVerdict.ROTATE
    return session_is_live(family, now) and claims.generation == family.generation


@dataclass(frozen=True)
class RealtimeClaims:
    """A realtime (Centrifugo) token's user and session; tokens from before sessions were
    bound name none."""

    user_id: uuid.UUID
    session_id: uuid.UUID | None


def parse_realtime_claims(raw: dict[str, Any]) -> RealtimeClaims | None:
    try:
        sid = raw.get("sid")
        return RealtimeClaims(
            user_id=uuid.UUID(str(raw["sub"])),
            session_id=None if sid is None else uuid.UUID(str(sid)),
        )
    except (KeyError, ValueError, TypeError):
        return None


# A signed-in admin's browser session (the pages' cookie) is a token of its own type: no
# TokenType, so the API never takes it as an access or refresh token.
ADMIN_SESSION_TOKEN_TYPE = "admin_session"  # noqa: S105 - a claim value, not a secret


@dataclass(frozen=True)
class AdminSessionClaims:
    """The pages' cookie: the admin, their token family, the session's CSRF token."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    csrf: str
    expires_at: datetime


def build_admin_session_claims(
    claims: AdminSessionClaims, *, issued_at: datetime
) -> dict[str, Any]:
    return {
        "sub": str(claims.user_id),
        "sid": str(claims.session_id),
        "token_type": ADMIN_SESSION_TOKEN_TYPE,
        "csrf": claims.csrf,
        "iat": int(issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }


def parse_admin_session_claims(raw: dict[str, Any]) -> AdminSessionClaims | None:
    """The typed claims of a verified token, or None when it is no admin session's."""
    csrf = raw.get("csrf")
    if raw.get("token_type") != ADMIN_SESSION_TOKEN_TYPE or not isinstance(csrf, str) or not csrf:
        return None
    try:
        return AdminSessionClaims(
            user_id=uuid.UUID(str(raw["sub"])),
            session_id=uuid.UUID(str(raw["sid"])),
            csrf=csrf,
            expires_at=datetime.fromtimestamp(int(raw["exp"]), UTC),
        )
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        return None


ONLINE_WINDOW = timedelta(minutes=5)
# Activity moves last_online_at at most this often: a busy client is not a write per request.
PRESENCE_WRITE_INTERVAL = timedelta(seconds=60)


def is_online(last_online_at: datetime | None, now: datetime, *, announced: bool = True) -> bool:
    """Online means active within the last five minutes (seed 001) and not signed off."""
    return announced and last_online_at is not None and now - last_online_at < ONLINE_WINDOW


def presence_needs_write(last_online_at: datetime | None, announced: bool, now: datetime) -> bool:
    """Whether activity at ``now`` must be written: the user looks offline, or the last
    write is older than the throttle interval."""
    if not announced or last_online_at is None:
        return True
    return now - last_online_at >= PRESENCE_WRITE_INTERVAL


def role_visible(user_id: object, *, viewer_id: object, viewer_is_admin: bool) -> bool:
    """A user's role is shown to admins and to the user themself only."""
    return viewer_is_admin or user_id == viewer_id
