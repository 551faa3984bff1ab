"""The process's Prometheus metrics, shared by every process of a deployment on one host.

Each process (every uvicorn worker of the API, ``tghub worker``, ``tghub listen``, or the one
process of ``tghub serve``) writes its samples to files in one folder, prometheus_client's
multiprocess mode, and a scrape reads them all: ``/metrics`` of any API process answers for
the whole host. The folder is ``PROMETHEUS_MULTIPROC_DIR`` when set, else ``metrics/`` in
the data folder (``TGHUB_DATA_DIR``), which a deployment's processes on one host share
already (the generated keys live there).

prometheus_client decides at its first import whether it writes files, so it is imported
only here, after the folder is chosen (``domain.adapters.prometheus``): nothing else may
import it first. The first process to start on the folder while no other process uses it
empties it of the last run's files; an flock held for each process's lifetime tells
whether any other uses it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from domain.adapters.prometheus import Metrics
    from domain.settings import Settings

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Serialises the start of the processes joining the folder (held only while one joins).
START_LOCK = ".tghub-start.lock"
# Held shared by every process using the folder, for as long as it runs.
ALIVE_LOCK = ".tghub-alive.lock"
# What prometheus_client writes there: <type>[_<gauge mode>]_<pid>.db. Nothing else is ever
# removed, whatever folder an operator names.
SAMPLE_FILE = re.compile(r"^(counter|histogram|summary|gauge_[a-z]+)_[0-9]+\.db$")


@dataclass(frozen=True)
class _Started:
    metrics: Metrics
    directory: Path
    alive: IO[str]  # the open lock file that says this process uses the folder


class _Process:
    started: _Started | None = None


def metrics_directory(settings: Settings) -> Path:
    """``PROMETHEUS_MULTIPROC_DIR`` when set, else ``<data dir>/metrics``."""
    configured = os.environ.get(MULTIPROC_DIR)
    if configured:
        return Path(configured)
    return settings.data_dir.resolve() / "metrics"


def start_metrics(settings: Settings) -> Metrics:
    """Once per process (later calls return the same metrics): joins the deployment's folder
    (see the module's docstring), then creates the metrics. Called by the composition roots
    before anything records."""
    return (_Process.started or _start(metrics_directory(settings))).metrics


def metrics() -> Metrics:
    """The process's metrics. A process whose composition root did not start them (a script,
    a test helper) records into ``PROMETHEUS_MULTIPROC_DIR`` if set, else into a folder of
    its user's in the temporary folder, which nobody scrapes."""
    return _started().metrics


def _started() -> _Started:
    if _Process.started is not None:
        return _Process.started
    configured = os.environ.get(MULTIPROC_DIR)
    fallback = Path(tempfile.gettempdir()) / f"tghub-metrics-{os.getuid()}"
    return _start(Path(configured) if configured else fallback)


def _start(directory: Path) -> _Started:
    os.environ[MULTIPROC_DIR] = str(directory)  # where prometheus_client writes
    alive = join(directory)
    from domain.adapters import prometheus

    prometheus.forget_process(directory, os.getpid())  # a reused pid's live gauges
    _Process.started = _Started(prometheus.create_metrics(), directory, alive)
    return _Process.started


def join(directory: Path) -> IO[str]:
    """Joins the folder: empties it when no other process uses it, then holds the shared
    lock that says this one does (for as long as the returned file stays open)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / START_LOCK).open("w") as starting:
        fcntl.flock(starting, fcntl.LOCK_EX)  # one joiner at a time
        alive = (directory / ALIVE_LOCK).open("w")
        try:
            fcntl.flock(alive, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # other processes use the folder: their files (and the dead's) stay
        else:
            empty(directory)
        fcntl.flock(alive, fcntl.LOCK_SH)  # no joiner can run in between: we hold START_LOCK
    return alive


def empty(directory: Path) -> None:
    """Removes the sample files of a previous run (nothing else)."""
    for path in directory.iterdir():
        if SAMPLE_FILE.match(path.name):
            path.unlink(missing_ok=True)


def render(accept: str | None, queued: Mapping[str, int] | None = None) -> tuple[bytes, str]:
    """The exposition of every process's samples on this host (the format the ``Accept``
    header asks for) and its content type; ``queued`` adds the job queue's lengths."""
    from domain.adapters import prometheus

    return prometheus.render(_started().directory, accept, queued)


def serve_metrics(settings: Settings) -> None:
    """With ``metrics_port`` set, serves the same exposition (without the queue's lengths)
    on ``metrics_host:metrics_port`` from a thread of this process: for a worker or a
    listener on a host without an API process. OSError when it cannot listen there."""
    if settings.metrics_port is None:
        return
    start_metrics(settings)
    from domain.adapters import prometheus

    prometheus.serve(_started().directory, settings.metrics_host, settings.metrics_port)


@contextlib.contextmanager
def websocket_open(protocol: str) -> Iterator[None]:
    """Counts a socket as open (by its protocol) while the block runs."""
    gauge = metrics().websockets_open.labels(protocol=protocol)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()
