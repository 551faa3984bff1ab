"""Importing clients from a CSV file against the real database: good and bad rows mixed,
duplicates in the file and in the owner's clients, encodings, who may import where, a commit
per batch (an interrupted import completes when run again), concurrent imports, size."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from domain.access import Guest
from domain.accounts import service as accounts
from domain.errors import Invalid, PermissionDenied, Unauthenticated
from domain.mailing import service as mailing
from domain.mailing.model import Client
from domain.mailing.service import ImportReport, Problem
from tests.integration.mailing.scene import GUEST, PHONE_MESSAGE, SYSTEM, admin, client, user

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

TAKEN = "client with this phone number already exists."


async def import_file(
    runtime: Runtime, actor: Any, content: bytes | str, **options: Any
) -> ImportReport:
    data = content.encode() if isinstance(content, str) else content
    async with runtime.uow() as uow:
        return await mailing.import_clients(uow, actor=actor, content=data, **options)


async def clients_of(runtime: Runtime, owner_id: uuid.UUID) -> dict[str, tuple[str, str, str]]:
    """The owner's clients: phone -> (operator code, tag, timezone)."""
    async with runtime.uow() as uow:
        rows = await uow.session.execute(
            select(Client.phone_number, Client.operator_code, Client.tag, Client.timezone).where(
                Client.owner_id == owner_id
            )
        )
        return {phone: (code, tag, zone) for phone, code, tag, zone in rows}


async def count_clients(runtime: Runtime) -> int:
    async with runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Client)) or 0)


def numbered(count: int, start: int = 0) -> list[str]:
    return [f"79{n:09d}" for n in range(start, start + count)]


def csv_of(phones: list[str], header: str = "phone_number") -> str:
    return header + "\n" + "".join(f"{phone}\n" for phone in phones)


class TestRows:
    async def test_good_rows_are_imported_and_bad_ones_reported(self, runtime: Runtime) -> None:
        me = await user(runtime)
        content = (
            "phone_number,tag,timezone\n"
            "79123456789,vip,Europe/Moscow\n"
            "89123456789,vip,UTC\n"
            "\n"
            '79001112233,"two\nlines",\n'
            "79001112244,,Nowhere/City\n"
            "79001112255,,\n"
        )

        report = await import_file(runtime, me, content)

        assert (report.rows, report.imported, report.skipped, report.unlisted) == (5, 3, 2, 0)
        assert report.problems == [
            Problem(3, "phone_number", PHONE_MESSAGE),
            Problem(7, "timezone", '"Nowhere/City" is not a valid choice.'),
        ]
        assert await clients_of(runtime, me.user_id) == {
            "79123456789": ("912", "vip", "Europe/Moscow"),
            "79001112233": ("900", "two\nlines", "UTC"),
            "79001112255": ("900", "", "UTC"),
        }

    async def test_duplicates_in_the_file_and_phones_the_owner_has(self, runtime: Runtime) -> None:
        me, other = await user(runtime), await user(runtime)
        await client(runtime, me, "79000000002", tag="before")
        await client(runtime, other, "79000000003")  # another owner's: no conflict
        content = csv_of(["79000000001", "79000000002", "79000000003", "79000000001"])

        report = await import_file(runtime, me, content)

        assert (report.rows, report.imported, report.skipped) == (4, 2, 2)
        assert report.problems == [
            Problem(3, "phone_number", TAKEN),
            Problem(5, "phone_number", "Duplicate of line 2."),
        ]
        mine = await clients_of(runtime, me.user_id)
        assert sorted(mine) == ["79000000001", "79000000002", "79000000003"]
        assert mine["79000000002"][1] == "before"  # kept as it was

    async def test_running_it_again_imports_nothing_twice(self, runtime: Runtime) -> None:
        me = await user(runtime)
        content = csv_of(numbered(5))
        first = await import_file(runtime, me, content)
        again = await import_file(runtime, me, content)

        assert (first.imported, first.skipped) == (5, 0)
        assert (again.imported, again.skipped) == (0, 5)
        assert {p.message for p in again.problems} == {TAKEN}
        assert len(await clients_of(runtime, me.user_id)) == 5


class TestFiles:
    async def test_utf8_with_a_byte_order_mark(self, runtime: Runtime) -> None:
        me = await user(runtime)
        content = b"\xef\xbb\xbf" + "phone_number,tag\r\n79123456789,клиенты\r\n".encode()
        report = await import_file(runtime, me, content)
        assert (report.imported, report.problems) == (1, [])
        assert await clients_of(runtime, me.user_id) == {"79123456789": ("912", "клиенты", "UTC")}

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"phone_number,tag\n79123456789," + "тег".encode("cp1251") + b"\n",
             "The file is not UTF-8 text (line 2, byte 30)"),
            (b"", "The submitted file is empty."),
            (b"tag\nvip\n", 'The header (line 1) has no "phone_number" column'),
            (b"phone_number,tag\n79123456789,vip\n79123456780,\"open\n", "The row on line 3 is"),
        ],
        ids=["not utf-8", "empty", "no phone column", "a quote left open"],
    )  # fmt: skip
    async def test_a_file_wrong_as_a_whole_imports_nothing(
        self, runtime: Runtime, content: bytes, message: str
    ) -> None:
        me = await user(runtime)
        with pytest.raises(Invalid) as caught:
            await import_file(runtime, me, content)
        assert list(caught.value.field_errors) == ["file"]
        assert caught.value.message.startswith(message)
        assert await count_clients(runtime) == 0


class TestWho:
    async def test_a_user_imports_into_their_own_workspace(self, runtime: Runtime) -> None:
        me = await user(runtime)
        named = await import_file(runtime, me, csv_of(["79000000001"]), owner_id=me.user_id)
        assert named.imported == 1
        assert list(await clients_of(runtime, me.user_id)) == ["79000000001"]

    async def test_a_user_may_not_name_another_owner(self, runtime: Runtime) -> None:
        me, other = await user(runtime), await user(runtime)
        with pytest.raises(PermissionDenied):
            await import_file(runtime, me, csv_of(["79000000001"]), owner_id=other.user_id)
        assert await count_clients(runtime) == 0

    async def test_permission_is_decided_before_the_file_is_read(self, runtime: Runtime) -> None:
        me, other = await user(runtime), await user(runtime)
        with pytest.raises(PermissionDenied):
            await import_file(runtime, me, b"\xff\xfe", owner_id=other.user_id)

    async def test_an_admin_imports_for_anyone_who_exists(self, runtime: Runtime) -> None:
        boss, other = await admin(runtime), await user(runtime)
        report = await import_file(runtime, boss, csv_of(["79000000001"]), owner_id=other.user_id)
        assert report.imported == 1
        assert list(await clients_of(runtime, other.user_id)) == ["79000000001"]
        with pytest.raises(Invalid) as caught:
            await import_file(runtime, boss, csv_of(["79000000002"]), owner_id=uuid.uuid4())
        assert list(caught.value.field_errors) == ["owner"]

    async def test_tghub_itself_must_name_an_owner(self, runtime: Runtime) -> None:
        other = await user(runtime)
        with pytest.raises(PermissionDenied):
            await import_file(runtime, SYSTEM, csv_of(["79000000001"]))
        report = await import_file(runtime, SYSTEM, csv_of(["79000000001"]), owner_id=other.user_id)
        assert report.imported == 1

    async def test_guests_import_into_the_shared_workspace(self, runtime: Runtime) -> None:
        report = await import_file(runtime, GUEST, csv_of(["79000000001"]))
        assert report.imported == 1
        async with runtime.uow() as uow:
            listed = await mailing.list_clients(uow, actor=GUEST)
        assert [c.phone_number for c in listed] == ["79000000001"]

    async def test_a_refused_guest_file_makes_no_workspace(self, runtime: Runtime) -> None:
        with pytest.raises(Invalid):
            await import_file(runtime, GUEST, b"tag\n")
        async with runtime.uow() as uow:
            found = await accounts.find_service_user(
                uow, actor=SYSTEM, username=mailing.GUEST_OWNER
            )
        assert found is None

    async def test_guests_of_another_group_are_anonymous(self, runtime: Runtime) -> None:
        with pytest.raises(Unauthenticated):
            await import_file(runtime, Guest("tracking"), csv_of(["79000000001"]))


class TestBatches:
    async def test_ten_thousand_rows(self, runtime: Runtime) -> None:
        me = await user(runtime)
        phones = numbered(10_000, start=123_000_000)
        seen: list[tuple[int, int]] = []

        report = await import_file(
            runtime,
            me,
            csv_of(phones),
            on_progress=lambda done, total: seen.append((done, total)),
        )

        assert (report.rows, report.imported, report.skipped, report.problems) == (
            10_000,
            10_000,
            0,
            [],
        )
        assert seen == [(done, 10_000) for done in range(2000, 10_001, 2000)]
        assert sorted(await clients_of(runtime, me.user_id)) == phones

    async def test_an_interrupted_import_keeps_whole_batches_and_completes_again(
        self, runtime: Runtime
    ) -> None:
        me = await user(runtime)
        content = csv_of(numbered(25))

        def stop_after_two_batches(done: int, total: int) -> None:
            if done == 20:
                raise KeyboardInterrupt  # as a Ctrl-C between batches

        with pytest.raises(KeyboardInterrupt):
            await import_file(runtime, me, content, batch=10, on_progress=stop_after_two_batches)
        assert len(await clients_of(runtime, me.user_id)) == 20

        again = await import_file(runtime, me, content, batch=10)
        assert (again.imported, again.skipped) == (5, 20)
        assert [p.line for p in again.problems] == list(range(2, 22))
        assert len(await clients_of(runtime, me.user_id)) == 25

    async def test_concurrent_imports_add_each_client_once(self, runtime: Runtime) -> None:
        me = await user(runtime)
        phones = numbered(3000)
        # The same phones in opposite orders: each batch is inserted in phone order, so the
        # imports take the unique index's locks in one order and none deadlocks another.
        files = [csv_of(phones), csv_of(phones[::-1]), csv_of(phones)]

        reports = await asyncio.gather(
            *(import_file(runtime, me, content, batch=1000) for content in files)
        )

        assert sum(r.imported for r in reports) == 3000
        assert all(r.imported + r.skipped == 3000 for r in reports)
        assert {p.message for r in reports for p in r.problems} <= {TAKEN}
        assert len(await clients_of(runtime, me.user_id)) == 3000
