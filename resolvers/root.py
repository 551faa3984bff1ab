"""The one schema, merged from every aggregate's Query/Mutation/Subscription."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLSyntaxError
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.relay import GlobalIDValueError
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import PreExecutionError
from typing_extensions import override

from resolvers.accounts import AccountsMutation, AccountsQuery, AccountsSubscription
from resolvers.bots import BotsMutation, BotsQuery, BotsSubscription
from resolvers.errors import ErrorPolicy
from resolvers.extension_runner import LeanExtensionsRunner
from resolvers.invites import InvitesMutation, InvitesQuery, InvitesSubscription
from resolvers.jobs import JobsMutation, JobsQuery, JobsSubscription
from resolvers.mailing import MailingMutation, MailingQuery, MailingSubscription
from resolvers.mailing_import import MailingImportMutation
from resolvers.messenger import MessengerMutation, MessengerQuery, MessengerSubscription
from resolvers.metrics import GraphQLMetrics
from resolvers.permissions import require_viewer
from resolvers.sandbox import SandboxMutation, SandboxQuery
from resolvers.sharing import SharedExecutor
from resolvers.telegram import TelegramMutation, TelegramQuery
from resolvers.tracking import TrackingMutation, TrackingQuery, TrackingSubscription
from resolvers.validation import DocumentValidationCache
from resolvers.websocket import WebsocketOperationAuth
from schema.context import Info
from schema.errors import EXCEPTION_HANDLERS
from schema.scalars import SCALAR_MAP

if TYPE_CHECKING:
    from graphql import ASTValidationRule, GraphQLError
    from strawberry.extensions import SchemaExtension
    from strawberry.extensions.runner import SchemaExtensionsRunner
    from strawberry.schema.schema import StreamResult
    from strawberry.types import ExecutionContext


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null for what you may not see.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        require_viewer(info.context)
        try:
            global_id = relay.GlobalID.from_id(id)
            resolved: relay.Node | None = await global_id.resolve_node(info, required=False)
        except GlobalIDValueError:  # not a global ID, or one of no Node type
            return None
        return resolved


QUERIES: tuple[type, ...] = (
    NodeQuery,
    AccountsQuery,
    MessengerQuery,
    JobsQuery,
    TelegramQuery,
    TrackingQuery,
    BotsQuery,
    MailingQuery,
    InvitesQuery,
)
MUTATIONS: tuple[type, ...] = (
    AccountsMutation,
    MessengerMutation,
    JobsMutation,
    TelegramMutation,
    TrackingMutation,
    BotsMutation,
    MailingMutation,
    MailingImportMutation,
    InvitesMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (
    AccountsSubscription,
    MessengerSubscription,
    JobsSubscription,
    TrackingSubscription,
    BotsSubscription,
    MailingSubscription,
    InvitesSubscription,
)


def _merged(name: str, parts: tuple[type, ...]) -> type:
    return strawberry.type(type(name, parts, {}))


@dataclass(frozen=True)
class GraphQLLimits:
    max_depth: int = 12
    max_tokens: int = 1000
    max_aliases: int = 20
    introspection: bool = True
    # The sandbox fields exist only while tghub runs on the simulated Telegram.
    sandbox: bool = True
    metrics: bool = True  # count operations (TGHUB_METRICS_ENABLED)


class Schema(strawberry.Schema):
    @override
    async def stream(  # one signature for every caller: Strawberry's websocket handlers
        self, query: str | None, *args: Any, **kwargs: Any
    ) -> StreamResult:
        return _syntax_errors_as_results(await super().stream(query, *args, **kwargs))

    @override
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)

    @override
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ErrorPolicy logs what deserves a log line; the default logs every validation error.
        return None


async def _syntax_errors_as_results(results: StreamResult) -> StreamResult:
    """A document that does not parse (a syntax error, or past the token limit) is the first
    result, as a validation error is; parsing inside the extensions (the cache and the token
    limit) raises it instead, which would end a websocket operation without a word."""
    try:
        async for result in results:
            yield result
    except GraphQLSyntaxError as error:
        yield PreExecutionError(data=None, errors=[error])


def build_schema(limits: GraphQLLimits) -> Schema:
    # Validation rule classes are built once: the validation cache keys on them, so a per-request
    # limiter instance (which builds a new rule class each time) would defeat the cache.
    rules: list[type[ASTValidationRule]] = [
        alias_validator(limits.max_aliases),
        depth_validator(limits.max_depth, None),
    ]

    class DepthAndAliasLimits(AddValidationRules):
        def __init__(self) -> None:
            super().__init__(rules)

    class TokenLimit(MaxTokensLimiter):
        def __init__(self) -> None:
            super().__init__(max_token_count=limits.max_tokens)

    # GraphQLMetrics first: it sees every operation end, however it ends.
    counted: list[Any] = [GraphQLMetrics] if limits.metrics else []
    extensions: list[Any] = [
        *counted,
        TokenLimit,
        ParserCache,
        DepthAndAliasLimits,
        DocumentValidationCache,
        WebsocketOperationAuth,
        ErrorPolicy,
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    sandbox_query = (SandboxQuery,) if limits.sandbox else ()
    sandbox_mutation = (SandboxMutation,) if limits.sandbox else ()
    return Schema(
        query=_merged("Query", QUERIES + sandbox_query),
        mutation=_merged("Mutation", MUTATIONS + sandbox_mutation),
        subscription=_merged("Subscription", SUBSCRIPTIONS),
        extensions=extensions,
        exception_handlers=EXCEPTION_HANDLERS,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=SharedExecutor,
    )


# For `strawberry export-schema resolvers.root:schema`; limits do not change the SDL.
schema = build_schema(GraphQLLimits())
