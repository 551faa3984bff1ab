"""How the schema is built: caches on, limits shared so the validation cache can hit."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import MaxTokensLimiter, ParserCache

from resolvers.root import GraphQLLimits, Schema, build_schema
from resolvers.validation import DocumentValidationCache


def extension(schema: Schema, name: str) -> Any:
    (found,) = [e for e in schema.extensions if getattr(e, "__name__", "") == name]
    return found


class TestBuildSchema:
    def test_parser_and_validation_caches_are_on(self) -> None:
        extensions = build_schema(GraphQLLimits()).extensions
        assert ParserCache in extensions
        assert DocumentValidationCache in extensions

    def test_validation_rules_are_the_same_classes_for_every_request(self) -> None:
        schema = build_schema(GraphQLLimits(max_depth=3, max_aliases=2))
        limits = extension(schema, "DepthAndAliasLimits")
        assert limits().validation_rules == limits().validation_rules

    def test_token_limit_comes_from_the_settings(self) -> None:
        schema = build_schema(GraphQLLimits(max_tokens=77))
        limiter = extension(schema, "TokenLimit")()
        assert isinstance(limiter, MaxTokensLimiter)
        assert limiter.max_token_count == 77

    def test_only_graphql_transport_ws_is_offered(self) -> None:
        from resolvers.view import GraphQLView

        view = GraphQLView(build_schema(GraphQLLimits()), allowed_origins=[], max_subscriptions=5)
        assert tuple(view.protocols) == ("graphql-transport-ws",)
        assert view.max_subscriptions_per_connection == 5
        assert view.allow_queries_via_get is False


class TestIntrospection:
    async def test_on_by_default(self) -> None:
        result = await build_schema(GraphQLLimits()).execute("{ __schema { queryType { name } } }")
        assert result.errors is None

    async def test_can_be_turned_off(self) -> None:
        schema = build_schema(GraphQLLimits(introspection=False))
        result = await schema.execute("{ __schema { queryType { name } } }")
        assert result.errors
        assert "introspection" in result.errors[0].message.lower()
