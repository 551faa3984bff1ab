"""Accounts: Query, Mutation and Subscription fields."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import strawberry
from strawberry.relay import GlobalIDValueError

from domain.accounts import service
from domain.accounts.events import SessionRevoked as SessionRevokedEvent
from domain.accounts.rules import TokenType
from domain.errors import Unauthenticated
from resolvers.events import decoded
from resolvers.permissions import client_address, require_viewer
from schema.accounts import (
    AuthTokens,
    LoginInput,
    LoginPayload,
    LogoutSuccess,
    RefreshTokenInput,
    RefreshTokenPayload,
    RegisterInput,
    RegisterPayload,
    RegisterSuccess,
    SessionRevoked,
    User,
    UserFilter,
)
from schema.context import Info
from schema.relay import Connection, View, connection, page_request

if TYPE_CHECKING:
    import uuid

    from domain.accounts.rules import TokenClaims
    from schema.context import Context


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: Info, id: strawberry.relay.GlobalID) -> strawberry.relay.Node | None:
        require_viewer(info.context)
        try:
            resolved: strawberry.relay.Node | None = await id.resolve_node(info, required=False)
        except GlobalIDValueError:  # it names no type, or a type that is not a Node
            return None
        return resolved

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
                uow, page=page, search=filter.search if filter else None, exclude=viewer.user.id
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
        return RegisterSuccess(user=User.from_model(user, View.of(info)))

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
        return AuthTokens.from_pair(pair)

    @strawberry.mutation(description="Rotate the token pair; the used tokens stop working.")
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> RefreshTokenPayload:
        async with info.context.uow() as uow:
            pair = await service.refresh_tokens(
                uow, info.context.auth, refresh_token=input.refresh_token
            )
        return AuthTokens.from_pair(pair)

    @strawberry.mutation(description="Revoke the viewer's session (every token of its family).")
    async def logout(self, info: Info) -> LogoutSuccess:
        viewer = require_viewer(info.context)
        async with info.context.uow() as uow:
            await service.logout(uow, info.context.auth, session_id=viewer.session_id)
        return LogoutSuccess(revoked=True)


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
    listening started is not missed.
    """
    async with context.events.subscribe(f"user:{user_id}") as messages:
        async with context.uow() as uow:
            reason = await service.find_revocation(uow, session_id=session_id)
        if reason is not None:
            return reason
        async for message in messages:
            event = decoded(message)
            if isinstance(event, SessionRevokedEvent) and event.session_id == session_id:
                return event.reason
    return None
