"""Schemathesis hooks for the GraphQL fuzz run (loaded through ``SCHEMATHESIS_HOOKS``).

Strategies for the custom scalars (schemathesis knows neither ``JSON`` nor ``Upload``, and sends
only integer literals for ``BigInt``), and the pass criterion, ``no_unexpected_error``.
Not schemathesis's own ``not_a_server_error`` (ST113), which fails on *any* ``errors`` entry:
validation errors, ``UNAUTHENTICATED``, ``FORBIDDEN``, ``NOT_FOUND`` and ``BAD_USER_INPUT`` are
the answers we want for bad input.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

# resolvers.errors.MASKED_MESSAGE and its code: an exception no handler expected.
MASKED_MESSAGE = "Unexpected error."
MASKED_CODE = "INTERNAL_SERVER_ERROR"


def _object(fields: dict[str, graphql.ValueNode]) -> graphql.ObjectValueNode:
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=value)
            for name, value in fields.items()
        ]
    )


_NAMES = st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,8}\Z")
_JSON_LEAVES: st.SearchStrategy[graphql.ValueNode] = st.one_of(
    st.just(nodes.Null),
    st.booleans().map(nodes.Boolean),
    st.integers().map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.text().map(nodes.String),
)
JSON_VALUES = st.recursive(
    _JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(nodes.List),
        st.dictionaries(_NAMES, children, max_size=4).map(_object),
    ),
    max_leaves=12,
)
schemathesis.graphql.scalar("JSON", JSON_VALUES)
# A JSON body cannot carry a file: whatever literal a client writes for an Upload is wrong.
schemathesis.graphql.scalar("Upload", _JSON_LEAVES)

# schemathesis's own BigInt strategy sends integer literals only; ours adds strings, of digits
# (in range or not) and of anything else.
schemathesis.graphql.scalar(
    "BigInt",
    st.one_of(
        st.integers().map(nodes.Int),
        st.integers().map(str).map(nodes.String),
        st.text().map(nodes.String),
    ),
)


def masked_errors(body: object) -> list[dict[str, Any]]:
    """The masked unexpected errors of a GraphQL response body."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    return [
        error
        for error in body["errors"]
        if isinstance(error, dict)
        and (
            error.get("message") == MASKED_MESSAGE
            or (error.get("extensions") or {}).get("code") == MASKED_CODE
        )
    ]


@schemathesis.check
def no_unexpected_error(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Fails on a 5xx and on a masked unexpected error; every typed error passes."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:2000]}")
    try:
        body = json.loads(response.content)
    except ValueError:
        return None  # not JSON (a 4xx refusal before GraphQL, e.g. 413): nothing masked in it
    masked = masked_errors(body)
    if masked:
        raise AssertionError(f"masked unexpected error: {json.dumps(masked)[:2000]}")
    return None
