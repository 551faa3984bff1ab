"""How long the test suite takes (``pytest -n 2``), here and at a baseline revision, in one run.

    .venv/bin/python -m tests.bench.suite --baseline 9717768 [--busy 2] [--rounds 1]

Each revision is checked out into a temporary git worktree and run with this checkout's
interpreter (the pins are the same; each worktree's own packages come first on the path), on
the same PostgreSQL and Redis, one after the other, ``--rounds`` times interleaved.
``--busy N`` keeps N busy-loop processes running meanwhile, as a loaded CI machine would.
Prints the wall time of each run and the medians; exits non-zero if a run failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
BUSY_LOOP = "while True: pass"
# Redis databases apart from a developer's own test runs (base 1) and the fuzz run (15).
REDIS_BASE = "5"


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tghub-suite-") as folder:
        path = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(path), revision],
            cwd=ROOT,
            check=True,
        )
        try:
            yield path
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False
            )


@contextlib.contextmanager
def busy(count: int) -> Iterator[None]:
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def run_suite(tree: Path) -> tuple[float, str]:
    """Wall seconds and pytest's summary line for one ``pytest -n 2`` in ``tree``."""
    env = {**os.environ, "TGHUB_TEST_REDIS_DB": REDIS_BASE, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    summary = next(
        (line for line in reversed(result.stdout.splitlines()) if re.search(r" in [0-9.]+s", line)),
        f"exit {result.returncode}",
    )
    if result.returncode != 0:
        print(result.stdout[-3000:], file=sys.stderr)
    return seconds, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", required=True, help="the revision to compare with")
    parser.add_argument("--busy", type=int, default=0, help="busy-loop processes meanwhile")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"baseline": [], "HEAD": []}
    failed = False
    with worktree(args.baseline) as old, worktree("HEAD") as new, busy(args.busy):
        for round_ in range(1, args.rounds + 1):
            for label, tree in (("baseline", old), ("HEAD", new)):
                seconds, summary = run_suite(tree)
                failed |= "failed" in summary or "error" in summary
                times[label].append(seconds)
                print(f"round {round_} {label:<8} {seconds:6.1f} s  {summary}", flush=True)
    baseline, head = (statistics.median(times[k]) for k in ("baseline", "HEAD"))
    print(f"median: baseline {args.baseline} {baseline:.1f} s, HEAD {head:.1f} s", end="")
    print(f" ({baseline / head:.2f}x faster), {args.busy} busy loops")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
