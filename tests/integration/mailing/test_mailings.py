"""Mailings: the legacy non_field_errors word for word, filters kept exactly as sent, a past
window accepted, newest start first; which clients a mailing picks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from domain.errors import Invalid
from domain.mailing import service as mailing
from tests.integration.mailing.dispatch_scene import deliveries, dispatch
from tests.integration.mailing.scene import START, client, new_mailing, user

if TYPE_CHECKING:
    from domain.accounts.service import Viewer
    from domain.bootstrap import Runtime


class TestCreate:
    async def test_kept_as_sent(self, runtime: Runtime) -> None:
        me = await user(runtime)
        filters = {"tag": "vip", "operator_code": "999"}

        made = await new_mailing(runtime, me, text="Sale!", filters=filters)

        async with runtime.uow() as uow:
            again = await mailing.get_mailing(uow, actor=me, mailing_id=made.id)
        assert again.filter_params == {"tag": "vip", "operator_code": "999"}
        assert list(again.filter_params) == ["tag", "operator_code"]
        assert isinstance(again.filter_params["operator_code"], str)
        assert (again.start_time, again.end_time, again.message_text) == (
            START,
            START + timedelta(hours=1),
            "Sale!",
        )
        assert again.owner_id == me.user_id

    async def test_an_integer_operator_code_stays_a_number(self, runtime: Runtime) -> None:
        me = await user(runtime)

        made = await new_mailing(runtime, me, filters={"operator_code": 999})

        async with runtime.uow() as uow:
            again = await mailing.get_mailing(uow, actor=me, mailing_id=made.id)
        assert again.filter_params == {"operator_code": 999}

    async def test_a_past_window_is_accepted(self, runtime: Runtime) -> None:
        past = datetime(2001, 1, 1, tzinfo=UTC)

        made = await new_mailing(runtime, await user(runtime), start=past)

        assert made.end_time < datetime.now(UTC)

    @pytest.mark.parametrize(
        ("hours", "filters", "message"),
        [
            (0, {"tag": "vip"}, "The start date exceeds the end date"),
            (-1, {"tag": "vip"}, "The start date exceeds the end date"),
            (-1, {}, "The start date exceeds the end date"),
            (1, {}, "At least one filter parameter (tag or operator_code) must be specified"),
            (
                1,
                {"region": "77"},
                "At least one filter parameter (tag or operator_code) must be specified",
            ),
            (1, {"tag": "vip", "region": "77"}, "Invalid filtering parameter: region"),
        ],
        ids=["equal", "reversed", "reversed-no-filter", "empty", "unknown-only", "unknown"],
    )
    async def test_the_legacy_non_field_errors(
        self, runtime: Runtime, hours: float, filters: dict[str, Any], message: str
    ) -> None:
        me = await user(runtime)

        with pytest.raises(Invalid) as caught:
            await new_mailing(runtime, me, hours=hours, filters=filters)

        assert caught.value.field_errors == {"non_field_errors": [message]}
        async with runtime.uow() as uow:
            assert await mailing.list_mailings(uow, actor=me) == []

    async def test_a_blank_text_is_a_field_error(self, runtime: Runtime) -> None:
        with pytest.raises(Invalid) as caught:
            await new_mailing(runtime, await user(runtime), text="  ", hours=-1)

        assert caught.value.field_errors == {"message_text": ["This field may not be blank."]}


class TestUpdate:
    async def test_checked_as_a_whole(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = await new_mailing(runtime, me)

        async with runtime.uow() as uow:
            with pytest.raises(Invalid) as caught:
                await mailing.update_mailing(
                    uow, actor=me, mailing_id=made.id, end_time=START - timedelta(minutes=1)
                )
        assert caught.value.field_errors == {
            "non_field_errors": ["The start date exceeds the end date"]
        }

        async with runtime.uow() as uow:
            changed = await mailing.update_mailing(
                uow, actor=me, mailing_id=made.id, filter_params={"operator_code": "912"}
            )
        assert changed.filter_params == {"operator_code": "912"}

    async def test_delete(self, runtime: Runtime) -> None:
        me = await user(runtime)
        made = await new_mailing(runtime, me)

        async with runtime.uow() as uow:
            await mailing.delete_mailing(uow, actor=me, mailing_id=made.id)

        async with runtime.uow() as uow:
            assert await mailing.list_mailings(uow, actor=me) == []


class TestList:
    async def test_newest_start_first(self, runtime: Runtime) -> None:
        me = await user(runtime)
        middle = await new_mailing(runtime, me, start=START)
        early = await new_mailing(runtime, me, start=START - timedelta(days=1))
        late = await new_mailing(runtime, me, start=START + timedelta(days=1))

        async with runtime.uow() as uow:
            listed = await mailing.list_mailings(uow, actor=me)

        assert [m.id for m in listed] == [late.id, middle.id, early.id]


async def recipients(runtime: Runtime, actor: Viewer, filters: dict[str, Any]) -> list[int]:
    """The ids, in order, of the clients a new mailing with these filters is made deliveries
    for when it starts (the deliveries' own order follows the insert, which is unordered)."""
    made = await new_mailing(runtime, actor, filters=filters)
    await dispatch(runtime).dispatcher().housekeep()
    return sorted(d.client_id for d in await deliveries(runtime, made.id))


class TestRecipients:
    async def test_filters_are_anded_among_the_owners_clients(self, runtime: Runtime) -> None:
        me, other = await user(runtime), await user(runtime)
        vip_912 = await client(runtime, me, "79120000001", tag="vip")
        plain_912 = await client(runtime, me, "79120000002")
        vip_999 = await client(runtime, me, "79990000003", tag="vip")
        vip_912_late = await client(runtime, me, "79120000004", tag="vip")
        await client(runtime, other, "79120000001", tag="vip")  # another owner's: never

        assert await recipients(runtime, me, {"tag": "vip"}) == [
            vip_912.id,
            vip_999.id,
            vip_912_late.id,
        ]
        assert await recipients(runtime, me, {"operator_code": "912"}) == [
            vip_912.id,
            plain_912.id,
            vip_912_late.id,
        ]
        assert await recipients(runtime, me, {"tag": "vip", "operator_code": "912"}) == [
            vip_912.id,
            vip_912_late.id,
        ]
        assert await recipients(runtime, me, {"operator_code": 999}) == [vip_999.id]
        assert await recipients(runtime, me, {"tag": ""}) == [plain_912.id]
        assert await recipients(runtime, me, {"tag": "nobody"}) == []
