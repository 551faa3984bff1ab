"""Seed 001's legacy REST routes under load, served as production serves tghub.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.legacy_load --wait-idle 300   # 3 rounds of 10 s each
    .venv/bin/python -m tests.bench.legacy_load -d 3s -r 1         # a quick check

In one run it:

1. creates and migrates a fresh database and builds the messenger data set
   (``messenger_dataset``: one user with 200 chats, through the domain services);
2. starts the API the way the README tells production to run it,
   ``uvicorn --factory resolvers.app:create_app --workers 2 --loop uvloop --http httptools
   --no-access-log`` (two workers on this two-core machine);
3. checks each route once (status and shape): ``GET /api/chats/`` (DRF's default page of 10),
   ``GET /api/chats/?page_size=20``, ``GET /api/messages/?chat=<a chat with 20 messages>``,
   ``POST /api/messages/`` (JSON ``{"chat", "text"}``, into another private chat of the owner,
   so the 20-message chat stays as it is) and ``GET /api/user/current/``, all as the data set's
   owner with a Bearer token;
4. loads each route with ``wrk -t1 -c32 -d10s --latency --timeout 30s`` (a Lua script sets
   the method, the header and the body), after a warm-up: first the four reads, 3 rounds (their
   order reversed every other round), on the data set as built; then the POST, 3 rounds; then
   ``VACUUM ANALYZE`` (this PostgreSQL runs with autovacuum off) and ``GET /api/chats/`` once
   more, now that the POSTs' chat is on top with thousands of messages;
5. prints requests/s, p50/p99, server CPU per request (both workers and the supervisor) and the
   ratio of the original Django service's server CPU per request (``Route.original_cpu_ms``,
   measured beside tghub on this machine in one run, issue 16) to tghub's, with the aim.

``--only TEXT`` (repeatable) loads only the routes whose label contains it: the POST and the
round after it run only when selected.

Nothing here asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.bench.graphql_overhead import BenchError, wait_listening
from tests.bench.messenger_dataset import (
    Target,
    bench_env,
    describe_code,
    exit_status,
    http_json,
    lua_script,
    rounds,
    row,
    run_with_wrk_on_dataset,
    running,
    start_uvicorn,
)
from tests.pg import admin_execute

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from tests.bench.graphql_overhead import Server, WrkResult
    from tests.bench.messenger_dataset import Dataset

WORKERS = 2


@dataclass(frozen=True)
class Route:
    label: str
    method: str
    path: str
    body: dict[str, Any] | None
    original_cpu_ms: float  # the original service's server CPU per request
    aim: float  # the aim: original_cpu_ms / tghub's at least this
    check: Callable[[int, Any], bool]


def _page_of(size: int) -> Callable[[int, Any], bool]:
    return lambda status, body: (
        status == 200 and isinstance(body, dict) and len(body.get("results", [])) == size
    )


def routes(dataset: Dataset, post_chat: str) -> list[Route]:
    busy = str(dataset.busy_chat)
    return [
        Route("GET /api/chats/", "GET", "/api/chats/", None, 145, 30, _page_of(10)),
        Route(
            "GET /api/chats/?page_size=20",
            "GET",
            "/api/chats/?page_size=20",
            None,
            287,
            30,
            _page_of(20),
        ),
        Route(
            "GET /api/messages/?chat=<20 messages>",
            "GET",
            f"/api/messages/?chat={busy}",
            None,
            53,
            15,
            lambda s, b: s == 200 and isinstance(b, dict) and b.get("count") == 20,
        ),
        Route(
            "POST /api/messages/",
            "POST",
            "/api/messages/",
            {"chat": post_chat, "text": "a message from the load test"},
            18,
            6,
            lambda s, b: s == 201 and isinstance(b, dict) and b.get("chat") == post_chat,
        ),
        Route(
            "GET /api/user/current/",
            "GET",
            "/api/user/current/",
            None,
            3.8,
            4,
            lambda s, b: s == 200 and isinstance(b, dict) and b.get("id") == str(dataset.owner_id),
        ),
    ]


def other_private_chat(server: Server, dataset: Dataset) -> str:
    """A private chat of the owner that is not the busy one: where the POSTs go."""
    status, body = http_json(
        f"http://127.0.0.1:{server.port}/api/chats/?page_size=100", dataset.token
    )
    if status != 200 or not isinstance(body, dict):
        raise BenchError(f"GET /api/chats/ answered {status}: {str(body)[:500]}")
    for chat in body["results"]:
        if chat["is_private"] and chat["id"] != str(dataset.busy_chat):
            return str(chat["id"])
    raise BenchError("the owner has no second private chat")


def message_count(base: str, dataset: Dataset, chat: str) -> int:
    status, body = http_json(f"{base}/api/messages/?chat={chat}", dataset.token)
    if status != 200 or not isinstance(body, dict):
        raise BenchError(f"GET /api/messages/ answered {status}: {str(body)[:500]}")
    return int(body["count"])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("-d", "--duration", default="10s", help="wrk duration of each round")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("-w", "--warmup", default="3s")
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument(
        "--only", action="append", default=[], metavar="TEXT", help="routes whose label has it"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before starting, wait up to this long for other load to stop (shared machines)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace, dataset: Dataset, workdir: Path) -> int:
    env = bench_env(dataset, workdir)
    label = f"uvicorn --factory resolvers.app:create_app --workers {WORKERS}"
    server = start_uvicorn(
        label, "resolvers.app:create_app", "", env, workdir, ["--workers", str(WORKERS)]
    )
    with running([server]):
        wait_listening(server)
        print(f"server started on the {describe_code()}")
        base = f"http://127.0.0.1:{server.port}"
        post_chat = other_private_chat(server, dataset)
        table = [
            r
            for r in routes(dataset, post_chat)
            if not args.only or any(text in r.label for text in args.only)
        ]
        targets = []
        for index, route in enumerate(table):
            status, body = http_json(
                base + route.path, dataset.token, method=route.method, body=route.body
            )
            if not route.check(status, body):
                raise BenchError(f"{route.label} answered {status}: {str(body)[:1000]}")
            lua = workdir / f"route{index}.lua"
            lua.write_text(
                lua_script(
                    dataset.token,
                    method=route.method,
                    body=json.dumps(route.body) if route.body else "",
                )
            )
            targets.append(Target(route.label, base + route.path, lua, server))
        print(
            f"each route answered as expected; serving: {label} "
            "--loop uvloop --http httptools --no-access-log"
        )
        # The reads first, on the data set as built; then the writes. Each POST moves its chat
        # to the top of the chat list with one more message, which the list's reads then see.
        reads = [t for t, r in zip(targets, table, strict=True) if r.method == "GET"]
        writes = [t for t, r in zip(targets, table, strict=True) if r.method != "GET"]
        results = rounds(
            reads,
            duration=args.duration,
            warmup=args.warmup,
            count=args.rounds,
            connections=args.connections,
        )
        results.update(
            rounds(
                writes,
                duration=args.duration,
                warmup=args.warmup,
                count=args.rounds,
                connections=args.connections,
            )
        )
        extra = []
        if writes and table[0].path == "/api/chats/":
            extra = [after_the_writes(args, dataset, table[0], targets[0], post_chat, results)]
        if server.process.poll() is not None:
            raise BenchError(f"the server died during the run:\n{server.log_tail()}")
    print(
        f"\nResults ({label}, uvloop, httptools, no access log; wrk -t1 -c{args.connections} "
        f"-d{args.duration} --latency, {args.rounds} rounds):\n"
    )
    print(
        "| route | req/s (median) | req/s per round | p50 (median) | p99 (median) "
        "| server CPU per request; CPU server / postgres / wrk / other | errors "
        "| original's CPU per request | ratio | aim |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    for route in [*table, *extra]:
        runs = results[route.label]
        ratio = route.original_cpu_ms / server_ms_per_request(runs)
        ceiling = route.original_cpu_ms / route.aim
        met = "met" if ratio >= route.aim else "missed"
        print(
            f"{row(route.label, runs)} {route.original_cpu_ms:g} ms | **{ratio:.1f}×** "
            f"| ≥ {route.aim:g}× (≤ {ceiling:.2f} ms): {met} |"
        )
    return exit_status(results)


def server_ms_per_request(runs: Sequence[WrkResult]) -> float:
    return statistics.median(r.cpu.server_ms_per_request for r in runs if r.cpu is not None)


def after_the_writes(
    args: argparse.Namespace,
    dataset: Dataset,
    route: Route,
    target: Target,
    post_chat: str,
    results: dict[str, list[WrkResult]],
) -> Route:
    """One more round of the chat list, now that the POSTs' chat is on top."""
    grown = message_count(target.url.split("/api/")[0], dataset, post_chat)
    # The POSTs left a dead version of the chat row each (this PostgreSQL runs without
    # autovacuum): vacuum, so the next round sees a big chat rather than a bloated table.
    asyncio.run(admin_execute(dataset.url, "VACUUM ANALYZE"))
    label = (
        f"GET /api/chats/ after the POST rounds and a VACUUM (its top chat has {grown:,} messages)"
    )
    after = Target(label, target.url, target.lua, target.server)
    results.update(
        rounds(
            [after],
            duration=args.duration,
            warmup=args.warmup,
            count=1,
            connections=args.connections,
        )
    )
    return Route(label, "GET", "", None, route.original_cpu_ms, route.aim, route.check)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_with_wrk_on_dataset(
        "legacy", args.wait_idle, lambda dataset, workdir: run(args, dataset, workdir)
    )


if __name__ == "__main__":
    sys.exit(main())
