"""``mailingProgress`` over a real websocket (gql, graphql-transport-ws) while a real Dispatcher
sends the mailing through the simulated Telegram: the progress now, then as it changes, and
the subscription ends by itself once the mailing has finished or is cancelled. Another owner's
mailing, an id of no mailing and anonymous callers are refused.

The first result is sent after the server listens on the mailing's channel; the tests still
wait until Redis counts that listener before dispatching (a subscription has no
acknowledgement)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import pytest
from gql.transport.exceptions import TransportQueryError

from domain.mailing.events import channel_of
from tests.api.authz import subscribe_anonymously
from tests.api.graphql.mailing_dispatch_support import (
    dispatch,
    ended,
    open_mailing,
    phone,
    senders,
)
from tests.api.graphql.mailing_support import Owner, user
from tests.api.graphql.test_messenger_subscriptions import request, session_of, until_listening
from tests.api.graphql.tracking_support import gid, raw
from tests.conftest import DEADLINE, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx
    from gql.client import AsyncClientSession

    from domain.bootstrap import Runtime
    from tests.conftest import LiveServer

PEOPLE = 3
# What only a later state may follow: a subscriber never sees the mailing go back.
ORDER = ["SCHEDULED", "RUNNING", "FINISHED"]


@pytest.fixture
async def ivan(http: httpx.AsyncClient) -> Owner:
    return await user(http, "ivan")


class Following:
    """Every result of one mailingProgress subscription, gathered in the background until the
    server completes it."""

    def __init__(self, session: AsyncClientSession, mailing_id: str) -> None:
        self.results: list[dict[str, Any]] = []
        subscription = request("MailingProgress", {"mailingId": mailing_id})
        self.task = asyncio.create_task(self._follow(session, subscription))

    async def _follow(self, session: AsyncClientSession, subscription: Any) -> None:
        async for result in session.subscribe(subscription):
            self.results.append(result["mailingProgress"])

    async def first(self) -> dict[str, Any]:
        await until(lambda: bool(self.results) or self.task.done())
        if not self.results:
            self.task.result()  # its error, if it ended without a result
        return self.results[0]

    async def completed(self) -> list[dict[str, Any]]:
        """Every result, once the server has completed the subscription by itself."""
        await asyncio.wait_for(asyncio.shield(self.task), DEADLINE)
        return self.results


@contextlib.asynccontextmanager
async def following(server: LiveServer, owner: Owner, mailing_id: str) -> AsyncIterator[Following]:
    assert owner.token is not None
    async with session_of(server, owner.token) as session:
        follower = Following(session, mailing_id)
        try:
            yield follower
        finally:
            follower.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TransportQueryError):
                await follower.task


def counts(result: dict[str, Any]) -> tuple[str, int, int, int]:
    stats = result["stats"]
    return result["state"], stats["total"], stats["pending"], stats["sent"]


async def test_follows_a_mailing_to_its_end(
    server: LiveServer, runtime: Runtime, ivan: Owner
) -> None:
    await senders(runtime, PEOPLE)
    made = await open_mailing(ivan, [phone(n) for n in range(1, PEOPLE + 1)])

    async with following(server, ivan, made["id"]) as progress:
        assert counts(await progress.first()) == ("SCHEDULED", 0, 0, 0)
        await until_listening(server, runtime, channel_of(raw(made["id"])), queues=1)
        await dispatch(runtime).until(lambda: ended(runtime, made["id"]))
        seen = await progress.completed()

    assert {result["mailingId"] for result in seen} == {made["id"]}
    assert len(seen) >= 3, seen  # the start, at least one change, the end
    assert counts(seen[-1]) == ("FINISHED", PEOPLE, 0, PEOPLE)
    assert "RUNNING" in [result["state"] for result in seen]
    states = [ORDER.index(result["state"]) for result in seen]
    assert states == sorted(states), seen
    sent = [result["stats"]["sent"] for result in seen]
    assert sent == sorted(sent), seen
    last = seen[-1]["stats"]
    assert last["firstSentAt"] is not None
    assert last["firstSentAt"] <= last["lastSentAt"]


async def test_a_cancel_ends_it(server: LiveServer, runtime: Runtime, ivan: Owner) -> None:
    made = await open_mailing(ivan, [phone(1), phone(2)])
    await dispatch(runtime).run()  # started; no account sends, so both stay pending

    async with following(server, ivan, made["id"]) as progress:
        assert counts(await progress.first()) == ("RUNNING", 2, 2, 0)
        await until_listening(server, runtime, channel_of(raw(made["id"])), queues=1)
        await ivan.succeeded("CancelMailing", mailingId=made["id"])
        seen = await progress.completed()

    assert [counts(result) for result in seen] == [("RUNNING", 2, 2, 0), ("CANCELLED", 2, 0, 0)]
    assert seen[-1]["stats"]["expired"] == 2


async def test_an_ended_mailing_answers_once(
    server: LiveServer, runtime: Runtime, ivan: Owner
) -> None:
    made = await ivan.mailing()
    await ivan.succeeded("CancelMailing", mailingId=made["id"])

    async with following(server, ivan, made["id"]) as progress:
        seen = await progress.completed()

    assert [counts(result) for result in seen] == [("CANCELLED", 0, 0, 0)]


async def refusal(server: LiveServer, owner: Owner, mailing_id: str) -> list[tuple[Any, str]]:
    """The errors of a subscription refused before its first result (then completed)."""
    assert owner.token is not None
    subscription = request("MailingProgress", {"mailingId": mailing_id})
    async with (
        session_of(server, owner.token) as session,
        contextlib.aclosing(session.subscribe(subscription)) as results,
    ):
        with pytest.raises(TransportQueryError) as refused:
            await anext(results)
    errors = refused.value.errors or []
    return [(e.get("extensions", {}).get("code"), e["message"]) for e in errors]


async def test_another_owners_mailing_is_not_found(
    server: LiveServer, http: httpx.AsyncClient, ivan: Owner
) -> None:
    made = await ivan.mailing()
    olga = await user(http, "olga")

    assert await refusal(server, olga, made["id"]) == [
        ("NOT_FOUND", "No Mailing matches the given query.")
    ]
    assert await refusal(server, ivan, gid("Mailing", 99999)) == [
        ("NOT_FOUND", "No Mailing matches the given query.")
    ]


@pytest.mark.parametrize(
    "mailing_id",
    [gid("MailingClient", 1), "1", gid("Mailing", "x")],
    ids=["another type", "bare number", "not a key"],
)
async def test_what_is_no_mailing_id_is_bad_input(
    server: LiveServer, ivan: Owner, mailing_id: str
) -> None:
    assert await refusal(server, ivan, mailing_id) == [("BAD_USER_INPUT", "Not a Mailing id.")]


async def test_anonymous_callers_are_refused(runtime: Runtime, ivan: Owner) -> None:
    made = await ivan.mailing()

    body = await subscribe_anonymously(
        runtime, "Subscription.mailingProgress", {"mailingId": made["id"]}
    )

    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
