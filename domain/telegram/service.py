"""Use cases of Telegram user accounts: add, sign in (code, 2FA), send messages.

The API side records intent and queues a job; the job side talks to Telegram through the
gateway, holding no database connection while it waits for Telegram.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.access import require_admin
from domain.errors import Conflict, DomainError, ExternalUnavailable, Invalid, NotFound
from domain.jobs import service as jobs
from domain.telegram import repository, rules
from domain.telegram.errors import AccountNotSignedIn

# Re-exported for other aggregates' jobs: what Telegram answers (about accounts, bots and
# channels), a bot's credentials, and the refusals they tell apart (a dropped session, a
# refused bot token, missing admin rights).
from domain.telegram.errors import AccountSessionRevoked as AccountSessionRevoked
from domain.telegram.errors import ChatAdminRequired as ChatAdminRequired
from domain.telegram.errors import InvalidBotToken as InvalidBotToken
from domain.telegram.errors import InviteNotVisible as InviteNotVisible
from domain.telegram.errors import PeerFlood as PeerFlood
from domain.telegram.errors import PrivacyRestricted as PrivacyRestricted
from domain.telegram.errors import TelegramError as TelegramError
from domain.telegram.model import AccountCredentials as AccountCredentials
from domain.telegram.model import AccountStatus
from domain.telegram.model import AdminRights as AdminRights
from domain.telegram.model import BotCredentials as BotCredentials
from domain.telegram.model import BotInfo as BotInfo
from domain.telegram.model import ChannelInfo as ChannelInfo
from domain.telegram.model import PostedMessage as PostedMessage
from domain.telegram.model import StatusObservation as StatusObservation
from domain.telegram.model import TelegramAccount as TelegramAccount
from domain.telegram.rules import ALL_USES
from domain.telegram.rules import AccountUse as AccountUse
from domain.text import text_errors

if TYPE_CHECKING:
    import uuid
    from collections.abc import Collection, Sequence

    from domain.access import Actor
    from domain.jobs.model import Job
    from domain.ports import Clock, SecretBox, TelegramGateway, TelegramSandbox
    from domain.types import Page, PageRequest
    from domain.uow import SqlAlchemyUnitOfWork

log = logging.getLogger(__name__)

SEND_LOGIN_CODE = "telegram.send_login_code"
SIGN_IN = "telegram.sign_in"
SEND_MESSAGES = "telegram.send_messages"
NOT_SIGNED_IN = "The account is not signed in."


async def add_account(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    phone: str,
    api_id: int,
    api_hash: str,
    uses: Collection[str] | None = None,
) -> TelegramAccount:
    """An admin stores an account to sign in later (api_hash encrypted), serving ``uses``
    (every use when not given). Commits."""
    require_admin(actor)
    Invalid.check(rules.account_errors(api_id=api_id, api_hash=api_hash))
    chosen = ALL_USES if uses is None else rules.account_uses(uses)
    account = TelegramAccount(
        phone=rules.normalize_phone(phone), api_id=api_id, api_hash_enc=box.encrypt(api_hash)
    )
    account.status = AccountStatus.NEW
    account.uses = frozenset(chosen)
    try:
        await repository.add_account(uow.session, account)
    except repository.PhoneTaken:
        raise Conflict("A Telegram account with this phone exists already.") from None
    await uow.commit()
    return account


async def ensure_account(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    phone: str,
    api_id: int,
    api_hash: str,
) -> uuid.UUID:
    """The id of the account with this phone, stored (to sign in later) when there is none:
    another aggregate's profile of an account (a tracker) links to it. Does not commit, so
    the account and the profile's change commit together."""
    require_admin(actor)
    Invalid.check(rules.account_errors(api_id=api_id, api_hash=api_hash))
    normalized = rules.normalize_phone(phone)
    found = await repository.find_by_phone(uow.session, normalized)
    if found is not None:
        return found.id
    account = TelegramAccount(phone=normalized, api_id=api_id, api_hash_enc=box.encrypt(api_hash))
    account.status = AccountStatus.NEW
    try:
        await repository.add_account(uow.session, account)
    except repository.PhoneTaken:
        raise Conflict("A Telegram account with this phone exists already.") from None
    return account.id


async def list_accounts(
    uow: SqlAlchemyUnitOfWork, page: PageRequest, *, actor: Actor
) -> Page[TelegramAccount]:
    """Admins list the accounts, by phone."""
    require_admin(actor)
    return await repository.list_accounts(uow.session, page)


async def visible_accounts(
    uow: SqlAlchemyUnitOfWork, ids: Sequence[uuid.UUID], *, actor: Actor
) -> dict[uuid.UUID, TelegramAccount]:
    """These accounts by id, for an admin; for anyone else none exist."""
    if not actor.is_admin:
        return {}
    return await repository.get_accounts(uow.session, list(ids))


async def set_account_uses(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_id: uuid.UUID, uses: Collection[str]
) -> TelegramAccount:
    """An admin sets what the account serves (replacing its uses; empty: nothing). Commits."""
    require_admin(actor)
    chosen = rules.account_uses(uses)
    account = await repository.get_account(uow.session, account_id, for_update=True)
    account.uses = chosen
    await uow.commit()
    return account


async def accounts_serving(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, use: AccountUse
) -> list[TelegramAccount]:
    """Every account serving ``use``, whatever its status, by phone."""
    require_admin(actor)
    return await repository.accounts_serving(uow.session, use)


async def pool(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, use: AccountUse
) -> list[TelegramAccount]:
    """The signed-in (ACTIVE) accounts serving ``use``, by phone: what a dispatcher (mailings,
    invites, tracking) may send through (``paused_until`` says which must wait)."""
    require_admin(actor)
    return await repository.pool(uow.session, use)


async def pause_account(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    account_id: uuid.UUID,
    until: datetime,
    reason: str,
) -> TelegramAccount:
    """Telegram asked the account to wait (FloodWait) or flagged it (PeerFlood), or an admin
    paused it: dispatchers leave it alone until ``until`` (a longer pause already set stays,
    with its reason). Commits; the account as paused."""
    require_admin(actor)
    account = await repository.get_account(uow.session, account_id, for_update=True)
    if account.paused_until is None or account.paused_until < until:
        account.paused_until, account.pause_reason = until, reason
    await uow.commit()
    return account


async def take_out_of_pool(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    account: TelegramAccount,
    cause: DomainError,
    pause_seconds: float,
    now: datetime,
) -> bool:
    """Telegram stopped a dispatcher's account: a revoked session signs it out (it must be
    signed in again); any other cause (FloodWait, PeerFlood, a missing right) pauses it for
    ``pause_seconds``. Commits; True when it was paused."""
    require_admin(actor)
    if isinstance(cause, AccountSessionRevoked):
        await mark_revoked(uow, account.id)
        return False
    until = now + timedelta(seconds=pause_seconds)
    await pause_account(uow, actor=actor, account_id=account.id, until=until, reason=cause.message)
    log.info(
        "Telegram account %s paused for %.0f s: %s", account.phone, pause_seconds, cause.message
    )
    return True


async def resume_account(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_id: uuid.UUID
) -> TelegramAccount:
    """An admin ends an account's pause now (Telegram's own limits still apply). Commits."""
    require_admin(actor)
    account = await repository.get_account(uow.session, account_id, for_update=True)
    account.paused_until, account.pause_reason = None, None
    await uow.commit()
    return account


# -- the invite profile (legacy 004): a daily quota per account ------------------------------


async def invite_pool(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, now: datetime
) -> list[TelegramAccount]:
    """The accounts that may invite now: signed in, serving invites, unpaused, with quota
    left; least recently used first. Resets the quotas of a new UTC day first (does not
    commit)."""
    require_admin(actor)
    await repository.reset_invite_quotas(uow.session, now.astimezone(UTC).date())
    return await repository.invite_pool(uow.session, now)


async def reset_invite_quotas(uow: SqlAlchemyUnitOfWork, *, actor: Actor, now: datetime) -> int:
    """Every account not yet reset on ``now``'s UTC day gets its whole quota back (the daily
    job at 00:00 UTC; a dispatch pass does it too, so a missed tick costs nothing). Commits;
    the number of accounts reset."""
    require_admin(actor)
    reset = await repository.reset_invite_quotas(uow.session, now.astimezone(UTC).date())
    await uow.commit()
    return reset


async def mark_invite_use(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_id: uuid.UUID, now: datetime
) -> None:
    """The account takes an invite now (the pool's order). Does not commit."""
    require_admin(actor)
    await repository.mark_invite_use(uow.session, account_id, now)


async def count_invite(uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_id: uuid.UUID) -> int:
    """One real invite less left today; the invites left. Does not commit."""
    require_admin(actor)
    return await repository.count_invite(uow.session, account_id)


async def set_invite_quota(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_id: uuid.UUID, quota: int
) -> TelegramAccount:
    """An admin sets an account's daily quota; what it already used today still counts
    (left = quota - used, at least 0). Commits."""
    require_admin(actor)
    Invalid.check(rules.invite_quota_errors(quota))
    account = await repository.get_account(uow.session, account_id, for_update=True)
    used = max(account.invite_quota - account.invites_left, 0)
    account.invite_quota, account.invites_left = quota, max(quota - used, 0)
    await uow.commit()
    return account


def account_cursor(account: TelegramAccount) -> tuple[str]:
    return (account.phone,)


async def request_login_code(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_id: uuid.UUID
) -> Job:
    """An admin queues the job that asks Telegram to send a login code to the phone.
    Commits."""
    require_admin(actor)
    await repository.get_account(uow.session, account_id)
    job = await jobs.create_job(
        uow, kind=SEND_LOGIN_CODE, args={"account_id": str(account_id)}, owner_id=actor.user_id
    )
    await uow.commit()
    return job


async def submit_login(
    uow: SqlAlchemyUnitOfWork,
    box: SecretBox,
    *,
    actor: Actor,
    account_id: uuid.UUID,
    code: str,
    password: str | None,
) -> Job:
    """An admin hands in the code (and 2FA password), kept encrypted for the sign-in job,
    which is queued. Commits."""
    require_admin(actor)
    Invalid.check(rules.login_code_errors(code) | _unstorable(password=password or ""))
    account = await repository.get_account(uow.session, account_id, for_update=True)
    if account.status is not AccountStatus.CODE_SENT:
        raise Conflict("Request a login code first.")
    account.pending_login_enc = box.encrypt(json.dumps({"code": code, "password": password}))
    job = await jobs.create_job(
        uow, kind=SIGN_IN, args={"account_id": str(account_id)}, owner_id=actor.user_id
    )
    await uow.commit()
    return job


async def queue_messages(
    uow: SqlAlchemyUnitOfWork,
    *,
    actor: Actor,
    account_id: uuid.UUID,
    recipients: list[str],
    text: str,
) -> Job:
    """An admin queues one job sending ``text`` to each recipient from the account.
    Commits."""
    require_admin(actor)
    Invalid.check(rules.message_errors(recipients=recipients, text=text) | _unstorable(text=text))
    account = await repository.get_account(uow.session, account_id)
    if account.status is not AccountStatus.ACTIVE:
        raise Conflict("The account is not signed in.")
    args = {"account_id": str(account_id), "recipients": recipients, "text": text}
    job = await jobs.create_job(uow, kind=SEND_MESSAGES, args=args, owner_id=actor.user_id)
    await uow.commit()
    return job


def _unstorable(**fields: str) -> dict[str, list[str]]:
    return {name: errors for name, value in fields.items() if (errors := text_errors(value))}


# -- job side ------------------------------------------------------------------------------


def credentials(box: SecretBox, account: TelegramAccount) -> AccountCredentials:
    session = box.decrypt(account.session_enc) if account.session_enc else None
    return AccountCredentials(
        phone=account.phone,
        api_id=account.api_id,
        api_hash=box.decrypt(account.api_hash_enc),
        session=session,
    )


async def deliver_login_code(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    *,
    actor: Actor,
    job_id: str,
    account_id: uuid.UUID,
) -> dict[str, Any]:
    """Ask Telegram for a code; keeps the interim session the code is bound to (tghub's
    own work: the job). Commits.

    A re-run of a job whose code was recorded sends no second code.
    """
    require_admin(actor)
    account = await repository.get_account(uow.session, account_id)
    if account.login_job_id == job_id:
        return _login_result(account)
    creds = credentials(box, account)
    await uow.release()
    sent = await gateway.send_login_code(creds)
    account = await repository.get_account(uow.session, account_id, for_update=True)
    account.phone_code_hash, account.status = sent.phone_code_hash, AccountStatus.CODE_SENT
    account.session_enc = box.encrypt(sent.session) if sent.session else account.session_enc
    account.login_job_id = job_id
    await uow.commit()
    return _login_result(account)


def _login_result(account: TelegramAccount) -> dict[str, Any]:
    return {"account_id": str(account.id), "status": account.status.value}


async def complete_sign_in(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    clock: Clock,
    *,
    actor: Actor,
    job_id: str,
    account_id: uuid.UUID,
) -> dict[str, Any]:
    """Sign in with the pending code; stores the session encrypted (the job). Commits.

    A re-run of a job whose sign-in was recorded does nothing (the code is spent).
    """
    require_admin(actor)
    account = await repository.get_account(uow.session, account_id)
    if account.login_job_id == job_id:
        return _login_result(account)
    if account.pending_login_enc is None or account.phone_code_hash is None:
        raise Conflict("No login code is waiting for this account.")
    pending, creds, code_hash = (
        json.loads(box.decrypt(account.pending_login_enc)),
        credentials(box, account),
        account.phone_code_hash,
    )
    await uow.release()
    signed = await gateway.sign_in(
        creds, code=pending["code"], phone_code_hash=code_hash, password=pending.get("password")
    )
    account = await repository.get_account(uow.session, account_id, for_update=True)
    account.session_enc, account.telegram_id = box.encrypt(signed.session), signed.user_id
    account.status, account.signed_in_at, account.last_error = (
        AccountStatus.ACTIVE,
        clock.now(),
        None,
    )
    account.pending_login_enc = account.phone_code_hash = None
    account.login_job_id = job_id
    await uow.commit()
    return _login_result(account)


async def deliver_messages(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    *,
    actor: Actor,
    job_id: str,
    account_id: uuid.UUID,
    recipients: list[str],
    text: str,
) -> dict[str, Any]:
    """Send to each recipient once (the job): a re-run repeats the same ``random_id``s, and
    Telegram delivers each once. Per-recipient refusals are reported; flood limits raise
    RateLimited."""
    require_admin(actor)
    creds = await _signed_in_credentials(uow, box, account_id)
    sent: dict[str, int] = {}
    failed: dict[str, str] = {}
    for recipient in recipients:
        try:
            message = await gateway.send_message(
                creds, recipient, text, random_id=rules.random_id(job_id, recipient)
            )
            sent[recipient] = message.message_id
        except (NotFound, PrivacyRestricted) as exc:
            failed[recipient] = exc.message
        except AccountSessionRevoked:
            await mark_revoked(uow, account_id)
            raise
    return {"sent": sent, "failed": failed}


def is_invite_link(ref: str) -> bool:
    """Whether a channel reference is a private invite link (``t.me/+…``, ``t.me/joinchat/…``);
    a malformed one is not (resolving it says what is wrong)."""
    try:
        return rules.parse_channel_ref(ref).kind is rules.RefKind.INVITE
    except Invalid:
        return False


# Accounts asked, at most, which channel an invite link names (each ask is a Telegram call).
INVITE_ASKERS = 5


async def open_invite_link(
    uow: SqlAlchemyUnitOfWork,
    gateway: TelegramGateway,
    box: SecretBox,
    *,
    actor: Actor,
    ref: str,
) -> ChannelInfo:
    """The channel a private invite link names, asked through the signed-in accounts (bots
    cannot ask; Telegram answers only a member): the first that is in the channel answers.
    InviteNotVisible when none is; ends the read transaction before asking."""
    require_admin(actor)
    accounts = await repository.all_accounts(uow.session)
    askers = [credentials(box, a) for a in accounts if a.status is AccountStatus.ACTIVE]
    await uow.release()
    for creds in askers[:INVITE_ASKERS]:
        try:
            return await gateway.open_invite(creds, ref)
        except (NotFound, AccountSessionRevoked, AccountNotSignedIn):
            continue
    raise InviteNotVisible(ref)


async def signed_in_credentials(
    uow: SqlAlchemyUnitOfWork, box: SecretBox, *, actor: Actor, account_id: uuid.UUID
) -> AccountCredentials:
    """The credentials of a signed-in account, for tghub's own work with it (another
    aggregate's job); ends the read transaction. TelegramError when it is not signed in."""
    require_admin(actor)
    return await _signed_in_credentials(uow, box, account_id)


async def _signed_in_credentials(
    uow: SqlAlchemyUnitOfWork, box: SecretBox, account_id: uuid.UUID
) -> AccountCredentials:
    account = await repository.get_account(uow.session, account_id)
    if account.status is not AccountStatus.ACTIVE:
        raise TelegramError(NOT_SIGNED_IN)
    creds = credentials(box, account)
    await uow.release()
    return creds


async def session_problems(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Which of these accounts have no usable session, and why (another aggregate's check
    before it relies on them): an account that does not exist, or is not signed in."""
    require_admin(actor)
    accounts = await repository.get_accounts(uow.session, list(account_ids))
    problems: dict[uuid.UUID, str] = {}
    for account_id in account_ids:
        account = accounts.get(account_id)
        if account is None:
            problems[account_id] = "The Telegram account no longer exists."
        elif account.status is not AccountStatus.ACTIVE:
            problems[account_id] = account.last_error or NOT_SIGNED_IN
    return problems


async def session_revoked(
    uow: SqlAlchemyUnitOfWork, *, actor: Actor, account_id: uuid.UUID
) -> None:
    """Another aggregate's job met ``AccountSessionRevoked``: the account must be signed in
    again. Commits."""
    require_admin(actor)
    await mark_revoked(uow, account_id)


async def mark_revoked(uow: SqlAlchemyUnitOfWork, account_id: uuid.UUID) -> None:
    """Telegram no longer accepts the session: it must be signed in again. Commits."""
    account = await repository.get_account(uow.session, account_id, for_update=True)
    account.status, account.session_enc = AccountStatus.REVOKED, None
    account.last_error = AccountSessionRevoked.default_message
    await uow.commit()


async def rotate_secrets(uow: SqlAlchemyUnitOfWork, box: SecretBox, *, actor: Actor) -> int:
    """Re-encrypt every stored secret under the current key (after a new key was put first),
    so older keys can be retired (an operator's tool). Commits; returns the number of
    accounts rewritten."""
    require_admin(actor)
    accounts = await repository.all_accounts(uow.session, for_update=True)
    for account in accounts:
        account.api_hash_enc = box.rotate(account.api_hash_enc)
        account.session_enc = account.session_enc and box.rotate(account.session_enc)
        account.pending_login_enc = account.pending_login_enc and box.rotate(
            account.pending_login_enc
        )
    await uow.commit()
    return len(accounts)


def sandbox_controls(actor: Actor, sandbox: TelegramSandbox | None) -> TelegramSandbox:
    """The simulated Telegram's controls, for admins; they exist only in simulated mode."""
    require_admin(actor)
    if sandbox is None:
        raise ExternalUnavailable("The sandbox exists only with the simulated Telegram.")
    return sandbox
