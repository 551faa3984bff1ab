"""The OpenAPI document of the legacy routes: valid OpenAPI 3.1, served as generated, naming
every legacy route; and the contract check that every test's answers pass through."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from openapi_spec_validator import validate
from starlette.responses import JSONResponse, PlainTextResponse, Response

from resolvers.rest import legacy_endpoints, legacy_routes
from resolvers.rest.contract import (
    ANY,
    TEXT,
    Answer,
    Auth,
    ContractBroken,
    Endpoint,
    NotAllowed,
    Operation,
    Shape,
    System,
    check_answer,
    path_key,
)
from resolvers.rest.openapi import build_document, document

if TYPE_CHECKING:
    import httpx
    from starlette.requests import Request


async def test_the_document_is_valid_openapi_3_1(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")

    assert response.status_code == 200
    served = response.json()
    assert served["openapi"] == "3.1.0"
    validate(served)
    assert served == document()


def test_every_legacy_route_and_method_is_documented() -> None:
    paths = {path_key(path): operations for path, operations in document()["paths"].items()}
    undocumented = []
    for route in legacy_routes():
        path = path_key(route.path)  # type: ignore[attr-defined]
        documented = paths.get(path) or paths.get(f"{path}/") or {}
        # The routes refusing undeclared methods (contract.NotAllowed) have none.
        for method in (route.methods or set()) - {"HEAD"}:  # type: ignore[attr-defined]
            if method.lower() not in documented:
                undocumented.append(f"{method} {route.path}")  # type: ignore[attr-defined]

    assert undocumented == []


async def _link(request: Request) -> Response:
    raise AssertionError("never called: the document reads declarations")


def test_endpoints_on_one_template_are_one_path_named_as_the_first() -> None:
    """OpenAPI holds ``/links/{name}/`` and ``/links/{link_id}/`` as the same path: the
    document has it once, with both methods, the second's parameter renamed but typed by its
    own declaration."""
    read = Operation("Read", (Answer(200, "Found.", Thing),))
    remove = Operation("Remove", (Answer(204, "Gone."),), path={"link_id": int})
    paths = build_document(
        [
            Endpoint("/links/{name}/", _link, {"GET": read}, System.BOTS),
            Endpoint("/links/{link_id}/", _link, {"DELETE": remove}, System.BOTS),
        ]
    )["paths"]

    assert list(paths) == ["/links/{name}/"]
    assert set(paths["/links/{name}/"]) == {"get", "delete"}
    (get_parameter,) = paths["/links/{name}/"]["get"]["parameters"]
    (delete_parameter,) = paths["/links/{name}/"]["delete"]["parameters"]
    assert (get_parameter["name"], get_parameter["schema"]) == ("name", {"type": "string"})
    assert (delete_parameter["name"], delete_parameter["schema"]) == ("name", {"type": "integer"})


def test_a_method_declared_twice_on_one_path_is_refused() -> None:
    read = Operation("Read", (Answer(200, "Found.", Thing),))
    with pytest.raises(ValueError, match="declared twice"):
        build_document(
            [
                Endpoint("/links/{name}/", _link, {"GET": read}, System.BOTS),
                Endpoint("/links/{link_id}/", _link, {"GET": read}, System.BOTS),
            ]
        )


def test_every_operation_names_its_system_and_what_it_answers() -> None:
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            assert operation["tags"][0] in {system.value for system in System}, (method, path)
            assert operation["summary"], (method, path)
            assert operation["responses"], (method, path)


# --- the check --------------------------------------------------------------------------------


class Thing(Shape):
    name: str
    count: int


async def _unused(request: Request) -> Response:
    raise AssertionError("never called: the check reads answers")


THING = Endpoint(
    "/things/{id}/",
    _unused,
    {
        "GET": Operation("A thing", (Answer(200, "Found.", Thing),)),
        "DELETE": Operation("Gone", (Answer(204, "Deleted."),)),
        "PUT": Operation("Text", (Answer(200, "Some text.", str, media_type=TEXT),)),
        "POST": Operation("A file", (Answer(200, "Its own type.", bytes, media_type=ANY),)),
    },
    System.INVITES,
)

# An endpoint with a HEAD of its own (and no GET): HEAD answers are checked against it.
PING = Endpoint(
    "/ping/",
    _unused,
    {
        "HEAD": Operation("Ping", (Answer(200, "Pinged."),)),
        "POST": Operation("Ping", (Answer(200, "Pinged.", Thing),)),
    },
    System.INVITES,
)


@pytest.mark.parametrize(
    ("method", "response"),
    [
        ("GET", JSONResponse({"name": "a", "count": 1})),
        ("HEAD", JSONResponse({"name": "a", "count": 1})),
        ("GET", JSONResponse({"detail": "Not found."}, status_code=404)),
        ("DELETE", Response(status_code=204)),
        ("PUT", PlainTextResponse("hello")),
        ("POST", Response(b"\x89PNG", media_type="image/png")),
        ("POST", Response(b"%PDF-1.7", media_type="application/pdf")),
        ("POST", JSONResponse({"stored": "as JSON"})),
    ],
)
def test_declared_answers_pass(method: str, response: Response) -> None:
    check_answer(THING, method, response)


def test_a_declared_head_is_checked_as_declared() -> None:
    check_answer(PING, "HEAD", Response(status_code=200))
    with pytest.raises(ContractBroken, match="declares none"):
        check_answer(PING, "HEAD", JSONResponse({"name": "a", "count": 1}))


@pytest.mark.parametrize(
    ("method", "response", "complaint"),
    [
        ("GET", JSONResponse({"name": "a", "count": 1, "more": 2}), "off its shape"),
        ("GET", JSONResponse({"name": "a", "count": "1"}), "off its shape"),
        ("GET", JSONResponse({"name": "a"}), "off its shape"),
        ("GET", JSONResponse({"name": "a", "count": 1}, status_code=201), "does not declare"),
        ("DELETE", JSONResponse({"deleted": True}, status_code=204), "declares none"),
        ("PUT", JSONResponse("hello"), "declared 'text/plain'"),
        ("POST", Response(b"\x89PNG", media_type="image/png", status_code=201), "does not declare"),
    ],
)
def test_undeclared_answers_break_the_contract(
    method: str, response: Response, complaint: str
) -> None:
    with pytest.raises(ContractBroken, match=complaint):
        check_answer(THING, method, response)


def test_a_refused_body_is_answered_as_its_system_did() -> None:
    """DRF's 400 unless the operation declares otherwise (seed 002 was FastAPI: 422)."""
    drf = Operation("Post", (Answer(200, "Done.", Thing),), body=Thing)
    fastapi = Operation(
        "Post", (Answer(200, "Done.", Thing),), body=Thing, refused=Answer(422, "No.", Thing)
    )
    posts = Endpoint("/posts/", _unused, {"POST": fastapi, "PUT": drf}, System.BOTS)

    check_answer(posts, "POST", JSONResponse({"name": "a", "count": 1}, status_code=422))
    check_answer(posts, "PUT", JSONResponse({"title": ["This field is required."]}, 400))
    with pytest.raises(ContractBroken, match="does not declare"):
        check_answer(posts, "POST", JSONResponse({"title": ["This field is required."]}, 400))


def test_http_basic_can_be_rate_limited() -> None:
    """Failed Basic checks count against the login limit: 429 with Retry-After."""
    basic = Operation("Read", (Answer(200, "Found.", Thing),), auth=(Auth.BASIC,))
    bearer = Operation("Read", (Answer(200, "Found.", Thing),))

    limited = basic.all_answers("/things/")[429]
    assert "Retry-After" in limited.headers
    assert 429 not in bearer.all_answers("/things/")


def test_the_routes_come_from_the_declarations() -> None:
    declared = {(e.path, frozenset(e.methods) - {"HEAD"}) for e in legacy_endpoints()}
    built = {
        (route.path, frozenset(route.methods - {"HEAD"}))  # type: ignore[attr-defined]
        for route in legacy_routes()
        if not isinstance(route, NotAllowed)
    }
    assert declared <= built


@pytest.mark.parametrize("path", ["/api/user/offline/", "/api/user/online", "/api/auth/"])
async def test_a_method_a_path_does_not_declare_is_405_not_a_later_templates(
    http: httpx.AsyncClient, path: str
) -> None:
    """``/api/user/{user_id}/`` takes PATCH, but ``PATCH /api/user/offline/`` is not it."""
    response = await http.patch(path, json={})

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PATCH" not allowed.'}
    assert "PATCH" not in response.headers["allow"]


async def test_endpoints_sharing_a_template_each_keep_their_method(
    http: httpx.AsyncClient,
) -> None:
    """``/channels/{tg_id}/`` (GET) and ``/channels/{link_id}/`` (DELETE) are two endpoints:
    the refusal comes after both, with both methods allowed."""
    response = await http.put("/channels/1/", json={})

    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "DELETE"}
