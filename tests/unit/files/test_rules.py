"""Pure rules of stored files: types recognised by content, limits, storage keys."""

from __future__ import annotations

import pytest

from domain.adapters.storage import KEY
from domain.files import rules
from domain.files.rules import MB, FileKind, Upload
from domain.messenger.rules import REQUEST_BODY_MAX

# The first bytes of each format, as the format's specification puts them.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
OGG = b"OggS\x00\x02\x00\x00"
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt "
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00"
MP3_FRAME = b"\xff\xfb\x90\x64"
GIF = b"GIF89a\x01\x00\x01\x00"
PDF = b"%PDF-1.7\n"


def upload(content: bytes, *, name: str = "file.bin", declared: str | None = None) -> Upload:
    return Upload(filename=name, content=content, declared_type=declared)


def sized(head: bytes, size: int) -> bytes:
    """``head`` padded with zero bytes to exactly ``size`` bytes."""
    return head + b"\x00" * (size - len(head))


class TestSniffContentType:
    @pytest.mark.parametrize(
        ("content", "media_type"),
        [
            (JPEG, "image/jpeg"),
            (PNG, "image/png"),
            (OGG, "audio/ogg"),
            (WAV, "audio/wav"),
            (MP3_ID3, "audio/mpeg"),
            (MP3_FRAME, "audio/mpeg"),
            (b"\xff\xe0", "audio/mpeg"),
        ],
    )
    def test_recognises_each_checked_format_by_its_first_bytes(
        self, content: bytes, media_type: str
    ) -> None:
        assert rules.sniff_content_type(content) == media_type

    @pytest.mark.parametrize(
        "content",
        [
            b"",
            GIF,
            PDF,
            b"<html><script>alert(1)</script>",
            b"\x89PNG",  # a PNG signature cut short
            b"RIFF\x24\x08\x00\x00AVI LIST",  # RIFF, but a video
            b"\xff",  # one byte of a frame sync
            b"\xff\xdf\x00",  # the second sync byte below 0xE0
        ],
    )
    def test_anything_else_is_unknown(self, content: bytes) -> None:
        assert rules.sniff_content_type(content) is None

    def test_a_jpeg_is_not_taken_for_an_mp3_frame(self) -> None:
        # Both start with 0xFF; a JPEG's second byte (0xD8) is below the MP3 sync range.
        assert rules.sniff_content_type(b"\xff\xd8\xff") == "image/jpeg"


class TestFileErrors:
    @pytest.mark.parametrize("kind", list(FileKind))
    def test_an_empty_file_is_refused_whatever_its_kind(self, kind: FileKind) -> None:
        assert rules.file_errors(upload(b""), kind) == ["The submitted file is empty."]

    @pytest.mark.parametrize(
        ("kind", "limit_mb"),
        [(FileKind.AVATAR, 5), (FileKind.ATTACHMENT, 10), (FileKind.VOICE, 10)],
    )
    def test_a_file_of_exactly_the_limit_passes_and_one_byte_more_is_refused(
        self, kind: FileKind, limit_mb: int
    ) -> None:
        head = MP3_ID3 if kind is FileKind.VOICE else PNG
        assert rules.file_errors(upload(sized(head, limit_mb * MB)), kind) == []
        assert rules.file_errors(upload(sized(head, limit_mb * MB + 1)), kind) == [
            f"The file is larger than {limit_mb} MB."
        ]

    def test_voice_limit_is_the_whole_request_body(self) -> None:
        assert rules.SIZE_MAX[FileKind.VOICE] == REQUEST_BODY_MAX == 10 * MB

    @pytest.mark.parametrize("content", [JPEG, PNG])
    def test_avatar_accepts_jpeg_and_png(self, content: bytes) -> None:
        assert rules.file_errors(upload(content), FileKind.AVATAR) == []

    @pytest.mark.parametrize("content", [GIF, MP3_ID3, PDF, b"plain text"])
    def test_avatar_refuses_other_formats(self, content: bytes) -> None:
        assert rules.file_errors(upload(content), FileKind.AVATAR) == [
            "Upload a valid avatar file (jpg or png)."
        ]

    @pytest.mark.parametrize("content", [MP3_ID3, MP3_FRAME, WAV, OGG])
    def test_voice_accepts_mp3_wav_and_ogg(self, content: bytes) -> None:
        assert rules.file_errors(upload(content), FileKind.VOICE) == []

    @pytest.mark.parametrize("content", [PNG, JPEG, GIF, b"plain text"])
    def test_voice_refuses_other_formats(self, content: bytes) -> None:
        assert rules.file_errors(upload(content), FileKind.VOICE) == [
            "Upload a valid voice file (mp3, wav or ogg)."
        ]

    def test_the_name_and_declared_type_do_not_make_a_picture(self) -> None:
        disguised = upload(GIF, name="photo.png", declared="image/png")
        assert rules.file_errors(disguised, FileKind.AVATAR)

    @pytest.mark.parametrize("content", [GIF, PDF, b"plain text", PNG, MP3_ID3])
    def test_attachments_may_be_of_any_type(self, content: bytes) -> None:
        assert rules.file_errors(upload(content), FileKind.ATTACHMENT) == []

    def test_an_oversized_file_of_a_wrong_type_reports_only_its_size(self) -> None:
        assert rules.file_errors(upload(sized(GIF, 5 * MB + 1)), FileKind.AVATAR) == [
            "The file is larger than 5 MB."
        ]


class TestStoredContentType:
    def test_the_proven_type_wins_over_the_declared_one(self) -> None:
        assert rules.stored_content_type(upload(PNG, declared="text/plain")) == "image/png"

    @pytest.mark.parametrize(
        "declared", ["application/pdf", "application/vnd.ms-excel", "text/plain"]
    )
    def test_an_unrecognised_file_keeps_a_well_formed_declared_type(self, declared: str) -> None:
        assert rules.stored_content_type(upload(PDF, declared=declared)) == declared

    @pytest.mark.parametrize(
        "declared",
        [
            None,
            "",
            "pdf",
            "application/pdf; name=x.pdf",
            "text/plain\r\nX-Injected: 1",
            "text/html",
            "text/html; charset=utf-8",
            "Text/HTML",
            "TEXT/HTML",
        ],
    )
    def test_anything_else_is_served_as_bytes(self, declared: str | None) -> None:
        assert rules.stored_content_type(upload(PDF, declared=declared)) == (
            "application/octet-stream"
        )


class TestSafeFilename:
    @pytest.mark.parametrize(
        ("name", "safe"),
        [
            ("photo.jpg", "photo.jpg"),
            ("report-2026_v2.pdf", "report-2026_v2.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\ivan\\notes.txt", "notes.txt"),
            ("my file (1).png", "my_file_1_.png"),
            ("a..b...c", "a.b.c"),
            (".hidden", "hidden"),
            ("_.tail._", "tail"),
            ("фото.jpg", "jpg"),
            ("", "file"),
            ("...", "file"),
            ("dir/", "file"),
            ("???", "file"),
        ],
    )
    def test_keeps_the_last_path_part_in_url_safe_characters(self, name: str, safe: str) -> None:
        assert rules.safe_filename(name) == safe

    def test_a_long_name_keeps_its_last_hundred_characters_with_the_extension(self) -> None:
        safe = rules.safe_filename("x" * 300 + ".pdf")
        assert len(safe) == 100
        assert safe.endswith(".pdf")


class TestStorageKey:
    @pytest.mark.parametrize(
        "name", ["photo.jpg", "../../etc/passwd", "", "...", "фото.jpg", "a" * 500, "a b/c d"]
    )
    def test_the_file_store_accepts_every_key_the_rule_makes(self, name: str) -> None:
        assert KEY.fullmatch(rules.storage_key(name))

    def test_the_key_is_a_random_folder_and_the_safe_name(self) -> None:
        folder, name = rules.storage_key("../my photo.png").split("/")
        assert len(folder) == 32
        assert name == "my_photo.png"

    def test_two_uploads_of_one_name_get_different_keys(self) -> None:
        assert rules.storage_key("photo.png") != rules.storage_key("photo.png")
