"""Clients: the legacy field errors word for word, a phone once per owner, the operator code
following the phone, IANA time zones, legacy integer ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from domain.errors import Invalid
from domain.mailing import service as mailing
from tests.integration.mailing.scene import PHONE_MESSAGE, client, user

if TYPE_CHECKING:
    from domain.bootstrap import Runtime


class TestCreate:
    async def test_the_operator_code_and_defaults(self, runtime: Runtime) -> None:
        me = await user(runtime)

        made = await client(runtime, me, "79123456789")

        assert (made.phone_number, made.operator_code, made.tag, made.timezone) == (
            "79123456789",
            "912",
            "",
            "UTC",
        )
        assert made.owner_id == me.user_id
        assert isinstance(made.id, int)
        assert made.created_at is not None

    @pytest.mark.parametrize("phone", ["89123456789", "7912345678", "+79123456789", "7abc"])
    async def test_a_bad_phone_is_the_legacy_message(self, runtime: Runtime, phone: str) -> None:
        me = await user(runtime)

        with pytest.raises(Invalid) as caught:
            await client(runtime, me, phone)

        assert caught.value.field_errors == {"phone_number": [PHONE_MESSAGE]}
        assert PHONE_MESSAGE.endswith('" ')

    async def test_a_bad_timezone_and_a_long_tag(self, runtime: Runtime) -> None:
        me = await user(runtime)

        with pytest.raises(Invalid) as caught:
            await client(runtime, me, "79123456789", timezone="Mars/Olympus", tag="t" * 256)

        assert caught.value.field_errors == {
            "tag": ["Ensure this field has no more than 255 characters."],
            "timezone": ['"Mars/Olympus" is not a valid choice.'],
        }
        async with runtime.uow() as uow:
            assert await mailing.list_clients(uow, actor=me) == []

    async def test_an_iana_timezone_is_kept(self, runtime: Runtime) -> None:
        me = await user(runtime)

        made = await client(runtime, me, "79123456789", timezone="Asia/Vladivostok", tag="vip")

        assert (made.timezone, made.tag) == ("Asia/Vladivostok", "vip")

    async def test_ids_come_from_the_tables_own_sequence_starting_at_one(
        self, runtime: Runtime
    ) -> None:
        async with runtime.uow() as uow:
            starts = (
                await uow.session.execute(
                    text(
                        "SELECT sequencename, start_value FROM pg_sequences "
                        "WHERE sequencename IN ('mailing_clients_id_seq', 'mailings_id_seq') "
                        "ORDER BY sequencename"
                    )
                )
            ).all()
        assert [tuple(row) for row in starts] == [
            ("mailing_clients_id_seq", 1),
            ("mailings_id_seq", 1),
        ]
        me = await user(runtime)
        first = await client(runtime, me, "79123456789")
        second = await client(runtime, me, "79123456780")
        assert second.id == first.id + 1


class TestUniquePerOwner:
    async def test_a_phone_twice_for_one_owner_is_refused(self, runtime: Runtime) -> None:
        me = await user(runtime)
        await client(runtime, me, "79123456789")

        with pytest.raises(Invalid) as caught:
            await client(runtime, me, "79123456789", tag="again")

        assert caught.value.field_errors == {
            "phone_number": ["client with this phone number already exists."]
        }

    async def test_two_owners_may_hold_one_phone(self, runtime: Runtime) -> None:
        mine = await client(runtime, await user(runtime), "79123456789")
        theirs = await client(runtime, await user(runtime), "79123456789")

        assert mine.id != theirs.id

    async def test_a_put_resending_the_own_phone_is_no_conflict(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = await client(runtime, me, "79123456789")

        async with runtime.uow() as uow:
            changed = await mailing.update_client(
                uow,
                actor=me,
                client_id=made.id,
                phone_number="79123456789",
                tag="vip",
                timezone="Europe/Moscow",
            )

        assert (changed.phone_number, changed.tag, changed.timezone) == (
            "79123456789",
            "vip",
            "Europe/Moscow",
        )

    async def test_taking_another_clients_phone_is_refused(self, runtime: Runtime) -> None:
        me = await user(runtime)
        await client(runtime, me, "79123456789")
        other = await client(runtime, me, "79001112233")

        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await mailing.update_client(
                    uow, actor=me, client_id=other.id, phone_number="79123456789"
                )

        assert caught.value.field_errors == {
            "phone_number": ["client with this phone number already exists."]
        }
        async with runtime.uow() as uow:
            kept = await mailing.get_client(uow, actor=me, client_id=other.id)
        assert kept.phone_number == "79001112233"


class TestUpdate:
    async def test_a_new_phone_recomputes_the_operator_code(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = await client(runtime, me, "79123456789", tag="vip")

        async with runtime.uow() as uow:
            changed = await mailing.update_client(
                uow, actor=me, client_id=made.id, phone_number="79991234567"
            )

        assert (changed.operator_code, changed.tag) == ("999", "vip")
        async with runtime.uow() as uow:
            again = await mailing.get_client(uow, actor=me, client_id=made.id)
        assert (again.phone_number, again.operator_code) == ("79991234567", "999")

    async def test_a_bad_update_changes_nothing(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = await client(runtime, me, "79123456789")

        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await mailing.update_client(
                    uow, actor=me, client_id=made.id, phone_number="7", timezone="Nowhere"
                )

        assert caught.value.field_errors == {
            "phone_number": [PHONE_MESSAGE],
            "timezone": ['"Nowhere" is not a valid choice.'],
        }

    async def test_delete(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = await client(runtime, me, "79123456789")

        async with runtime.uow() as uow:
            await mailing.delete_client(uow, actor=me, client_id=made.id)

        async with runtime.uow() as uow:
            assert await mailing.list_clients(uow, actor=me) == []


class TestList:
    async def test_clients_by_id(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = [await client(runtime, me, f"7912345678{n}") for n in (5, 1, 3)]

        async with runtime.uow() as uow:
            listed = await mailing.list_clients(uow, actor=me)

        assert [c.id for c in listed] == sorted(c.id for c in made)
