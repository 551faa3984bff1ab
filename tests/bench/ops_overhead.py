"""What metrics and JSON logs cost: ``{ viewer { id } }`` and ``GET /api/chats/`` with and
without them, in one run.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.ops_overhead --wait-idle 300   # 3 rounds of 10 s each
    .venv/bin/python -m tests.bench.ops_overhead -d 3s -r 1         # a quick check

On the messenger data set (``messenger_dataset``: its owner in 200 chats), five API servers,
each ``uvicorn --factory resolvers.app:create_app --workers 2`` as legacy_load runs it
(with pools of 4 connections, so that ten processes fit in PostgreSQL's 100), differing only
in what they report:

1. ``bare``: metrics off, text logs at WARNING, no access log (the figures of before);
2. ``metrics``: Prometheus metrics on, in multiprocess mode (a folder of its own);
3. ``text log``: no metrics; INFO with uvicorn's access log, as plain text (a line a request);
4. ``JSON log``: no metrics; the same lines as JSON (``TGHUB_LOG_FORMAT=json``);
5. ``metrics + JSON log``: both, as an operator who wants everything would run it.

Each server's log goes to a file. Each route is loaded with ``wrk -t1 -c32`` on every server,
the servers alternating within a round and their order reversed every other round; the table
gives requests/s, latency, server CPU per request and the change against ``bare``.
Nothing here asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.relay import GlobalID

from tests.bench.graphql_overhead import BenchError, wait_listening
from tests.bench.legacy_load import parse_args  # the same options: duration, rounds, warm-up, …
from tests.bench.messenger_dataset import (
    Target,
    bench_env,
    describe_code,
    exit_status,
    http_json,
    lua_script,
    median_rps,
    rounds,
    row,
    run_with_wrk_on_dataset,
    running,
    start_uvicorn,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

    from tests.bench.graphql_overhead import Server, WrkResult
    from tests.bench.messenger_dataset import Dataset

WORKERS = 2
POOL_SIZE = 4
VIEWER = {"query": "{ viewer { id } }"}
LOGGED = {"log_level": "INFO"}  # with uvicorn's access log: a line a request


@dataclass(frozen=True)
class Variant:
    label: str
    variables: dict[str, str]
    access_log: bool = False
    metrics: bool = False


VARIANTS = (
    Variant("bare", {"log_level": "WARNING"}),
    Variant("metrics", {"log_level": "WARNING"}, metrics=True),
    Variant("text log", {**LOGGED, "log_format": "text"}, access_log=True),
    Variant("JSON log", {**LOGGED, "log_format": "json"}, access_log=True),
    Variant("metrics + JSON log", {**LOGGED, "log_format": "json"}, access_log=True, metrics=True),
)


def start(variant: Variant, dataset: Dataset, workdir: Path) -> Server:
    metrics_dir = workdir / f"metrics-{variant.label.replace(' ', '-')}"
    metrics_dir.mkdir()
    env = bench_env(dataset, workdir)
    env.update({f"TGHUB_{name.upper()}": value for name, value in variant.variables.items()})
    env["TGHUB_METRICS_ENABLED"] = "true" if variant.metrics else "false"
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    # Ten API processes share PostgreSQL's 100 connections: idle servers keep their pools.
    env["TGHUB_DATABASE_POOL_SIZE"] = str(POOL_SIZE)
    extra = ["--workers", str(WORKERS)]
    if variant.access_log:
        extra += ["--access-log", "--log-level", "info"]
    return start_uvicorn(variant.label, "resolvers.app:create_app", "", env, workdir, extra)


def check(server: Server, dataset: Dataset, variant: Variant) -> None:
    base = f"http://127.0.0.1:{server.port}"
    status, body = http_json(f"{base}/graphql", dataset.token, method="POST", body=VIEWER)
    owner = str(GlobalID("User", str(dataset.owner_id)))
    if status != 200 or body != {"data": {"viewer": {"id": owner}}}:
        raise BenchError(f"{variant.label}: {{ viewer {{ id }} }} answered {status}: {body}")
    status, body = http_json(f"{base}/api/chats/", dataset.token)
    if status != 200 or not isinstance(body, dict) or len(body.get("results", [])) != 10:
        raise BenchError(f"{variant.label}: GET /api/chats/ answered {status}: {str(body)[:300]}")
    # Metrics on means /metrics answers (the owner is no admin: 403); off means no route.
    status, _ = http_json(f"{base}/metrics", dataset.token)
    if status != (403 if variant.metrics else 404):
        raise BenchError(f"{variant.label}: /metrics answered {status}")


def targets_for(
    servers: Sequence[tuple[Variant, Server]], dataset: Dataset, workdir: Path
) -> dict[str, list[Target]]:
    viewer_lua = workdir / "viewer.lua"
    viewer_lua.write_text(lua_script(dataset.token, method="POST", body=json.dumps(VIEWER)))
    chats_lua = workdir / "chats.lua"
    chats_lua.write_text(lua_script(dataset.token))
    by_route: dict[str, list[Target]] = {"{ viewer { id } }": [], "GET /api/chats/": []}
    for variant, server in servers:
        base = f"http://127.0.0.1:{server.port}"
        by_route["{ viewer { id } }"].append(
            Target(f"{{ viewer {{ id }} }}, {variant.label}", f"{base}/graphql", viewer_lua, server)
        )
        by_route["GET /api/chats/"].append(
            Target(f"GET /api/chats/, {variant.label}", f"{base}/api/chats/", chats_lua, server)
        )
    return by_route


def change(runs: Sequence[WrkResult], bare: Sequence[WrkResult]) -> str:
    ratio = median_rps(runs) / median_rps(bare)
    return f"{(ratio - 1) * 100:+.1f} %"


def run(args: argparse.Namespace, dataset: Dataset, workdir: Path) -> int:
    servers = [(variant, start(variant, dataset, workdir)) for variant in VARIANTS]
    with running([server for _, server in servers]):
        for variant, server in servers:
            wait_listening(server)
            check(server, dataset, variant)
        print(f"{len(servers)} servers answer as expected, on the {describe_code()}")
        results: dict[str, list[WrkResult]] = {}
        by_route = targets_for(servers, dataset, workdir)
        for targets in by_route.values():
            results.update(
                rounds(
                    targets,
                    duration=args.duration,
                    warmup=args.warmup,
                    count=args.rounds,
                    connections=args.connections,
                )
            )
        for variant, server in servers:
            if server.process.poll() is not None:
                raise BenchError(f"{variant.label} died during the run:\n{server.log_tail()}")
    print(
        f"\nResults (uvicorn --workers {WORKERS}, uvloop, httptools; wrk -t1 "
        f"-c{args.connections} -d{args.duration} --latency, {args.rounds} rounds):\n"
    )
    print(
        "| route, server | req/s (median) | req/s per round | p50 (median) | p99 (median) "
        "| server CPU per request; CPU server / postgres / wrk / other | errors "
        "| change against bare |\n|---|---|---|---|---|---|---|---|"
    )
    for targets in by_route.values():
        bare = results[targets[0].label]
        for target in targets:
            runs = results[target.label]
            print(f"{row(target.label, runs)} {change(runs, bare)} |")
    spread = {
        label: statistics.pstdev(r.rps for r in runs) / median_rps(runs)
        for label, runs in results.items()
    }
    print(f"\nlargest spread between rounds: {max(spread.values()) * 100:.1f} % of the median")
    return exit_status(results)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_with_wrk_on_dataset(
        "ops", args.wait_idle, lambda dataset, workdir: run(args, dataset, workdir)
    )


if __name__ == "__main__":
    sys.exit(main())
