"""Who sees what: a user their own clients and mailings (another's id is NotFound), admins
everyone's, guests of the opened ``mailing`` group one shared workspace that tghub makes on
their first write, once, also when two first writes race."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from domain.access import Guest
from domain.accounts import service as accounts
from domain.accounts.errors import InvalidCredentials
from domain.accounts.model import User
from domain.errors import Invalid, NotFound, PermissionDenied, Unauthenticated
from domain.mailing import service as mailing
from tests.integration.mailing.scene import (
    GUEST,
    SYSTEM,
    admin,
    client,
    new_mailing,
    user,
)

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


class TestUsers:
    async def test_another_owners_rows_are_not_found(self, runtime: Runtime) -> None:
        me, other = await user(runtime), await user(runtime)
        theirs = await client(runtime, other, "79123456789")
        their_mailing = await new_mailing(runtime, other)
        mine = await client(runtime, me, "79001112233")

        async with runtime.uow() as uow:
            assert [c.id for c in await mailing.list_clients(uow, actor=me)] == [mine.id]
            assert await mailing.list_mailings(uow, actor=me) == []
            with pytest.raises(NotFound) as caught:
                await mailing.get_client(uow, actor=me, client_id=theirs.id)
            assert caught.value.message == "No Client matches the given query."
            with pytest.raises(NotFound):
                await mailing.update_client(uow, actor=me, client_id=theirs.id, tag="mine")
            with pytest.raises(NotFound):
                await mailing.delete_client(uow, actor=me, client_id=theirs.id)
            with pytest.raises(NotFound) as caught:
                await mailing.get_mailing(uow, actor=me, mailing_id=their_mailing.id)
            assert caught.value.message == "No Mailing matches the given query."
            with pytest.raises(NotFound):
                await mailing.update_mailing(uow, actor=me, mailing_id=their_mailing.id)
            with pytest.raises(NotFound):
                await mailing.delete_mailing(uow, actor=me, mailing_id=their_mailing.id)
            with pytest.raises(NotFound):
                await mailing.cancel_mailing(uow, actor=me, mailing_id=their_mailing.id)

        async with runtime.uow() as uow:
            kept = await mailing.get_client(uow, actor=other, client_id=theirs.id)
        assert kept.tag == ""

    async def test_an_id_past_the_integer_range_is_not_found(self, runtime: Runtime) -> None:
        me = await user(runtime)
        async with runtime.uow() as uow:
            with pytest.raises(NotFound):
                await mailing.get_client(uow, actor=me, client_id=2**40)
            with pytest.raises(NotFound):
                await mailing.get_mailing(uow, actor=me, mailing_id=-(2**40))

    async def test_a_user_creates_only_for_themself(self, runtime: Runtime) -> None:
        me, other = await user(runtime), await user(runtime)
        async with runtime.uow() as uow:
            with pytest.raises(PermissionDenied):
                await mailing.create_client(
                    uow, actor=me, phone_number="79123456789", owner_id=other.user_id
                )


class TestAdmins:
    async def test_admins_see_and_edit_everyones(self, runtime: Runtime) -> None:
        boss = await admin(runtime)
        first, second = await user(runtime), await user(runtime)
        a = await client(runtime, first, "79123456789")
        b = await client(runtime, second, "79123456789")
        m = await new_mailing(runtime, second)

        async with runtime.uow() as uow:
            assert [c.id for c in await mailing.list_clients(uow, actor=boss)] == [a.id, b.id]
            assert [x.id for x in await mailing.list_mailings(uow, actor=boss)] == [m.id]
        async with runtime.uow() as uow:
            changed = await mailing.update_client(uow, actor=boss, client_id=a.id, tag="seen")
        assert (changed.tag, changed.owner_id) == ("seen", first.user_id)

    async def test_an_admin_creates_for_a_named_owner(self, runtime: Runtime) -> None:
        boss, someone = await admin(runtime), await user(runtime)
        async with runtime.uow() as uow:
            made = await mailing.create_client(
                uow, actor=boss, phone_number="79123456789", owner_id=someone.user_id
            )
        assert made.owner_id == someone.user_id

    async def test_a_named_owner_must_exist(self, runtime: Runtime) -> None:
        nobody = uuid.uuid4()
        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await mailing.create_client(
                    uow, actor=await admin(runtime), phone_number="79123456789", owner_id=nobody
                )
        assert caught.value.field_errors == {
            "owner": [f'Invalid pk "{nobody}" - object does not exist.']
        }

    async def test_tghub_itself_must_name_an_owner(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            with pytest.raises(PermissionDenied):
                await mailing.create_client(uow, actor=SYSTEM, phone_number="79123456789")


class TestGuests:
    async def test_guests_share_one_workspace(self, runtime: Runtime) -> None:
        async with runtime.uow() as uow:
            assert await mailing.list_clients(uow, actor=GUEST) == []  # nothing made yet
        made = await client(runtime, GUEST, "79123456789")
        planned = await new_mailing(runtime, Guest("mailing"))
        someone = await user(runtime)
        await client(runtime, someone, "79001112233")

        async with runtime.uow() as uow:
            listed = await mailing.list_clients(uow, actor=Guest("mailing"))
            assert [c.id for c in listed] == [made.id]
            assert [m.id for m in await mailing.list_mailings(uow, actor=GUEST)] == [planned.id]
            owner = await uow.session.get(User, made.owner_id)
        assert owner is not None
        assert owner.username == mailing.GUEST_OWNER
        assert not owner.is_active
        assert planned.owner_id == made.owner_id
        async with runtime.uow() as uow:
            assert await mailing.list_clients(uow, actor=someone) != listed

    async def test_the_workspace_owner_cannot_sign_in(self, runtime: Runtime) -> None:
        await client(runtime, GUEST, "79123456789")
        for password in ("!", "", "password"):
            async with runtime.uow() as uow:
                with pytest.raises(InvalidCredentials):
                    await accounts.authenticate(
                        uow, runtime.auth, username=mailing.GUEST_OWNER, password=password
                    )

    async def test_two_first_uses_at_once_make_one_owner(self, runtime: Runtime) -> None:
        made = await asyncio.gather(
            client(runtime, GUEST, "79123456789"),
            client(runtime, GUEST, "79001112233"),
        )

        assert made[0].owner_id == made[1].owner_id
        async with runtime.uow() as uow:
            owners = (
                await uow.session.scalars(
                    select(User.id).where(User.username == mailing.GUEST_OWNER)
                )
            ).all()
            listed = await mailing.list_clients(uow, actor=GUEST)
        assert owners == [made[0].owner_id]
        assert sorted(c.id for c in listed) == sorted(c.id for c in made)

    async def test_a_refused_first_write_leaves_no_workspace(self, runtime: Runtime) -> None:
        with pytest.raises(Invalid):
            await client(runtime, GUEST, "not a phone")

        async with runtime.uow() as uow:
            found = await uow.session.scalar(
                select(User.id).where(User.username == mailing.GUEST_OWNER)
            )
        assert found is None

    @pytest.mark.parametrize("group", ["bots", "seeonline"])
    async def test_guests_of_other_groups_are_anonymous(self, runtime: Runtime, group: str) -> None:
        stranger = Guest(group)
        async with runtime.uow() as uow:
            with pytest.raises(Unauthenticated):
                await mailing.list_clients(uow, actor=stranger)
            with pytest.raises(Unauthenticated):
                await mailing.create_client(uow, actor=stranger, phone_number="79123456789")
            with pytest.raises(Unauthenticated):
                await mailing.create_mailing(
                    uow,
                    actor=stranger,
                    start_time=__import__("datetime").datetime.now(),
                    end_time=__import__("datetime").datetime.now(),
                    message_text="x",
                    filter_params={},
                )
