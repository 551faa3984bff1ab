"""Accounts: Query, Mutation and Subscription fields."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Protocol

import strawberry

from domain.accounts import service
from domain.accounts.events import SessionRevoked as SessionRevokedEvent
from domain.accounts.rules import TokenType
from domain.accounts.service import ProfileChanges
from domain.errors import Unauthenticated
from resolvers.events import decoded
from resolvers.permissions import client_address, require_viewer
from resolvers.uploads import upload_of
from schema.accounts import (
    DeleteAccountInput,
    DeleteAccountPayload,
    DeleteAccountSuccess,
    GoOfflineInput,
    GoOfflinePayload,
    GoOfflineSuccess,
    GoOnlineInput,
    GoOnlinePayload,
    GoOnlineSuccess,
    LoginInput,
    LoginPayload,
    LoginSuccess,
    LogoutInput,
    LogoutPayload,
    LogoutSuccess,
    RefreshTokenInput,
    RefreshTokenPayload,
    RefreshTokenSuccess,
    RegisterInput,
    RegisterPayload,
    RegisterSuccess,
    SessionRevoked,
    UpdateProfileInput,
    UpdateProfilePayload,
    UpdateProfileSuccess,
    User,
    UserFilter,
)
from schema.context import Info
from schema.relay import Connection, View, connection, global_id, page_request

if TYPE_CHECKING:
    import uuid

    from domain.accounts.rules import TokenClaims
    from schema.context import Context


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="The authenticated user; null without credentials.")
    def viewer(self, info: Info) -> User | None:
        if info.context.viewer is None and info.context.auth_error is None:
            return None
        return User.from_model(require_viewer(info.context).user, View.of(info))

    @strawberry.field(description="Active users, ordered by username.")
    async def users(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: UserFilter | None = None,
    ) -> Connection[User]:
        viewer = require_viewer(info.context)
        page = page_request(first, after, max_size=info.context.max_page_size)
        async with info.context.uow() as uow:
            found = await service.list_users(
                uow, actor=viewer, page=page, search=filter.search if filter else None
            )
        view = View.of(info)
        return connection(
            found,
            lambda user: User.from_model(user, view),
            service.user_cursor,
            has_previous=after is not None,
        )


@strawberry.type
class AccountsMutation:
    @strawberry.mutation
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        async with info.context.uow() as uow:
            user = await service.register_user(
                uow,
                info.context.auth,
                username=input.username,
                password=input.password,
                first_name=input.first_name,
                last_name=input.last_name,
                bio=input.bio,
            )
        # The new user is the one reading the answer: they see their own role.
        view = dataclasses.replace(View.of(info), viewer_id=user.id)
        return RegisterSuccess(user=User.from_model(user, view))

    @strawberry.mutation
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        async with info.context.uow() as uow:
            pair = await service.login(
                uow,
                info.context.auth,
                username=input.username,
                password=input.password,
                client=client_address(info.context.request),
            )
        return LoginSuccess.from_pair(pair)

    @strawberry.mutation(description="Rotate the token pair; the used tokens stop working.")
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> RefreshTokenPayload:
        async with info.context.uow() as uow:
            pair = await service.refresh_tokens(
                uow, info.context.auth, refresh_token=input.refresh_token
            )
        return RefreshTokenSuccess.from_pair(pair)

    @strawberry.mutation(description="Revoke the viewer's session (every token of its family).")
    async def logout(self, info: Info, input: LogoutInput | None = None) -> LogoutPayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            await service.logout(uow, info.context.auth, actor=viewer)
        return LogoutSuccess(revoked=True, client_mutation_id=echo(input))

    @strawberry.mutation(description="Change the viewer's names, bio or avatar.")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> UpdateProfilePayload:
        viewer = require_viewer(info.context)
        changes = ProfileChanges(
            first_name=input.first_name,
            last_name=input.last_name,
            bio=input.bio,
            avatar=await upload_of(input.avatar),
        )
        async with info.context.uow() as uow:
            user = await service.update_profile(
                uow,
                info.context.messenger.files,
                actor=viewer,
                user_id=viewer.user.id,
                changes=changes,
            )
        return UpdateProfileSuccess(user=User.from_model(user, View.of(info)))

    @strawberry.mutation(description="Delete the viewer's account; every session ends.")
    async def delete_account(
        self, info: Info, input: DeleteAccountInput | None = None
    ) -> DeleteAccountPayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            await service.delete_account(
                uow, info.context.auth, actor=viewer, user_id=viewer.user.id
            )
        return DeleteAccountSuccess(
            user_id=global_id("User", viewer.user.id), client_mutation_id=echo(input)
        )

    @strawberry.mutation(description="Show the viewer online now.")
    async def go_online(self, info: Info, input: GoOnlineInput | None = None) -> GoOnlinePayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            user = await service.go_online(uow, info.context.auth, actor=viewer)
        return GoOnlineSuccess(
            user=User.from_model(user, View.of(info)), client_mutation_id=echo(input)
        )

    @strawberry.mutation(description="Show the viewer offline until their next activity.")
    async def go_offline(self, info: Info, input: GoOfflineInput | None = None) -> GoOfflinePayload:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            user = await service.go_offline(uow, actor=viewer)
        return GoOfflineSuccess(
            user=User.from_model(user, View.of(info)), client_mutation_id=echo(input)
        )


class _Echoed(Protocol):
    client_mutation_id: str | None


def echo(input: _Echoed | None) -> str | None:
    """The client's ``clientMutationId``, handed back in the success type."""
    return None if input is None else input.client_mutation_id


@strawberry.type
class AccountsSubscription:
    @strawberry.subscription(description="Tells this client when its session is revoked.")
    async def account_events(self, info: Info) -> AsyncGenerator[SessionRevoked, None]:
        session = presented_session(info.context)
        reason = await session_revocation(
            info.context, user_id=session.user_id, session_id=session.session_id
        )
        if reason is not None:
            yield SessionRevoked(session_id=strawberry.ID(str(session.session_id)), reason=reason)


def presented_session(context: Context) -> TokenClaims:
    """The session of the presented access token: ours and unexpired, perhaps revoked since.

    Unlike every other field, accountEvents accepts a token whose session was revoked or
    rotated: telling its holder why the session ended is what it is for.
    """
    if context.token is None:
        raise context.auth_error or Unauthenticated()
    return service.read_token(context.auth, context.token, TokenType.ACCESS)


async def session_revocation(
    context: Context, *, user_id: uuid.UUID, session_id: uuid.UUID
) -> str | None:
    """Waits until the token family is revoked and says why; None if the bus shuts down.

    Listens first and checks the database second, so a revocation published before the
    listening started is not missed. It listens through the channel's shared relay: a socket's
    guard costs no task wake-up for the (many) other events of the user's channel.
    """
    watch = RevocationWatch(session_id)
    async with context.events.listen(f"user:{user_id}", watch):
        async with context.uow() as uow:
            reason = await service.find_revocation(uow, session_id=session_id)
        if reason is not None:
            return reason
        return await watch.outcome


class RevocationWatch:
    """A listener of the user's channel that waits for one session's ``SessionRevoked``: its
    outcome is the reason, None if the bus stopped, or the bus's error if it lost Redis."""

    __slots__ = ("outcome", "session_id")

    def __init__(self, session_id: uuid.UUID) -> None:
        self.session_id = session_id
        self.outcome: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()

    def deliver(self, message: str) -> None:
        event = decoded(message)
        if self.outcome.done() or not isinstance(event, SessionRevokedEvent):
            return
        if event.session_id == self.session_id:
            self.outcome.set_result(event.reason)

    def end(self, error: Exception | None) -> None:
        if self.outcome.done():
            return
        if error is None:
            self.outcome.set_result(None)
        else:
            self.outcome.set_exception(error)
