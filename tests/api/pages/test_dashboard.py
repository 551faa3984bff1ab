"""``/dashboard``: a frame of tghub's own pinned files (no CDN), and the token its script
asks for (bound to the admin's session, given only with the page's CSRF token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import OperationDefinitionNode, parse, validate

from resolvers.pages import assets
from resolvers.pages.dashboard import DOCUMENTS
from resolvers.pages.session import SESSION_COOKIE
from tests.api.authz import graphql_schema
from tests.api.graphql.factories import decode, login
from tests.api.pages.helpers import add_log, signed_in_admin
from tests.api.rest.factories import PASSWORD, create_user
from tests.assets import Links, parse_links, sha384

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


async def page_links(http: httpx.AsyncClient, path: str) -> Links:
    response = await http.get(path)
    assert response.status_code == 200, response.text
    return parse_links(response.text)


class TestAssets:
    async def test_every_asset_is_ours_pinned_and_served(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)
        links = await page_links(http, "/dashboard")
        pinned = {url: pin for url, pin in links.links.items() if url.startswith("/static/")}
        pinned[links.data["data-documents"]] = links.data["data-documents-integrity"]

        assert links.external() == []
        assert links.inline_scripts == 0
        assert set(pinned) == {assets.url(name) for name in assets.PINS}
        for url, pin in pinned.items():
            response = await http.get(url)
            assert response.status_code == 200, url
            assert pin == sha384(response.content), url

    def test_the_pins_match_the_files(self) -> None:
        """A changed file needs its pin changed too (resolvers/pages/assets.py says how)."""
        for name, pin in assets.PINS.items():
            assert sha384((assets.DIRECTORY / name).read_bytes()) == pin, name

    def test_the_script_reaches_nothing_but_this_site(self) -> None:
        script = (assets.DIRECTORY / "dashboard.js").read_text()

        assert "https://" not in script
        assert "http://" not in script.replace("http://www.w3.org/2000/svg", "")
        assert "graphql-transport-ws" in script
        assert "setInterval" not in script  # live through the subscription, no polling


class TestToken:
    async def test_the_session_gets_an_access_token_of_its_own_family(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        session_id = decode(http.cookies[SESSION_COOKIE])["sid"]

        response = await http.post("/dashboard/token", headers={"X-CSRF-Token": csrf})

        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        token = response.json()["accessToken"]
        claims = decode(token)
        assert claims["sid"] == session_id
        assert claims["token_type"] == "access"
        assert 0 < claims["exp"] - claims["iat"] <= runtime.settings.access_token_ttl
        viewer = await http.post(
            "/graphql",
            json={"query": "{ viewer { username role } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert viewer.json()["data"]["viewer"]["role"] == "ADMIN"

    async def test_no_token_without_the_csrf_header(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)

        missing = await http.post("/dashboard/token")
        wrong = await http.post("/dashboard/token", headers={"X-CSRF-Token": "guess"})

        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert "accessToken" not in missing.text + wrong.text

    async def test_no_token_without_a_session(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/dashboard/token", headers={"X-CSRF-Token": "x"})

        assert response.status_code == 401
        assert response.json() == {"detail": "Sign in first: your session has ended."}

    async def test_no_token_for_a_user_who_is_no_admin(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        user = await create_user(runtime)
        tokens = await login(http, user.username, PASSWORD)

        response = await http.post(
            "/dashboard/token", headers={"Authorization": f"Bearer {tokens.access}"}
        )

        assert response.status_code == 403

    async def test_the_token_dies_with_the_session(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        token = (await http.post("/dashboard/token", headers={"X-CSRF-Token": csrf})).json()[
            "accessToken"
        ]

        await http.post("/logout", data={"csrf_token": csrf})

        viewer = await http.post(
            "/graphql",
            json={"query": "{ viewer { username } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert viewer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_the_documents_fit_the_schema() -> None:
    """The script sends this file whole with an operation's name: every operation in it must
    hold against the schema it is served with."""
    document = parse((assets.DIRECTORY / DOCUMENTS).read_text())

    assert validate(graphql_schema(), document) == []
    names = {
        d.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name
    }
    assert {
        "DashboardSnapshot",
        "DashboardHistory",
        "DashboardAccounts",
        "DashboardEvents",
    } <= names


async def test_the_snapshot_answers_an_admin(http: httpx.AsyncClient, runtime: Runtime) -> None:
    csrf = await signed_in_admin(http, runtime)
    await add_log(runtime, "+79991234567", reason="<b>")
    token = (await http.post("/dashboard/token", headers={"X-CSRF-Token": csrf})).json()[
        "accessToken"
    ]

    response = await http.post(
        "/graphql",
        json={
            "query": (assets.DIRECTORY / DOCUMENTS).read_text(),
            "operationName": "DashboardSnapshot",
            "variables": {"period": "DAY", "logs": 20},
        },
        headers={"Authorization": f"Bearer {token}"},
    )

    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["inviteStats"]["invited"] == 1
    assert body["data"]["inviteLogs"]["nodes"][0]["phone"] == "+79991234567"
    assert sum(bucket["count"] for bucket in body["data"]["inviteHistory"]) == 1
