"""GraphQL shapes of the accounts aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from typing_extensions import override

from domain.accounts import rules
from domain.accounts.model import Role
from schema.errors import AuthenticationError, RateLimitedError, ValidationError
from schema.relay import View, uuid_or_none

if TYPE_CHECKING:
    from collections.abc import Iterable

    from domain.accounts.model import User as UserModel
    from domain.accounts.service import TokenPair as TokenPairModel
    from domain.messenger.cards import UserCard
    from schema.context import Info

UserRole = strawberry.enum(Role, name="UserRole")


@strawberry.type
class User(relay.Node):
    id: relay.NodeID[str]
    username: str
    first_name: str
    last_name: str
    bio: str | None
    role: UserRole | None = strawberry.field(  # type: ignore[valid-type]
        description="Shown to admins and to the user themself; null for anyone else."
    )
    last_online_at: datetime | None
    is_deleted: bool = strawberry.field(
        description="The account was deleted: its row stays, anonymised, for its messages."
    )
    is_online: bool = strawberry.field(description="Active within the last five minutes.")
    avatar: str | None = strawberry.field(description="Absolute URL of the avatar picture.")

    @classmethod
    def from_model(cls, user: UserModel, view: View) -> User:
        return cls(
            id=str(user.id),
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
            bio=user.bio,
            role=user.role if view.may_see_role(user.id) else None,
            last_online_at=user.last_online_at,
            is_deleted=user.deleted_at is not None,
            is_online=rules.is_online(
                user.last_online_at, view.now, announced=user.online_announced
            ),
            avatar=view.media(user.avatar),
        )

    @classmethod
    def from_card(cls, card: UserCard, view: View) -> User:
        """A user as a message card carries them (events render without a query)."""
        return cls(
            id=str(card.id),
            username=card.username,
            first_name=card.first_name,
            last_name=card.last_name,
            bio=card.bio,
            role=Role(card.role) if view.may_see_role(card.id) else None,
            last_online_at=card.last_online_at,
            is_deleted=card.deleted,
            is_online=rules.is_online(card.last_online_at, view.now, announced=card.online),
            avatar=view.media(card.avatar),
        )

    @override
    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[User | None]:
        ids = [uuid_or_none(node_id) for node_id in node_ids]
        found = await info.context.loaders.users.load_many([i for i in ids if i is not None])
        by_id = {user.id: user for user in found if user is not None and user.is_active}
        view = View.of(info)
        return [cls.from_model(by_id[i], view) if i in by_id else None for i in ids]


@strawberry.input
class UserFilter:
    search: str | None = strawberry.field(
        default=None, description="Words matched in username, first or last name (AND)."
    )


@strawberry.input
class RegisterInput:
    username: str
    password: str
    first_name: str = ""
    last_name: str = ""
    bio: str | None = None


@strawberry.input
class LoginInput:
    username: str
    password: str


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.type
class RegisterSuccess:
    user: User


@strawberry.interface(description="A new access token and the refresh token to renew it.")
class TokenPair:
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret


@strawberry.type
class LoginSuccess(TokenPair):
    @classmethod
    def from_pair(cls, pair: TokenPairModel) -> LoginSuccess:
        return cls(access_token=pair.access, refresh_token=pair.refresh)


@strawberry.type
class RefreshTokenSuccess(TokenPair):
    @classmethod
    def from_pair(cls, pair: TokenPairModel) -> RefreshTokenSuccess:
        return cls(access_token=pair.access, refresh_token=pair.refresh)


@strawberry.input(description="A mutation's input with nothing to say but an echo.")
class LogoutInput:
    client_mutation_id: str | None = None


@strawberry.type
class LogoutSuccess:
    revoked: bool
    client_mutation_id: str | None = None


@strawberry.input
class UpdateProfileInput:
    first_name: str | None = None
    last_name: str | None = None
    bio: str | None = None
    avatar: Upload | None = None


@strawberry.type
class UpdateProfileSuccess:
    user: User


@strawberry.input
class DeleteAccountInput:
    client_mutation_id: str | None = None


@strawberry.type
class DeleteAccountSuccess:
    user_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class GoOnlineInput:
    client_mutation_id: str | None = None


@strawberry.type
class GoOnlineSuccess:
    user: User
    client_mutation_id: str | None = None


@strawberry.input
class GoOfflineInput:
    client_mutation_id: str | None = None


@strawberry.type
class GoOfflineSuccess:
    user: User
    client_mutation_id: str | None = None


@strawberry.type
class SessionRevoked:
    session_id: strawberry.ID = strawberry.field(
        description="An opaque id of the ended session (sessions are not nodes)."
    )
    reason: str


RegisterPayload = Annotated[RegisterSuccess | ValidationError, strawberry.union("RegisterPayload")]
LoginPayload = Annotated[
    LoginSuccess | AuthenticationError | RateLimitedError, strawberry.union("LoginPayload")
]
RefreshTokenPayload = Annotated[
    RefreshTokenSuccess | AuthenticationError, strawberry.union("RefreshTokenPayload")
]
LogoutPayload = Annotated[LogoutSuccess, strawberry.union("LogoutPayload")]
UpdateProfilePayload = Annotated[
    UpdateProfileSuccess | ValidationError, strawberry.union("UpdateProfilePayload")
]
DeleteAccountPayload = Annotated[DeleteAccountSuccess, strawberry.union("DeleteAccountPayload")]
GoOnlinePayload = Annotated[GoOnlineSuccess, strawberry.union("GoOnlinePayload")]
GoOfflinePayload = Annotated[GoOfflineSuccess, strawberry.union("GoOfflinePayload")]
