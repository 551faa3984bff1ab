"""Typed settings, read from ``TGHUB_*`` environment variables.

Built only in composition roots (``resolvers.app``, ``migrations/env.py``, the ``tghub``
command line) and passed down; never at import time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import phonenumbers
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Iterator

LegacyGroup = Literal["seeonline", "bots", "mailing", "invites"]


URL_FIELDS = {"database_url", "redis_url"}
_PASSWORD_IN_URL = re.compile(r"(?<=://)([^:/@]*):[^@/]*@")


def redact_url(url: str) -> str:
    """``scheme://user:***@host/...``: the URL without its password."""
    return _PASSWORD_IN_URL.sub(r"\1:***@", url)


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Flat on purpose: the documented variable names (``TGHUB_DATABASE_URL``) stay short."""

    model_config = SettingsConfigDict(env_prefix="TGHUB_", extra="ignore")

    # Infrastructure. None means "the embedded default starts its own server".
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path(".tghub")
    # Uploaded files (avatars, voice, attachments); default: ``media/`` in the data folder.
    media_dir: Path | None = None
    # Prefix for pub/sub channels, so several deployments (or tests) can share one Redis.
    channel_prefix: str = "tghub"
    # Connections each engine of a process keeps open (no overflow: none opened and closed
    # per request); a request finding all busy waits for one. See docs/deployment.md.
    database_pool_size: int = Field(default=20, ge=1)

    # Auth. A missing key is generated into the data folder (see domain.bootstrap).
    secret_key: SecretStr | None = None
    access_token_ttl: int = Field(default=3600, ge=1)
    refresh_token_ttl: int = Field(default=86400, ge=1)
    # A just-rotated refresh token is answered with the current pair for this long (clients
    # refresh concurrently); 0 treats any reuse as theft.
    refresh_grace_seconds: int = Field(default=30, ge=0)
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile).
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)
    # Login attempts per username and client address per minute (then RATE_LIMITED).
    login_attempts_per_minute: int = Field(default=10, ge=1)
    # How long a process may authenticate from memory (token family and user) without asking
    # PostgreSQL: the longest it can accept a revoked token if the revocation event is lost.
    # 0 reads the database on every request.
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    admin_username: str | None = None
    admin_password: SecretStr | None = None

    # HTTP.
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: Annotated[list[str], NoDecode] = []
    legacy_open: Annotated[list[LegacyGroup], NoDecode] = []

    # GraphQL limits.
    graphql_max_depth: int = Field(default=12, ge=1)
    # graphql-core's overlapping-fields validation is quadratic in repeated fields, so the
    # token cap also bounds the CPU one document can cost (about 0.25 s at 1000 tokens).
    graphql_max_tokens: int = Field(default=1000, ge=1)
    graphql_max_aliases: int = Field(default=20, ge=1)
    graphql_max_subscriptions: int = Field(default=20, ge=1)
    graphql_allow_introspection: bool = True

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # text: one readable line per record (a terminal); json: one JSON object per line.
    log_format: Literal["text", "json"] = "text"
    # Validate every legacy REST answer against its declared contract (the tests do; a
    # mismatch is an error, so production leaves it off).
    check_contract: bool = False

    # Metrics (docs/operations.md, "Metrics"): /metrics is for admins unless metrics_open;
    # with metrics_port, `tghub worker` and `tghub listen` also serve them on
    # metrics_host:metrics_port (for hosts without an API process).
    metrics_open: bool = False
    # Off: no /metrics and nothing counted per request (for a deployment without Prometheus).
    metrics_enabled: bool = True
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    # Telegram. The simulated world lives in Redis; a world file seeds it when Redis has none.
    telegram_mode: Literal["simulated", "telethon"] = "simulated"
    telegram_world: Path | None = None
    # The application's api_id/api_hash (my.telegram.org), used for bot clients.
    telegram_api_id: int | None = None
    telegram_api_hash: SecretStr | None = None
    # Secrets at rest: the first key encrypts, every key decrypts (rotation). Missing: a key
    # generated once into the data folder (embedded default).
    encryption_keys: Annotated[list[SecretStr], NoDecode] = []

    # Jobs (ARQ workers).
    worker_max_jobs: int = Field(default=10, ge=1)
    job_timeout: int = Field(default=300, ge=1)
    # A running job writes a heartbeat this often; one silent for job_stale_after seconds
    # (or queued and unknown to Redis that long) is queued again by the sweeper.
    job_heartbeat_interval: float = Field(default=10.0, gt=0)
    job_stale_after: float = Field(default=60.0, gt=0)
    sweep_interval: int = Field(default=60, ge=1, le=3600)
    # Every worker refreshes a heartbeat key in Redis this often (it expires after three
    # intervals); /readyz reports the worker "unavailable" without a fresh one.
    worker_heartbeat_interval: float = Field(default=5.0, gt=0)
    # The status listener: each tracker is polled this often by the one listener holding its
    # lease (renewed every third of its ttl; a dead listener's trackers are free after it),
    # and the trackers to listen to are looked up this often.
    listener_poll_interval: float = Field(default=5.0, gt=0)
    listener_lease_ttl: float = Field(default=15.0, gt=0)
    listener_scan_interval: float = Field(default=10.0, gt=0)
    # The hourly check of bot links asks Telegram about at most this many of one bot's
    # channels at a time.
    bot_check_concurrency: int = Field(default=4, ge=1)
    # The legacy POST /bots/ and POST /channels/ wait this many seconds for their job's
    # outcome; still running then, they answer 202 with the task's id.
    bot_job_wait: float = Field(default=10.0, ge=0, le=120)
    # Mailing dispatch (one dispatcher per deployment, under a lease): each account sends at
    # most one message every mailing_pacing seconds (0: no pacing); a pass runs for
    # mailing_pass_seconds, looking for work every mailing_poll_interval, and a new pass is
    # tried every mailing_tick seconds; a claim on a delivery lapses mailing_claim_seconds
    # after its batch's pacing time; PeerFlood pauses an account mailing_peer_flood_pause.
    mailing_pacing: float = Field(default=1.0, ge=0, le=3600)
    mailing_claim_batch: int = Field(default=1000, ge=1, le=10_000)
    mailing_claim_seconds: float = Field(default=60.0, gt=0)
    mailing_peer_flood_pause: float = Field(default=6 * 3600.0, gt=0)
    mailing_poll_interval: float = Field(default=1.0, gt=0, le=60)
    mailing_tick: int = Field(default=5, ge=1, le=59)
    mailing_pass_seconds: float = Field(default=45.0, gt=0, le=50)
    mailing_lease_ttl: float = Field(default=15.0, gt=0)
    # Invites (one dispatcher per deployment, under a lease, like mailings): a pass is tried
    # every invite_tick seconds and runs for invite_pass_seconds, looking for work every
    # invite_poll_interval; a claim holds invite_claim_seconds beyond the settings' pauses;
    # PeerFlood pauses an account invite_peer_flood_pause, no right to invite
    # invite_not_admin_pause. The webhook: callers may present invite_webhook_secret
    # (X-Webhook-Secret or ?secret=); each client address may call it
    # invite_webhook_per_minute times a minute; phones without a country code are read in
    # invite_default_region.
    invite_tick: int = Field(default=2, ge=1, le=59)
    invite_pass_seconds: float = Field(default=45.0, gt=0, le=50)
    invite_poll_interval: float = Field(default=1.0, gt=0, le=60)
    invite_lease_ttl: float = Field(default=15.0, gt=0)
    invite_claim_seconds: float = Field(default=60.0, gt=0)
    invite_peer_flood_pause: float = Field(default=6 * 3600.0, gt=0)
    invite_not_admin_pause: float = Field(default=3600.0, gt=0)
    invite_webhook_secret: SecretStr | None = None
    invite_webhook_per_minute: int = Field(default=600, ge=1)
    invite_default_region: str = "RU"

    @field_validator("invite_default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region code phonenumbers knows (RU, US, DE, …)")
        return region

    @field_validator("cors_origins", "legacy_open", "encryption_keys", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @override
    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # URLs carry passwords: show them without, so a logged Settings leaks nothing.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name in URL_FIELDS and value else value

    @property
    def is_embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None
