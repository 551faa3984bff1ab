"""Any gateway, its calls counted: by verb and outcome, and its flood waits by verb."""

from __future__ import annotations

from typing import TYPE_CHECKING, ParamSpec, TypeVar

from domain.errors import DomainError, RateLimited

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

    from domain.adapters.prometheus import Metrics
    from domain.ports import TelegramGateway
    from domain.telegram.model import (
        AccountCredentials,
        AdminRights,
        BotCredentials,
        BotInfo,
        ChannelInfo,
        InviteOutcome,
        LoginCode,
        PostedMessage,
        SentMessage,
        SignedIn,
        StatusObservation,
        TelegramUser,
    )
    from domain.types import TelegramID

P = ParamSpec("P")
T = TypeVar("T")

OK = "ok"
# An exception that is no domain error (a bug, or one the adapter failed to translate).
UNEXPECTED = "unexpected"


class MeteredGateway:
    """Counts each call of ``inner`` once it returns or raises: ``ok``, or the domain error's
    code (``rate_limited`` for a flood wait, also counted on its own). The stream of
    ``status_updates`` is no call and passes through uncounted."""

    def __init__(self, inner: TelegramGateway, metrics: Metrics) -> None:
        self._inner = inner
        self._calls = metrics.telegram_calls
        self._flood_waits = metrics.telegram_flood_waits

    async def _call(
        self, verb: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        method = verb.__name__
        try:
            result = await verb(*args, **kwargs)
        except DomainError as exc:
            if isinstance(exc, RateLimited):
                self._flood_waits.labels(method).inc()
            self._calls.labels(method, exc.code).inc()
            raise
        except Exception:
            self._calls.labels(method, UNEXPECTED).inc()
            raise
        self._calls.labels(method, OK).inc()
        return result

    async def verify_bot(self, bot: BotCredentials) -> BotInfo:
        return await self._call(self._inner.verify_bot, bot)

    async def resolve_channel(self, bot: BotCredentials, ref: str) -> ChannelInfo:
        return await self._call(self._inner.resolve_channel, bot, ref)

    async def bot_rights(self, bot: BotCredentials, channel_id: TelegramID) -> AdminRights:
        return await self._call(self._inner.bot_rights, bot, channel_id)

    async def open_invite(self, account: AccountCredentials, ref: str) -> ChannelInfo:
        return await self._call(self._inner.open_invite, account, ref)

    async def post_markdown(
        self, bot: BotCredentials, channel_id: TelegramID, text: str
    ) -> PostedMessage:
        return await self._call(self._inner.post_markdown, bot, channel_id, text)

    async def message_views(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> dict[int, int]:
        return await self._call(self._inner.message_views, bot, channel_id, message_ids)

    async def channel_messages(
        self, bot: BotCredentials, channel_id: TelegramID, message_ids: Sequence[int]
    ) -> list[PostedMessage]:
        return await self._call(self._inner.channel_messages, bot, channel_id, message_ids)

    async def send_login_code(self, account: AccountCredentials) -> LoginCode:
        return await self._call(self._inner.send_login_code, account)

    async def sign_in(
        self,
        account: AccountCredentials,
        *,
        code: str,
        phone_code_hash: str,
        password: str | None = None,
    ) -> SignedIn:
        return await self._call(
            self._inner.sign_in,
            account,
            code=code,
            phone_code_hash=phone_code_hash,
            password=password,
        )

    async def user_statuses(
        self, account: AccountCredentials, users: Sequence[str]
    ) -> list[StatusObservation]:
        return await self._call(self._inner.user_statuses, account, users)

    def status_updates(self, account: AccountCredentials) -> AsyncIterator[StatusObservation]:
        return self._inner.status_updates(account)

    async def import_phone(self, account: AccountCredentials, phone: str) -> TelegramUser | None:
        return await self._call(self._inner.import_phone, account, phone)

    async def delete_contact(self, account: AccountCredentials, user_id: TelegramID) -> None:
        await self._call(self._inner.delete_contact, account, user_id)

    async def invite_to_channel(
        self, account: AccountCredentials, channel: str, user_id: TelegramID
    ) -> InviteOutcome:
        return await self._call(self._inner.invite_to_channel, account, channel, user_id)

    async def export_invite_link(self, account: AccountCredentials, channel: str) -> str:
        return await self._call(self._inner.export_invite_link, account, channel)

    async def send_message(
        self, account: AccountCredentials, user: str, text: str, *, random_id: int
    ) -> SentMessage:
        return await self._call(self._inner.send_message, account, user, text, random_id=random_id)

    async def close(self) -> None:
        await self._inner.close()
