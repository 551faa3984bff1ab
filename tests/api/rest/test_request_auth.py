"""Who calls a legacy route: Bearer, HTTP Basic and the operator's open legacy groups."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest
from starlette.requests import Request

from domain.access import Guest
from domain.accounts import service
from domain.accounts.errors import InvalidCredentials, InvalidToken
from domain.errors import ExternalUnavailable, PermissionDenied, Unauthenticated
from resolvers.rest.auth import basic_credentials, request_viewer, require_group_access
from tests.api.rest.factories import (
    PASSWORD,
    basic_header,
    create_admin,
    create_user,
    expired,
    unique_username,
)
from tests.conftest import started_runtime
from tghub.embedded import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from domain.accounts.service import TokenPair
    from domain.bootstrap import Runtime
    from domain.settings import Settings


def request_to(runtime: Runtime, authorization: str | None = None) -> Request:
    """A real Starlette request as the app would hand it to a legacy handler."""
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "query_string": b"",
        "headers": headers,
        "state": {"runtime": runtime},
    }
    return Request(scope)


async def log_in(runtime: Runtime, username: str, password: str = PASSWORD) -> TokenPair:
    async with runtime.uow() as uow:
        return await service.login(uow, runtime.auth, username=username, password=password)


def bearer(token: str) -> str:
    return f"Bearer {token}"


@pytest.fixture
async def bots_open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime whose operator opened the ``bots`` legacy group to anonymous callers."""
    async with started_runtime(settings.model_copy(update={"legacy_open": ["bots"]})) as runtime:
        yield runtime


@pytest.fixture
async def database_down_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The same secret and Redis, but a database URL whose port nothing listens on."""
    url = f"postgresql://app:app@127.0.0.1:{free_port()}/tghub"
    async with started_runtime(settings.model_copy(update={"database_url": url})) as runtime:
        yield runtime


class TestBasicCredentials:
    @pytest.mark.parametrize(
        ("username", "password"),
        [
            pytest.param("ivan", "secret-pass", id="plain"),
            pytest.param("ivan", "pa:ss:word", id="colons_in_password"),
            pytest.param("иван", "пароль-123", id="utf8"),
            pytest.param("ivan", "", id="empty_password"),
        ],
    )
    def test_decodes_basic_header(self, username: str, password: str) -> None:
        assert basic_credentials(basic_header(username, password)) == (username, password)

    def test_scheme_is_case_insensitive(self) -> None:
        header = basic_header("ivan", "secret-pass").replace("Basic", "bAsIc")

        assert basic_credentials(header) == ("ivan", "secret-pass")

    @pytest.mark.parametrize("header", [None, "", "Bearer abc.def.ghi", "Digest username=x"])
    def test_other_schemes_are_not_basic(self, header: str | None) -> None:
        assert basic_credentials(header) is None

    @pytest.mark.parametrize(
        "header",
        [
            pytest.param("Basic", id="no_credentials"),
            pytest.param("Basic !!!not-base64!!!", id="not_base64"),
            pytest.param("Basic " + base64.b64encode(b"no-colon").decode(), id="no_colon"),
            pytest.param("Basic " + base64.b64encode(b"\xff\xfe:pw").decode(), id="not_utf8"),
            pytest.param("Basic " + base64.b64encode(b"iv\x00an:pw").decode(), id="nul_in_name"),
        ],
    )
    def test_malformed_basic_header_raises(self, header: str) -> None:
        with pytest.raises(InvalidCredentials):
            basic_credentials(header)


class TestRequestViewer:
    async def test_anonymous_without_header(self, runtime: Runtime) -> None:
        assert await request_viewer(request_to(runtime), allow_basic=True) is None

    async def test_basic_with_good_credentials(self, runtime: Runtime) -> None:
        user = await create_user(runtime)

        viewer = await request_viewer(
            request_to(runtime, basic_header(user.username, PASSWORD)), allow_basic=True
        )

        assert viewer is not None
        assert viewer.user_id == user.id
        assert viewer.session_id is None
        assert viewer.is_admin is False

    async def test_basic_with_wrong_password(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        request = request_to(runtime, basic_header(user.username, "wrong-password-1"))

        with pytest.raises(InvalidCredentials):
            await request_viewer(request, allow_basic=True)

    async def test_basic_with_unknown_user(self, runtime: Runtime) -> None:
        request = request_to(runtime, basic_header(unique_username("ghost"), PASSWORD))

        with pytest.raises(InvalidCredentials):
            await request_viewer(request, allow_basic=True)

    async def test_malformed_basic_header(self, runtime: Runtime) -> None:
        request = request_to(runtime, "Basic !!!not-base64!!!")

        with pytest.raises(InvalidCredentials):
            await request_viewer(request, allow_basic=True)

    async def test_basic_ignored_when_not_allowed(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        request = request_to(runtime, basic_header(user.username, PASSWORD))

        assert await request_viewer(request, allow_basic=False) is None

    async def test_bad_basic_ignored_when_not_allowed(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        request = request_to(runtime, basic_header(user.username, "wrong-password-1"))

        assert await request_viewer(request) is None

    async def test_bearer_access_token(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        pair = await log_in(runtime, user.username)

        viewer = await request_viewer(request_to(runtime, bearer(pair.access)))

        assert viewer is not None
        assert viewer.user_id == user.id
        assert viewer.session_id == pair.session_id

    async def test_bearer_works_when_basic_allowed(self, runtime: Runtime) -> None:
        user = await create_admin(runtime)
        pair = await log_in(runtime, user.username)

        viewer = await request_viewer(request_to(runtime, bearer(pair.access)), allow_basic=True)

        assert viewer is not None
        assert viewer.user_id == user.id

    async def test_bearer_refresh_token_is_refused(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        pair = await log_in(runtime, user.username)

        with pytest.raises(InvalidToken):
            await request_viewer(request_to(runtime, bearer(pair.refresh)))

    async def test_bearer_expired_token_is_refused(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        pair = await log_in(runtime, user.username)

        with pytest.raises(InvalidToken):
            await request_viewer(request_to(runtime, bearer(expired(pair.access))))

    async def test_bearer_garbage_is_refused(self, runtime: Runtime) -> None:
        with pytest.raises(InvalidToken):
            await request_viewer(request_to(runtime, bearer("not-a-jwt")), allow_basic=True)

    async def test_bearer_after_rotation_is_refused(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        pair = await log_in(runtime, user.username)
        async with runtime.uow() as uow:
            await service.refresh_tokens(uow, runtime.auth, refresh_token=pair.refresh)

        with pytest.raises(InvalidToken):
            await request_viewer(request_to(runtime, bearer(pair.access)))

    async def test_bearer_with_the_database_down_is_unavailable(
        self, runtime: Runtime, database_down_runtime: Runtime
    ) -> None:
        user = await create_user(runtime)
        pair = await log_in(runtime, user.username)

        with pytest.raises(ExternalUnavailable):
            await request_viewer(request_to(database_down_runtime, bearer(pair.access)))

    async def test_basic_with_the_database_down_is_unavailable(
        self, database_down_runtime: Runtime
    ) -> None:
        request = request_to(database_down_runtime, basic_header("ivan", PASSWORD))

        with pytest.raises(ExternalUnavailable):
            await request_viewer(request, allow_basic=True)


class TestRequireGroupAccess:
    async def test_admin_with_basic(self, runtime: Runtime) -> None:
        admin = await create_admin(runtime)
        request = request_to(runtime, basic_header(admin.username, PASSWORD))

        viewer = await require_group_access(request, "bots", allow_basic=True)

        assert viewer is not None
        assert viewer.user_id == admin.id
        assert viewer.is_admin is True

    async def test_admin_with_bearer(self, runtime: Runtime) -> None:
        admin = await create_admin(runtime)
        pair = await log_in(runtime, admin.username)

        viewer = await require_group_access(request_to(runtime, bearer(pair.access)), "seeonline")

        assert viewer is not None
        assert viewer.user_id == admin.id

    async def test_promoted_user_is_admin(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        await create_admin(runtime, username=user.username, password="new-admin-pass-1")
        request = request_to(runtime, basic_header(user.username, "new-admin-pass-1"))

        viewer = await require_group_access(request, "bots", allow_basic=True)

        assert viewer is not None
        assert viewer.user_id == user.id

    async def test_plain_user_is_denied(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        request = request_to(runtime, basic_header(user.username, PASSWORD))

        with pytest.raises(PermissionDenied):
            await require_group_access(request, "bots", allow_basic=True)

    async def test_plain_user_with_bearer_is_denied(self, runtime: Runtime) -> None:
        user = await create_user(runtime)
        pair = await log_in(runtime, user.username)

        with pytest.raises(PermissionDenied):
            await require_group_access(request_to(runtime, bearer(pair.access)), "mailing")

    async def test_anonymous_is_unauthenticated(self, runtime: Runtime) -> None:
        with pytest.raises(Unauthenticated):
            await require_group_access(request_to(runtime), "bots", allow_basic=True)

    async def test_admin_basic_refused_where_basic_not_allowed(self, runtime: Runtime) -> None:
        admin = await create_admin(runtime)
        request = request_to(runtime, basic_header(admin.username, PASSWORD))

        with pytest.raises(Unauthenticated):
            await require_group_access(request, "seeonline", allow_basic=False)

    async def test_bad_basic_password_is_invalid_credentials(self, runtime: Runtime) -> None:
        admin = await create_admin(runtime)
        request = request_to(runtime, basic_header(admin.username, "wrong-password-1"))

        with pytest.raises(InvalidCredentials):
            await require_group_access(request, "bots", allow_basic=True)

    async def test_anonymous_allowed_in_open_group(self, bots_open_runtime: Runtime) -> None:
        actor = await require_group_access(request_to(bots_open_runtime), "bots")

        assert actor == Guest("bots")

    async def test_anonymous_still_refused_in_other_groups(
        self, bots_open_runtime: Runtime
    ) -> None:
        with pytest.raises(Unauthenticated):
            await require_group_access(request_to(bots_open_runtime), "mailing")

    async def test_admin_identified_in_open_group(self, bots_open_runtime: Runtime) -> None:
        admin = await create_admin(bots_open_runtime)
        request = request_to(bots_open_runtime, basic_header(admin.username, PASSWORD))

        viewer = await require_group_access(request, "bots", allow_basic=True)

        assert viewer is not None
        assert viewer.user_id == admin.id

    async def test_plain_user_allowed_in_open_group(self, bots_open_runtime: Runtime) -> None:
        """An open group needs no credentials, so presenting valid ones must not cost access."""
        user = await create_user(bots_open_runtime)
        pair = await log_in(bots_open_runtime, user.username)

        viewer = await require_group_access(
            request_to(bots_open_runtime, bearer(pair.access)), "bots"
        )

        assert viewer is not None
        assert viewer.user_id == user.id

    async def test_bad_credentials_refused_in_open_group(self, bots_open_runtime: Runtime) -> None:
        """A presented but wrong credential is an error, never a silent downgrade to anonymous."""
        user = await create_user(bots_open_runtime)
        request = request_to(bots_open_runtime, basic_header(user.username, "wrong-password-1"))

        with pytest.raises(InvalidCredentials):
            await require_group_access(request, "bots", allow_basic=True)

    async def test_bad_bearer_refused_in_open_group(self, bots_open_runtime: Runtime) -> None:
        with pytest.raises(InvalidToken):
            await require_group_access(request_to(bots_open_runtime, bearer("not-a-jwt")), "bots")
