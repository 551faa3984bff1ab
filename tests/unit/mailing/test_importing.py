"""Reading a CSV file of clients (pure): file-level refusals, the header, each row's problems
with its line in the file, and the report's counts."""

from __future__ import annotations

import pytest

from domain.errors import Invalid
from domain.mailing import importing, rules
from domain.mailing.importing import (
    MAX_FILE_BYTES,
    MAX_LINE_CHARS,
    ClientFile,
    ImportReport,
    NewClient,
    Problem,
)

PHONE = 'The phone number must be in the format: "7XXXXXXXXXX" '
TAKEN = "client with this phone number already exists."
BOM = b"\xef\xbb\xbf"


def read(content: bytes | str, size: int = 1000) -> tuple[list[NewClient], list[Problem]]:
    """Every client to insert and every problem, the chunks joined."""
    data = content.encode() if isinstance(content, str) else content
    clients: list[NewClient] = []
    problems: list[Problem] = []
    for chunk in ClientFile(data).chunks(size):
        clients += chunk.clients
        problems += chunk.problems
    return clients, problems


def phones(clients: list[NewClient]) -> list[str]:
    return [client.phone_number for client in clients]


def refusal(content: bytes | str) -> str:
    data = content.encode() if isinstance(content, str) else content
    with pytest.raises(Invalid) as caught:
        ClientFile(data)
    assert list(caught.value.field_errors) == ["file"]
    [message] = caught.value.field_errors["file"]
    assert caught.value.message == message
    return message


def report_of(
    content: str, *, existing: frozenset[str] = frozenset(), size: int = 1000
) -> ImportReport:
    """The report of an import into an owner who has the ``existing`` phones already."""
    report = ImportReport()
    for chunk in ClientFile(content.encode()).chunks(size):
        report.add(chunk, [c.phone_number for c in chunk.clients if c.phone_number not in existing])
    return report


class TestEncoding:
    def test_utf8_with_and_without_a_byte_order_mark(self) -> None:
        text = "phone_number,tag\n79123456789,клиенты\n"
        for data in (text.encode(), BOM + text.encode()):
            clients, problems = read(data)
            assert (clients[0].phone_number, clients[0].tag, problems) == (
                "79123456789",
                "клиенты",
                [],
            )

    def test_bytes_that_are_not_utf8_are_refused_with_where(self) -> None:
        data = b"phone_number,tag\n79123456789,ok\n79123456780," + "клиент".encode("cp1251")
        message = refusal(data)
        assert message == (
            "The file is not UTF-8 text (line 3, byte 45): save it as CSV in UTF-8 "
            '(in Excel: "CSV UTF-8").'
        )

    def test_the_byte_offset_counts_the_byte_order_mark(self) -> None:
        assert "(line 1, byte 4)" in refusal(BOM + b"\xff")

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            (b"", importing.EMPTY),
            (b"  \r\n\n\t", importing.EMPTY),
            (BOM, importing.EMPTY),
            (b"PK\x03\x04\x14\x00\x06\x00", importing.ZIP),
            ("phone_number\n".encode("utf-16"), importing.NUL),
            (b"phone_number\n7912345678\x009\n", importing.NUL),
            (bytes(range(256)) * 4, importing.NUL),
            (b"\x89PNG\r\n\x1a\n\x01\x02", None),
        ],
        ids=["empty", "blank", "bom only", "xlsx", "utf-16", "a nul", "binary", "png"],
    )
    def test_what_is_no_csv_text_is_refused_clearly(
        self, data: bytes, expected: str | None
    ) -> None:
        message = refusal(data)
        if expected is not None:
            assert message == expected
        else:
            assert message.startswith("The file is not UTF-8 text (line 1, byte 1)")

    def test_a_file_over_the_limit_is_refused_before_it_is_read(self) -> None:
        data = b"phone_number\n" + b"x" * MAX_FILE_BYTES
        assert refusal(data) == "The file is larger than 20 MB."


class TestHeader:
    def test_names_are_read_trimmed_and_in_any_case_and_order(self) -> None:
        clients, _ = read(" Timezone ;TAG; Phone_Number\nEurope/Moscow;vip;79123456789\n")
        assert clients == [NewClient(2, "79123456789", "vip", "Europe/Moscow")]

    @pytest.mark.parametrize("delimiter", [",", ";", "\t"])
    def test_commas_semicolons_or_tabs(self, delimiter: str) -> None:
        quoted = '"a,b;c"'  # a value holding the other delimiters
        content = f"phone_number{delimiter}tag\n79123456789{delimiter}{quoted}\n"
        clients, problems = read(content)
        assert (phones(clients), clients[0].tag, problems) == (["79123456789"], "a,b;c", [])

    def test_phone_number_alone_is_enough(self) -> None:
        clients, _ = read("phone_number\n79123456789\n")
        assert clients == [NewClient(2, "79123456789", "", "UTC")]

    def test_blank_lines_before_the_header_are_passed_over(self) -> None:
        clients, problems = read("\n\r\nphone_number\nbad\n79123456789\n")
        assert clients == [NewClient(5, "79123456789", "", "UTC")]
        assert problems == [Problem(4, "phone_number", PHONE)]

    def test_without_a_phone_number_column(self) -> None:
        assert refusal("phone,tag\n79123456789,vip\n") == (
            'The header (line 1) has no "phone_number" column (the columns are '
            '"phone_number", and optionally "tag" and "timezone").'
        )

    def test_a_phone_on_the_first_line_means_the_header_is_missing(self) -> None:
        assert refusal("79123456789,vip\n79123456780,vip\n") == (
            "Line 1 holds a phone number; the first line must be the header (the columns are "
            '"phone_number", and optionally "tag" and "timezone").'
        )

    def test_unknown_columns_are_refused_once_for_the_file(self) -> None:
        message = refusal("phone_number,name,timezon,name\n79123456789,Ivan,UTC,Ivan\n")
        assert message == (
            'Unknown column(s) "name", "timezon" on line 1: the columns are "phone_number", '
            'and optionally "tag" and "timezone".'
        )

    def test_unknown_names_are_shown_short_and_printable(self) -> None:
        message = refusal(f'phone_number,"a\x1bb{"x" * 60}"\n')
        assert message.startswith(f'Unknown column(s) "a?b{"x" * 37}" on line 1')

    def test_a_repeated_column_is_refused(self) -> None:
        assert refusal("phone_number,tag,Tag\n79123456789,a,b\n") == (
            'The column(s) "tag" appear twice on line 1.'
        )

    def test_columns_without_a_name_are_not_read(self) -> None:
        clients, problems = read("phone_number,,tag,\n79123456789,x,vip,y\n")
        assert (clients, problems) == ([NewClient(2, "79123456789", "vip", "UTC")], [])

    def test_a_line_too_long_for_a_client_refuses_the_file(self) -> None:
        long_tag = "x" * MAX_LINE_CHARS
        message = refusal(f"phone_number,tag\n79123456789,ok\n79123456780,{long_tag}\n")
        assert message == "Line 3 is longer than 4096 characters: not a client list."

    def test_a_line_of_exactly_the_limit_is_read(self) -> None:
        tag = "x" * (MAX_LINE_CHARS - len("79123456789,"))
        _, problems = read(f"phone_number,tag\r\n79123456789,{tag}\r\n")
        assert problems == [Problem(2, "tag", "Ensure this field has no more than 255 characters.")]


class TestRows:
    def test_the_rules_messages_word_for_word_each_on_its_column(self) -> None:
        content = (
            "phone_number,tag,timezone\n"
            "89123456789,vip,UTC\n"
            f"79123456789,{'t' * 256},Mars/Olympus\n"
            "7912345678a,,\n"
        )
        clients, problems = read(content)
        assert clients == []
        assert problems == [
            Problem(2, "phone_number", PHONE),
            Problem(3, "tag", "Ensure this field has no more than 255 characters."),
            Problem(3, "timezone", '"Mars/Olympus" is not a valid choice.'),
            Problem(4, "phone_number", PHONE),
        ]
        assert rules.PHONE_MESSAGE == PHONE

    def test_values_are_trimmed_and_an_empty_timezone_is_the_default(self) -> None:
        clients, _ = read(
            "phone_number,tag,timezone\n 79123456789 , vip ,\n79123456780,,Asia/Tokyo\n"
        )
        assert clients == [
            NewClient(2, "79123456789", "vip", "UTC"),
            NewClient(3, "79123456780", "", "Asia/Tokyo"),
        ]
        assert clients[0].operator_code == "912"

    def test_an_empty_phone_is_the_phone_message(self) -> None:
        _, problems = read("phone_number,tag\n,vip\n")
        assert problems == [Problem(2, "phone_number", PHONE)]

    def test_a_later_row_with_the_same_phone_is_a_duplicate_of_the_first(self) -> None:
        content = "phone_number,tag\n79123456789,a\n79123456780,b\n79123456789,c\n79123456789,d\n"
        clients, problems = read(content, size=2)
        assert [(c.line, c.tag) for c in clients] == [(2, "a"), (3, "b")]
        assert problems == [
            Problem(4, "phone_number", "Duplicate of line 2."),
            Problem(5, "phone_number", "Duplicate of line 2."),
        ]

    def test_a_skipped_row_does_not_claim_its_phone(self) -> None:
        clients, problems = read("phone_number,timezone\n79123456789,Nowhere\n79123456789,UTC\n")
        assert [c.line for c in clients] == [3]
        assert problems == [Problem(2, "timezone", '"Nowhere" is not a valid choice.')]

    def test_lines_count_the_lines_of_quoted_values(self) -> None:
        content = (
            'phone_number,tag\n79123456789,"two\nlines"\n79123456780,"three\r\nlines\r\nhere"\n'
            "bad,x\n"
        )
        clients, problems = read(content)
        assert [(c.line, c.tag) for c in clients] == [
            (2, "two\nlines"),
            (4, "three\r\nlines\r\nhere"),
        ]
        assert problems == [Problem(7, "phone_number", PHONE)]

    @pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
    def test_any_line_ending(self, newline: str) -> None:
        content = newline.join(["phone_number", "79123456789", "", "bad", "79123456780"]) + newline
        clients, problems = read(content)
        assert [c.line for c in clients] == [2, 5]
        assert problems == [Problem(4, "phone_number", PHONE)]

    def test_blank_lines_and_rows_of_empty_values_are_no_rows(self) -> None:
        chunks = list(ClientFile(b"phone_number,tag\n\n , \n,\n79123456789,a\n\n").chunks(10))
        assert [(len(c.clients), c.rows, c.problems) for c in chunks] == [(1, 1, [])]

    def test_more_values_than_columns(self) -> None:
        content = "phone_number,tag\n79123456789,vip,gold\n79123456780,vip,,\n"
        clients, problems = read(content)
        assert phones(clients) == ["79123456780"]  # trailing empty values are no values
        assert problems == [Problem(2, "row", "This row has 3 values; the header has 2 columns.")]

    def test_fewer_values_than_columns_are_empty(self) -> None:
        clients, _ = read("phone_number,tag,timezone\n79123456789\n")
        assert clients == [NewClient(2, "79123456789", "", "UTC")]

    def test_a_long_message_is_shortened(self) -> None:
        zone = "Z" * 2000
        _, [problem] = read(f"phone_number,timezone\n79123456789,{zone}\n")
        assert len(problem.message) == importing.MAX_MESSAGE_CHARS
        assert problem.message.startswith('"ZZZ')
        assert problem.message.endswith("…")


class TestQuotes:
    @pytest.mark.parametrize(
        ("content", "line", "reason"),
        [
            ('phone_number,tag\n79123456789,vip\n79123456780,"vip\n79123456781,x\n', 3,
             "unexpected end of data"),
            ('phone_number,tag\n79123456789,"vip" gold\n', 2, "',' expected after '\"'"),
            ('phone_number,tag\n79123456789,"' + "\n".join(["y" * 1000] * 140) + '"\n', 2,
             "field larger than field limit (131072)"),
        ],
        ids=["left open", "text after the closing quote", "past the field size limit"],
    )  # fmt: skip
    def test_broken_quoting_refuses_the_file(self, content: str, line: int, reason: str) -> None:
        # What follows a broken quote cannot be trusted: nothing is imported.
        assert refusal(content) == (
            f'The row on line {line} is not valid CSV ({reason}): check its quotes (").'
        )

    def test_quotes_inside_a_value_and_doubled_quotes(self) -> None:
        clients, _ = read('phone_number,tag\n79123456789,say "hi"\n79123456780, "a ""b"""\n')
        assert [c.tag for c in clients] == ['say "hi"', 'a "b"']


class TestChunks:
    def test_chunks_hold_size_rows(self) -> None:
        rows = "\n\n".join(f"7912345{n:04d}" for n in range(5))
        file = ClientFile(f"\nphone_number\n{rows}\n".encode())
        assert [c.rows for c in file.chunks(2)] == [2, 2, 1]
        assert (file.lines, file.header.line, file.rows) == (11, 2, 5)

    def test_a_header_alone_has_no_chunks(self) -> None:
        file = ClientFile(b"phone_number,tag\r\n")
        assert (list(file.chunks(10)), file.rows) == ([], 0)


class TestReport:
    def test_counts_and_problems_in_line_order(self) -> None:
        content = "phone_number\n79000000001\nbad\n79000000002\n79000000001\n79000000003\n"
        report = report_of(content, existing=frozenset({"79000000002"}), size=3)
        assert (report.rows, report.imported, report.skipped) == (5, 2, 3)
        assert report.problems == [
            Problem(3, "phone_number", PHONE),
            Problem(4, "phone_number", TAKEN),
            Problem(5, "phone_number", "Duplicate of line 2."),
        ]
        assert report.unlisted == 0

    def test_a_row_with_two_problems_is_one_skipped_row(self) -> None:
        report = report_of("phone_number,timezone\nbad,Nowhere\n")
        assert (report.rows, report.imported, report.skipped, len(report.problems)) == (1, 0, 1, 2)

    def test_problems_past_the_limit_are_counted_not_listed(self) -> None:
        report = ImportReport(max_listed=3)
        for chunk in ClientFile(("phone_number\n" + "bad\n" * 5).encode()).chunks(2):
            report.add(chunk, [])
        assert [p.line for p in report.problems] == [2, 3, 4]
        assert (report.skipped, report.unlisted) == (5, 2)
