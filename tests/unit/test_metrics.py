"""The metrics folder's lifecycle (who empties it), reading it while processes write to it,
and the bounds on label values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client.mmap_dict import MmapedDict, mmap_key

from domain.adapters.prometheus import render
from domain.metrics import join
from resolvers.metrics import MAX_NAME_LENGTH, OTHER, OperationNames

if TYPE_CHECKING:
    from pathlib import Path

LEFTOVERS = ("counter_4242.db", "histogram_4242.db", "gauge_livesum_4242.db", "gauge_all_7.db")
NOT_OURS = ("notes.txt", "counter_backup.db", "my.db")


class TestJoin:
    def test_the_first_process_empties_the_folder_of_sample_files_only(
        self, tmp_path: Path
    ) -> None:
        for name in LEFTOVERS + NOT_OURS:
            (tmp_path / name).write_bytes(b"")

        with join(tmp_path):
            left = {path.name for path in tmp_path.iterdir() if not path.name.startswith(".")}

        assert left == set(NOT_OURS)

    def test_a_process_joining_others_leaves_their_files(self, tmp_path: Path) -> None:
        with join(tmp_path):
            for name in LEFTOVERS:
                (tmp_path / name).write_bytes(b"")
            with join(tmp_path):
                assert all((tmp_path / name).exists() for name in LEFTOVERS)

    def test_once_everyone_left_the_next_start_empties_it(self, tmp_path: Path) -> None:
        with join(tmp_path), join(tmp_path):
            (tmp_path / LEFTOVERS[0]).write_bytes(b"")

        with join(tmp_path):
            assert not (tmp_path / LEFTOVERS[0]).exists()


class TestRender:
    def test_a_file_another_process_has_only_just_created_is_read_as_empty(
        self, tmp_path: Path
    ) -> None:
        written = MmapedDict(str(tmp_path / "counter_41.db"))
        key = mmap_key("tghub_jobs", "tghub_jobs_total", ["kind"], ["noop"], "Jobs run.")
        written.write_value(key, 3.0, 0.0)
        written.close()
        # A writer opens its file (size 0) and only then sizes it: a scrape can come between.
        (tmp_path / "counter_42.db").touch()

        body, _ = render(tmp_path, None, None)

        assert 'tghub_jobs_total{kind="noop"} 3.0' in body.decode()


class TestOperationNames:
    def test_the_first_names_up_to_the_cap_are_their_own_labels(self) -> None:
        names = OperationNames(cap=2)

        labels = [names.label(n) for n in ("Viewer", "Users", "Invented", "Viewer", "Users")]

        assert labels == ["Viewer", "Users", OTHER, "Viewer", "Users"]

    def test_an_overlong_name_is_other(self) -> None:
        names = OperationNames(cap=10)

        assert names.label("A" * (MAX_NAME_LENGTH + 1)) == OTHER
        assert names.label("A" * MAX_NAME_LENGTH) == "A" * MAX_NAME_LENGTH
