"""Seed 001 page numbers on users, chats and messages: default 10, at most 100, absolute
links, 404 "Invalid page." (docs/rest.md, "001 Messenger", DRF's PageNumberPagination)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.api.rest.messenger_factories import (
    INVALID_PAGE,
    Actor,
    actor,
    actors,
    get_json,
    ids,
    private_chat,
    seed_chats,
    seed_messages,
    seed_users,
)
from tests.conftest import ORIGIN

if TYPE_CHECKING:
    import httpx

    from domain.bootstrap import Runtime


async def page(http: httpx.AsyncClient, who: Actor, url: str) -> dict[str, Any]:
    body: dict[str, Any] = await get_json(http, who, url)
    assert set(body) == {"count", "next", "previous", "results"}
    return body


async def walk(http: httpx.AsyncClient, who: Actor, url: str) -> list[dict[str, Any]]:
    """Every page from ``url`` on, following ``next``."""
    pages = [await page(http, who, url)]
    while pages[-1]["next"] is not None:
        pages.append(await page(http, who, pages[-1]["next"]))
    return pages


async def statuses(http: httpx.AsyncClient, who: Actor, urls: list[str]) -> dict[str, Any]:
    answers = {}
    for url in urls:
        response = await http.get(url, headers=who.headers)
        answers[url] = (response.status_code, response.json())
    return answers


class TestUsers:
    async def test_default_size_and_absolute_links(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime, username="caller")
        others = {str(user_id) for user_id in await seed_users(runtime, 12)}

        pages = await walk(http, me, "/api/users/")

        assert [(p["count"], len(p["results"])) for p in pages] == [(12, 10), (12, 2)]
        assert [(p["previous"], p["next"]) for p in pages] == [
            (None, f"{ORIGIN}/api/users/?page=2"),
            (f"{ORIGIN}/api/users/", None),
        ]
        listed = [user["id"] for p in pages for user in p["results"]]
        assert sorted(listed) == sorted(others)
        usernames = [user["username"] for p in pages for user in p["results"]]
        assert usernames == sorted(usernames)

    async def test_links_keep_the_other_parameters(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        await seed_users(runtime, 12, prefix="match")
        await seed_users(runtime, 3, prefix="other")

        body = await page(http, me, "/api/users/?search=match&page_size=5&page=2")

        base = f"{ORIGIN}/api/users/?search=match&page_size=5"
        assert (body["count"], body["previous"], body["next"]) == (12, base, f"{base}&page=3")
        assert [u["username"] for u in body["results"]] == [f"match{i:03}" for i in range(5, 10)]
        last = await page(http, me, body["next"])
        assert (last["previous"], last["next"]) == (f"{base}&page=2", None)
        assert [u["username"] for u in last["results"]] == ["match010", "match011"]

    async def test_page_size_is_capped_at_100(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        await seed_users(runtime, 105)

        pages = await walk(http, me, "/api/users/?page_size=500")

        assert [(p["count"], len(p["results"])) for p in pages] == [(105, 100), (105, 5)]
        assert pages[0]["next"] == f"{ORIGIN}/api/users/?page_size=500&page=2"

    async def test_bad_page_sizes_fall_back_to_the_default(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        await seed_users(runtime, 12)

        sizes = {
            size: len((await page(http, me, f"/api/users/?page_size={size}"))["results"])
            for size in ["0", "-5", "abc", "", "1", "100"]
        }

        assert sizes == {"0": 10, "-5": 10, "abc": 10, "": 10, "1": 1, "100": 12}

    async def test_invalid_pages(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me = await actor(http, runtime)
        await seed_users(runtime, 12)
        bad = ["3", "0", "-1", "abc", "1.5", "lastt", "92233720368547758"]

        answers = await statuses(http, me, [f"/api/users/?page={number}" for number in bad])

        assert answers == {f"/api/users/?page={n}": (404, INVALID_PAGE) for n in bad}

    async def test_absurd_page_numbers_are_invalid_pages_not_errors(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        await seed_users(runtime, 3)
        pages = ["99999999999999999999", "9223372036854775807", "\u00b2", "9" * 5000]

        answers = await statuses(http, me, [f"/api/users/?page={number}" for number in pages])
        sized = await http.get("/api/users/?page_size=\u00b2", headers=me.headers)

        assert answers == {f"/api/users/?page={n}": (404, INVALID_PAGE) for n in pages}
        assert (sized.status_code, len(sized.json()["results"])) == (200, 3)

    async def test_drf_page_aliases(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me = await actor(http, runtime)
        await seed_users(runtime, 12)

        empty = await http.get("/api/users/?page=", headers=me.headers)
        last = await http.get("/api/users/?page=last", headers=me.headers)

        assert (empty.status_code, last.status_code) == (200, 200), (empty.text, last.text)
        assert len(empty.json()["results"]) == 10
        assert len(last.json()["results"]) == 2
        assert last.json()["previous"] == f"{ORIGIN}/api/users/"

    async def test_empty_list_has_one_empty_page(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)

        first = await page(http, me, "/api/users/")
        second = await http.get("/api/users/?page=2", headers=me.headers)

        assert first == {"count": 0, "next": None, "previous": None, "results": []}
        assert (second.status_code, second.json()) == (404, INVALID_PAGE)


class TestChats:
    async def test_pages_of_chats(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me = await actor(http, runtime)
        seeded = [str(chat_id) for chat_id in await seed_chats(runtime, me.id, 12)]

        pages = await walk(http, me, "/api/chats")

        assert [(p["count"], len(p["results"])) for p in pages] == [(12, 10), (12, 2)]
        assert [(p["previous"], p["next"]) for p in pages] == [
            (None, f"{ORIGIN}/api/chats?page=2"),
            (f"{ORIGIN}/api/chats", None),
        ]
        # Liveliest first: the seeded chats grow livelier with their index.
        assert [chat["id"] for p in pages for chat in p["results"]] == seeded[::-1]
        beyond = await http.get("/api/chats/?page=3", headers=me.headers)
        assert (beyond.status_code, beyond.json()) == (404, INVALID_PAGE)

    async def test_page_size_is_capped_at_100(
        self, http: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        me = await actor(http, runtime)
        await seed_chats(runtime, me.id, 101)

        pages = await walk(http, me, "/api/chats/?page_size=500")

        assert [(p["count"], len(p["results"])) for p in pages] == [(101, 100), (101, 1)]
        assert pages[0]["next"] == f"{ORIGIN}/api/chats/?page_size=500&page=2"
        assert pages[1]["previous"] == f"{ORIGIN}/api/chats/?page_size=500"

    async def test_invalid_pages(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me = await actor(http, runtime)
        urls = ["/api/chats/?page=2", "/api/chats/?page=0", "/api/chats/?page=abc"]

        assert await statuses(http, me, urls) == dict.fromkeys(urls, (404, INVALID_PAGE))


class TestMessages:
    async def test_pages_of_messages(self, http: httpx.AsyncClient, runtime: Runtime) -> None:
        me, other = await actors(http, runtime, 2)
        chat = await private_chat(http, me, other)
        seeded = [str(m) for m in await seed_messages(runtime, chat["id"], other.id, 101)]
        url = f"/api/messages/?chat={chat['id']}"

        default = await walk(http, me, url)
        capped = await walk(http, me, f"{url}&page_size=500")

        assert [len(p["results"]) for p in default] == [10] * 10 + [1]
        assert {p["count"] for p in default} == {101}
        assert [m["id"] for p in default for m in p["results"]] == seeded[::-1]
        assert default[0]["next"] == f"{ORIGIN}{url}&page=2"
        assert default[-1]["previous"] == f"{ORIGIN}{url}&page=10"
        assert [len(p["results"]) for p in capped] == [100, 1]
        assert capped[0]["next"] == f"{ORIGIN}{url}&page_size=500&page=2"
        answers = await statuses(http, me, [f"{url}&page=12", f"{url}&page=0", f"{url}&page=x"])
        assert list(answers.values()) == [(404, INVALID_PAGE)] * 3
        assert ids(default[0]["results"])[0] == seeded[-1]
