"""prometheus_client behind ``domain.metrics``: the metric objects, the aggregate of every
process's files, and its exposition.

Imported by ``domain.metrics`` only, once ``PROMETHEUS_MULTIPROC_DIR`` is set:
prometheus_client reads that variable when it is first imported, to decide whether samples
go to files (several processes) or stay in memory (this one alone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import psutil
from prometheus_client import Counter, Gauge, Histogram, start_http_server, values
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from prometheus_client.metrics_core import Metric

# Seconds a job waits in the queue: from instant pickups to a backlog of an hour.
QUEUE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
# The gauge modes whose files belong to a live process only (removed when it is gone).
LIVE_GAUGE_PREFIX = "gauge_live"


@dataclass(frozen=True)
class Metrics:
    """Every metric tghub records (docs/operations.md, "Metrics", lists them)."""

    http_requests: Counter
    http_duration: Histogram
    graphql_operations: Counter
    websockets_open: Gauge
    jobs: Counter
    job_queue_seconds: Histogram
    telegram_calls: Counter
    telegram_flood_waits: Counter
    listener_trackers: Gauge


def create_metrics() -> Metrics:
    """The process's metric objects (in no registry: the files are what a scrape reads)."""
    if not getattr(values.ValueClass, "_multiprocess", False):
        raise RuntimeError(
            "prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set; "
            "import it only through domain.metrics"
        )
    http = ["method", "route", "status"]
    return Metrics(
        http_requests=Counter(
            "tghub_http_requests", "HTTP requests answered.", http, registry=None
        ),
        http_duration=Histogram(
            "tghub_http_request_duration_seconds",
            "Time to answer an HTTP request, to the end of its body.",
            http,
            registry=None,
        ),
        graphql_operations=Counter(
            "tghub_graphql_operations",
            "GraphQL operations finished (a subscription when it ends), over HTTP and websockets.",
            ["operation", "type", "outcome"],
            registry=None,
        ),
        websockets_open=Gauge(
            "tghub_websockets_open",
            "Websockets open now.",
            ["protocol"],
            registry=None,
            multiprocess_mode="livesum",
        ),
        jobs=Counter("tghub_jobs", "Job runs finished.", ["kind", "status"], registry=None),
        job_queue_seconds=Histogram(
            "tghub_job_queue_seconds",
            "Time a job waited from when it was due (queued, or its delay over) to its start.",
            ["kind"],
            buckets=QUEUE_BUCKETS,
            registry=None,
        ),
        telegram_calls=Counter(
            "tghub_telegram_calls",
            "Calls of the Telegram gateway, by verb and outcome.",
            ["method", "outcome"],
            registry=None,
        ),
        telegram_flood_waits=Counter(
            "tghub_telegram_flood_waits",
            "Gateway calls Telegram answered with a flood wait (retry after a delay).",
            ["method"],
            registry=None,
        ),
        listener_trackers=Gauge(
            "tghub_listener_trackers",
            "Trackers the status listeners poll now (each holds their leases).",
            registry=None,
            multiprocess_mode="livesum",
        ),
    )


def forget_process(directory: Path, pid: int) -> None:
    """Drops the live gauges of process ``pid`` (gone, or a previous owner of a reused pid);
    its counters and histograms stay in the sums."""
    mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def forget_dead_processes(directory: Path) -> None:
    """Drops the live gauges of every process that wrote to ``directory`` and is gone (a
    crashed uvicorn worker, say: nobody else notices it died)."""
    for path in directory.glob(f"{LIVE_GAUGE_PREFIX}*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not psutil.pid_exists(pid):  # type: ignore[no-untyped-call]
            forget_process(directory, pid)


def sized_files(directory: Path) -> list[str]:
    """The sample files of ``directory`` that can be read. A process creates its file empty
    and sizes it a moment later; prometheus_client's reader fails on the empty one (which
    holds no samples yet), and a scrape in that moment would be a 500."""
    found = []
    for path in directory.glob("*.db"):
        try:
            if path.stat().st_size > 0:
                found.append(str(path))
        except FileNotFoundError:  # a live gauge's file, its process just marked dead
            continue
    return found


class Aggregate(Collector):
    """Every process's samples in ``directory``, read at each collection; ``queued`` (the
    job queue's lengths by state, read by the caller) is added as a gauge."""

    def __init__(self, directory: Path, queued: Mapping[str, int] | None = None) -> None:
        self._directory = directory
        self._queued = queued

    @override
    def collect(self) -> Iterable[Metric]:
        forget_dead_processes(self._directory)
        files = sized_files(self._directory)
        yield from MultiProcessCollector.merge(files, accumulate=True)  # type: ignore[no-untyped-call]
        if self._queued is not None:
            family = GaugeMetricFamily(
                "tghub_jobs_queued", "Jobs in the queue now, due or not yet.", labels=["state"]
            )
            for state, count in sorted(self._queued.items()):
                family.add_metric([state], count)
            yield family


def render(
    directory: Path, accept: str | None, queued: Mapping[str, int] | None
) -> tuple[bytes, str]:
    encoder, content_type = choose_encoder(accept or "")
    return encoder(Aggregate(directory, queued)), content_type


def serve(directory: Path, host: str, port: int) -> None:
    start_http_server(port, addr=host, registry=Aggregate(directory))
