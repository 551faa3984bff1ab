"""Pages and lookups of the GraphQL API: keyset pages both ways (clients by id, mailings
newest start first), filters narrowing what the actor sees, lookups by ids."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.access import Guest
from domain.errors import Invalid, Unauthenticated
from domain.mailing import rules
from domain.mailing import service as mailing
from domain.types import PageRequest
from tests.fakes import FrozenClock
from tests.integration.mailing.scene import START, admin, client, new_mailing, user

if TYPE_CHECKING:
    from domain.access import Actor
    from domain.bootstrap import Runtime
    from domain.mailing.service import Client, Mailing
    from domain.types import Page

CLOCK = FrozenClock(START)
# A guest of another legacy group: anonymous to the mailing service.
OUTSIDER = Guest("bots")


async def clients(runtime: Runtime, actor: Actor, page: PageRequest, **where: Any) -> Page[Client]:
    async with runtime.uow() as uow:
        return await mailing.client_page(uow, page, actor=actor, where=rules.ClientFilter(**where))


async def mailings(
    runtime: Runtime, actor: Actor, page: PageRequest, **where: Any
) -> Page[Mailing]:
    async with runtime.uow() as uow:
        return await mailing.mailing_page(
            uow, CLOCK, page, actor=actor, where=rules.MailingFilter(**where)
        )


def ids(page: Page[Client] | Page[Mailing]) -> list[int]:
    return [item.id for item in page.items]


class TestClientPages:
    async def test_forward_and_backward_by_id(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = [(await client(runtime, me, f"7900000000{n}")).id for n in range(5)]

        first = await clients(runtime, me, PageRequest(first=2))
        second = await clients(
            runtime, me, PageRequest(first=2, after=mailing.client_cursor(first.items[-1]))
        )
        last = await clients(runtime, me, PageRequest(last=2))
        before_last = await clients(
            runtime, me, PageRequest(last=2, before=mailing.client_cursor(last.items[0]))
        )
        start = await clients(
            runtime, me, PageRequest(last=2, before=mailing.client_cursor(before_last.items[0]))
        )

        assert (ids(first), first.has_next, first.has_previous, first.total) == (
            made[:2],
            True,
            False,
            5,
        )
        assert (ids(second), second.has_next) == (made[2:4], True)
        assert (ids(last), last.has_previous, last.has_next) == (made[3:], True, False)
        assert (ids(before_last), before_last.has_previous, before_last.has_next) == (
            made[1:3],
            True,
            True,
        )
        assert (ids(start), start.has_previous) == (made[:1], False)

    async def test_between_two_cursors(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = [await client(runtime, me, f"7900000000{n}") for n in range(5)]
        after, before = mailing.client_cursor(made[0]), mailing.client_cursor(made[4])

        forward = await clients(runtime, me, PageRequest(first=10, after=after, before=before))
        backward = await clients(runtime, me, PageRequest(last=2, after=after, before=before))

        assert ids(forward) == [c.id for c in made[1:4]]
        assert (ids(backward), backward.has_previous) == ([c.id for c in made[2:4]], True)

    async def test_a_page_of_none(self, runtime: Runtime) -> None:
        me = await user(runtime)
        await client(runtime, me, "79000000000")

        page = await clients(runtime, me, PageRequest(first=0))

        assert (ids(page), page.has_next, page.total) == ([], True, 1)

    async def test_filters(self, runtime: Runtime) -> None:
        me = await user(runtime)
        vip = await client(runtime, me, "79121110000", tag="vip")
        plain = await client(runtime, me, "79121110001")
        other_operator = await client(runtime, me, "79251110000", tag="vip")
        everything = PageRequest(first=100)

        by_tag = await clients(runtime, me, everything, tag="vip")
        untagged = await clients(runtime, me, everything, tag="")
        by_operator = await clients(runtime, me, everything, operator_code="912")
        both = await clients(runtime, me, everything, tag="vip", operator_code="912")
        by_prefix = await clients(runtime, me, everything, phone_number_prefix="7925")
        wildcard = await clients(runtime, me, everything, phone_number_prefix="7%")

        assert ids(by_tag) == [vip.id, other_operator.id]
        assert ids(untagged) == [plain.id]
        assert ids(by_operator) == [vip.id, plain.id]
        assert (ids(both), both.total) == ([vip.id], 1)
        assert ids(by_prefix) == [other_operator.id]
        assert ids(wildcard) == []  # a prefix is text, not a pattern

    async def test_a_user_sees_only_their_own_even_naming_another(self, runtime: Runtime) -> None:
        me, other, boss = await user(runtime), await user(runtime), await admin(runtime)
        mine = await client(runtime, me, "79000000001")
        theirs = await client(runtime, other, "79000000002")
        everything = PageRequest(first=100)

        assert ids(await clients(runtime, me, everything)) == [mine.id]
        assert ids(await clients(runtime, me, everything, owner_id=other.user_id)) == []
        assert ids(await clients(runtime, boss, everything)) == [mine.id, theirs.id]
        assert ids(await clients(runtime, boss, everything, owner_id=other.user_id)) == [theirs.id]

    async def test_text_a_query_cannot_carry_is_refused(self, runtime: Runtime) -> None:
        me = await user(runtime)
        with pytest.raises(Invalid) as caught:
            await clients(runtime, me, PageRequest(), tag="a\x00b")
        assert list(caught.value.field_errors) == ["tag"]

    @pytest.mark.parametrize(
        "cursor",
        [("x",), ("1", "2"), ("-1",), (str(2**31),), ("9" * 5000,), ("١",)],
        ids=["text", "two parts", "negative", "past the integers", "huge", "arabic digit"],
    )
    async def test_a_bad_cursor_is_invalid(self, runtime: Runtime, cursor: tuple[str]) -> None:
        me = await user(runtime)
        for page in (PageRequest(after=cursor), PageRequest(last=1, before=cursor)):
            with pytest.raises(Invalid) as caught:
                await clients(runtime, me, page)
            assert caught.value.message == "Invalid cursor."

    async def test_anonymous_actors_are_refused(self, runtime: Runtime) -> None:
        with pytest.raises(Unauthenticated):
            await clients(runtime, OUTSIDER, PageRequest())


class TestMailingPages:
    async def test_newest_start_first_both_ways(self, runtime: Runtime) -> None:
        me = await user(runtime)
        early = await new_mailing(runtime, me, start=START - timedelta(days=2))
        late = await new_mailing(runtime, me, start=START + timedelta(days=2))
        tie_old = await new_mailing(runtime, me)
        tie_new = await new_mailing(runtime, me)
        order = [late.id, tie_new.id, tie_old.id, early.id]

        first = await mailings(runtime, me, PageRequest(first=2))
        rest = await mailings(
            runtime, me, PageRequest(first=2, after=mailing.mailing_cursor(first.items[-1]))
        )
        last = await mailings(runtime, me, PageRequest(last=3))
        back = await mailings(
            runtime, me, PageRequest(last=3, before=mailing.mailing_cursor(last.items[0]))
        )

        assert (ids(first), first.has_next) == (order[:2], True)
        assert (ids(rest), rest.has_next) == (order[2:], False)
        assert (ids(last), last.has_previous) == (order[1:], True)
        assert (ids(back), back.has_previous, back.has_next) == (order[:1], False, True)

    async def test_a_moved_start_keeps_its_place_by_cursor(self, runtime: Runtime) -> None:
        """A cursor is a position (start, id), not a row: the row it came from may change."""
        me = await user(runtime)
        older = await new_mailing(runtime, me, start=START - timedelta(days=1))
        newer = await new_mailing(runtime, me)
        cursor = mailing.mailing_cursor(newer)
        async with runtime.uow() as uow:
            await mailing.delete_mailing(uow, actor=me, mailing_id=newer.id)

        after = await mailings(runtime, me, PageRequest(after=cursor))

        assert ids(after) == [older.id]

    async def test_active_is_the_window_open_now(self, runtime: Runtime) -> None:
        me = await user(runtime)
        over = await new_mailing(runtime, me, start=START - timedelta(hours=2), hours=2)
        open_now = await new_mailing(runtime, me, start=START, hours=1)
        coming = await new_mailing(runtime, me, start=START + timedelta(seconds=1))
        everything = PageRequest(first=100)

        active = await mailings(runtime, me, everything, active=True)
        inactive = await mailings(runtime, me, everything, active=False)

        assert ids(active) == [open_now.id]
        assert ids(inactive) == [coming.id, over.id]

    async def test_owner_filter(self, runtime: Runtime) -> None:
        me, other, boss = await user(runtime), await user(runtime), await admin(runtime)
        mine = await new_mailing(runtime, me)
        theirs = await new_mailing(runtime, other, start=START + timedelta(hours=1))
        everything = PageRequest(first=100)

        assert ids(await mailings(runtime, me, everything)) == [mine.id]
        assert ids(await mailings(runtime, me, everything, owner_id=other.user_id)) == []
        assert ids(await mailings(runtime, boss, everything)) == [theirs.id, mine.id]
        assert ids(await mailings(runtime, boss, everything, owner_id=me.user_id)) == [mine.id]

    @pytest.mark.parametrize(
        "cursor",
        [("1",), ("yesterday", "1"), ("2030-01-01T09:00:00+00:00", "x")],
        ids=["one part", "not a time", "not an id"],
    )
    async def test_a_bad_cursor_is_invalid(self, runtime: Runtime, cursor: tuple[str]) -> None:
        me = await user(runtime)
        with pytest.raises(Invalid) as caught:
            await mailings(runtime, me, PageRequest(after=cursor))
        assert caught.value.field_errors == {"after": ["Invalid cursor."]}


class TestLookups:
    async def test_what_the_actor_sees(self, runtime: Runtime) -> None:
        me, other, boss = await user(runtime), await user(runtime), await admin(runtime)
        mine, theirs = (
            await client(runtime, me, "79000000001"),
            await client(runtime, other, "79000000002"),
        )
        my_mailing = await new_mailing(runtime, me)
        wanted = [mine.id, theirs.id, 2**40]

        async with runtime.uow() as uow:
            mine_seen = await mailing.visible_clients(uow, wanted, actor=me)
            boss_seen = await mailing.visible_clients(uow, wanted, actor=boss)
            other_seen = await mailing.visible_mailings(uow, [my_mailing.id], actor=other)
            my_seen = await mailing.visible_mailings(uow, [my_mailing.id], actor=me)
            anonymous = await mailing.visible_clients(uow, wanted, actor=OUTSIDER)

        assert set(mine_seen) == {mine.id}
        assert set(boss_seen) == {mine.id, theirs.id}
        assert (other_seen, set(my_seen)) == ({}, {my_mailing.id})
        assert anonymous == {}
