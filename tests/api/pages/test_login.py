"""The pages' admin login: the form, the session cookie bound to a token family, CSRF on the
login form itself, where it sends the browser afterwards, and logout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import jwt
import pytest
from sqlalchemy import update

from domain.accounts import service
from domain.accounts.model import Role, User
from resolvers.pages.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE, safe_next
from tests.api.graphql.factories import login, sign
from tests.api.pages.helpers import (
    forget_login_form,
    hidden,
    login_form,
    page_csrf,
    sign_in,
    signed_in_admin,
)
from tests.api.rest.factories import PASSWORD, create_admin, create_user
from tests.conftest import TEST_SECRET, app_client
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx

    from domain.bootstrap import Runtime
    from domain.settings import Settings

PAGES = ["/dashboard", "/admin", "/logs"]


def session_claims(http: httpx.AsyncClient) -> dict[str, object]:
    token = http.cookies[SESSION_COOKIE]
    claims: dict[str, object] = jwt.decode(token, TEST_SECRET, algorithms=["HS256"])
    return claims


class TestSignIn:
    async def test_an_admin_signs_in_and_lands_on_the_dashboard(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)

        response = await sign_in(http, admin.username)

        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard"
        assert (await http.get("/dashboard")).status_code == 200

    async def test_the_cookie_is_http_only_lax_and_site_wide(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)

        response = await sign_in(http, admin.username)

        cookie = next(
            value
            for name, value in response.headers.multi_items()
            if name == "set-cookie" and value.startswith(f"{SESSION_COOKIE}=")
        )
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "path", "samesite", "max-age"} <= attributes
        assert "samesite=lax" in cookie.lower()
        assert "path=/;" in cookie.lower() + ";"
        assert "secure" not in attributes  # plain http here; https sets it (below)

    async def test_the_cookie_is_secure_over_https(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        admin = await create_admin(runtime)
        async with app_client(settings) as client:
            client.base_url = client.base_url.copy_with(scheme="https")

            response = await sign_in(client, admin.username)

        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()

    async def test_the_cookie_is_a_session_of_its_own_and_no_api_token(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)
        cookie = http.cookies[SESSION_COOKIE]

        claims = session_claims(http)
        graphql = await http.post(
            "/graphql",
            json={"query": "{ viewer { username } }"},
            headers={"Authorization": f"Bearer {cookie}"},
        )

        assert claims["token_type"] == "admin_session"
        assert "password" not in str(claims)
        assert graphql.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_wrong_password_shows_the_form_again(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)

        response = await sign_in(http, admin.username, "not-the-password")

        assert response.status_code == 401
        assert "Wrong username or password." in response.text
        assert f'value="{admin.username}"' in response.text
        assert SESSION_COOKIE not in http.cookies

    async def test_an_unknown_user_reads_the_same(self, http: httpx.AsyncClient) -> None:
        response = await sign_in(http, "nobody-here")

        assert response.status_code == 401
        assert "Wrong username or password." in response.text

    async def test_a_user_who_is_no_admin_is_told_so(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        user = await create_user(runtime)

        response = await sign_in(http, user.username)

        assert response.status_code == 403
        assert service.ADMINS_ONLY_SESSION in response.text
        assert SESSION_COOKIE not in http.cookies

    async def test_a_form_without_fields_is_refused_not_a_500(
        self, http: httpx.AsyncClient
    ) -> None:
        page = await login_form(http)

        response = await http.post("/login", data={"csrf_token": hidden(page, "csrf_token")})

        assert response.status_code == 401

    async def test_text_no_database_can_hold_is_a_wrong_password(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await sign_in(http, "ad\x00min", "pass\x00word")

        assert response.status_code == 401

    async def test_a_signed_in_admin_visiting_the_login_page_goes_on(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)

        response = await http.get("/login", params={"next": "/logs"})

        assert response.status_code == 303
        assert response.headers["location"] == "/logs"


class TestLoginCsrf:
    async def test_a_post_without_the_form_token_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)
        await login_form(http)

        response = await http.post(
            "/login", data={"username": admin.username, "password": PASSWORD}
        )

        assert response.status_code == 403
        assert SESSION_COOKIE not in http.cookies

    async def test_a_wrong_form_token_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)
        await login_form(http)
        form = {"csrf_token": "x" * 43, "username": admin.username, "password": PASSWORD}

        response = await http.post("/login", data=form)

        assert response.status_code == 403
        assert SESSION_COOKIE not in http.cookies

    async def test_a_form_whose_cookie_is_gone_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        """Another site posting a login form has the field but not our cookie."""
        admin = await create_admin(runtime)
        page = await login_form(http)
        forget_login_form(http)
        form = {"csrf_token": hidden(page, "csrf_token"), "username": admin.username,
                "password": PASSWORD}  # fmt: skip

        response = await http.post("/login", data=form)

        assert response.status_code == 403
        assert "expired" in response.text

    async def test_the_login_form_token_lives_in_its_own_cookie(
        self, http: httpx.AsyncClient
    ) -> None:
        response = await http.get("/login")

        assert LOGIN_CSRF_COOKIE in response.headers["set-cookie"]
        assert "path=/login" in response.headers["set-cookie"].lower()
        assert "httponly" in response.headers["set-cookie"].lower()


class TestRateLimit:
    @pytest.fixture
    async def limited(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        strict = settings.model_copy(update={"login_attempts_per_minute": 3})
        async with app_client(strict) as client:
            yield client

    async def test_attempts_over_the_limit_are_refused_even_with_the_right_password(
        self, limited: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)
        for _ in range(3):
            assert (await sign_in(limited, admin.username, "wrong-guess")).status_code == 401

        response = await sign_in(limited, admin.username)

        assert response.status_code == 429
        assert 1 <= int(response.headers["Retry-After"]) <= 61
        assert "Too many login attempts" in response.text
        assert SESSION_COOKIE not in limited.cookies

    async def test_the_graphql_login_and_the_page_share_the_count(
        self, limited: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)
        for _ in range(3):
            await sign_in(limited, admin.username, "wrong-guess")

        body = await limited.post(
            "/graphql",
            json={
                "query": "mutation($i: LoginInput!) { login(input: $i) { __typename } }",
                "variables": {"i": {"username": admin.username, "password": PASSWORD}},
            },
        )

        assert body.json()["data"]["login"]["__typename"] == "RateLimitedError"


class TestOutage:
    async def test_login_without_redis_is_a_503_page(self, settings: Settings) -> None:
        """The login limit cannot be counted: refused (fail closed), as the API's login."""
        dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
        async with app_client(dead) as client:
            response = await sign_in(client, "ivan", "secret-guess")

        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert "Rate limiting is unavailable" in response.text


class TestWhereToAfterwards:
    @pytest.mark.parametrize(
        "next_path", ["/logs", "/logs?status=failed&phone=%2B7", "/admin#accounts"]
    )
    async def test_a_path_of_this_site_is_followed(
        self, http: httpx.AsyncClient, runtime: Runtime, next_path: str
    ) -> None:
        admin = await create_admin(runtime)

        response = await sign_in(http, admin.username, next_path=next_path)

        assert response.headers["location"] == next_path

    @pytest.mark.parametrize(
        "next_path",
        [
            "https://evil.example/",
            "HTTPS://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "\\\\evil.example",
            "javascript:alert(1)",
            "/\r\nLocation: https://evil.example",
            " /logs",
            "http:/evil.example",
            "/login?next=//evil.example",
            "",
        ],
    )
    async def test_anything_else_goes_to_the_dashboard(
        self, http: httpx.AsyncClient, runtime: Runtime, next_path: str
    ) -> None:
        admin = await create_admin(runtime)

        response = await sign_in(http, admin.username, next_path=next_path)

        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard"

    async def test_the_login_page_refuses_them_too(self, http: httpx.AsyncClient) -> None:
        page = await login_form(http, "//evil.example/")

        assert hidden(page, "next") == "/dashboard"

    async def test_encoded_characters_stay_a_path_of_this_site(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)

        response = await sign_in(http, admin.username, next_path="/%0d%0aSet-Cookie:x=1")

        assert response.headers["location"] == "/%0d%0aSet-Cookie:x=1"
        assert "x=1" not in response.headers.get("set-cookie", "").split(";")[0]

    def test_the_rule_itself(self) -> None:
        assert safe_next("/logs?x=1") == "/logs?x=1"
        for bad in ("//x", "/\\x", "https://x", "x", None, 5, "/\x00", "/logout", "/" + "a" * 3000):
            assert safe_next(bad) == "/dashboard", bad


class TestAnonymous:
    @pytest.mark.parametrize("path", PAGES)
    async def test_a_page_sends_the_browser_to_the_login_page(
        self, http: httpx.AsyncClient, path: str
    ) -> None:
        response = await http.get(path, params={"period": "week"})

        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}%3Fperiod%3Dweek"

    async def test_the_login_page_keeps_where_to_go(self, http: httpx.AsyncClient) -> None:
        redirect = await http.get("/logs", params={"status": "failed"})

        page = await http.get(redirect.headers["location"])

        assert hidden(page.text, "next") == "/logs?status=failed"

    async def test_a_post_without_a_session_does_nothing(self, http: httpx.AsyncClient) -> None:
        response = await http.post("/admin", data={"queue_threshold": "7"})

        assert response.status_code == 401
        assert 'href="/login' in response.text

    async def test_a_forged_cookie_is_no_session(self, http: httpx.AsyncClient) -> None:
        http.cookies.set(SESSION_COOKIE, "not-a-token")

        response = await http.get("/admin")

        assert response.status_code == 303
        assert f"{SESSION_COOKIE}=" in response.headers["set-cookie"]  # dropped


class TestLogout:
    async def test_logout_ends_the_cookie_everywhere(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        csrf = await signed_in_admin(http, runtime)
        cookie = http.cookies[SESSION_COOKIE]

        response = await http.post("/logout", data={"csrf_token": csrf})

        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert SESSION_COOKIE not in http.cookies
        # The same cookie, kept by someone (another tab, a copy): the session is over.
        http.cookies.set(SESSION_COOKIE, cookie)
        assert (await http.get("/admin")).status_code == 303

    async def test_logout_without_the_csrf_token_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)

        response = await http.post("/logout")

        assert response.status_code == 403
        assert (await http.get("/admin")).status_code == 200

    async def test_logout_with_a_wrong_token_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)

        response = await http.post("/logout", data={"csrf_token": "wrong"})

        assert response.status_code == 403
        assert "security token" in response.text
        assert (await http.get("/admin")).status_code == 200

    async def test_a_revoked_session_ends_the_cookie(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        """Logout anywhere else (GraphQL's, with a token of the same session) ends it too."""
        await signed_in_admin(http, runtime)
        headers = {"X-CSRF-Token": await page_csrf(http)}
        token = (await http.post("/dashboard/token", headers=headers)).json()["accessToken"]

        await http.post(
            "/graphql",
            json={"query": "mutation { logout { __typename } }"},
            headers={"Authorization": f"Bearer {token}"},
        )

        assert (await http.get("/admin")).status_code == 303

    async def test_an_admin_demoted_loses_the_pages(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)
        user_id = session_claims(http)["sub"]
        async with runtime.uow() as uow:
            demote = update(User).where(User.id == uuid.UUID(str(user_id))).values(role=Role.USER)
            await uow.session.execute(demote)
            await uow.commit()

        assert (await http.get("/admin")).status_code == 303

    async def test_an_expired_cookie_is_no_session(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await signed_in_admin(http, runtime)
        claims = session_claims(http)
        past = int((datetime.now(UTC) - timedelta(minutes=5)).timestamp())
        http.cookies.set(SESSION_COOKIE, sign({**claims, "exp": past}))

        assert (await http.get("/admin")).status_code == 303


class TestBearer:
    async def test_the_api_token_of_an_admin_opens_the_pages(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        admin = await create_admin(runtime)
        tokens = await login(http, admin.username, PASSWORD)

        for path in PAGES:
            response = await http.get(path, headers={"Authorization": f"Bearer {tokens.access}"})
            assert response.status_code == 200, path

    async def test_a_bearer_post_needs_no_csrf_token(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        """No other site can make a browser send the header, so it proves the intent."""
        admin = await create_admin(runtime)
        tokens = await login(http, admin.username, PASSWORD)

        response = await http.post("/logout", headers={"Authorization": f"Bearer {tokens.access}"})

        assert response.status_code == 303
        again = await http.get("/admin", headers={"Authorization": f"Bearer {tokens.access}"})
        assert again.status_code == 401

    async def test_a_user_who_is_no_admin_is_refused(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        user = await create_user(runtime)
        tokens = await login(http, user.username, PASSWORD)

        response = await http.get("/admin", headers={"Authorization": f"Bearer {tokens.access}"})

        assert response.status_code == 403
        assert "not an admin" in response.text

    async def test_a_bad_token_is_refused_not_redirected(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/admin", headers={"Authorization": "Bearer nonsense"})

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
