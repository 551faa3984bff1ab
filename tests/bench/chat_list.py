"""P1: the GraphQL chat list against a hand-written endpoint running one SQL statement.

Run from the repository root with the project's interpreter::

    .venv/bin/python -m tests.bench.chat_list --wait-idle 300   # 3 rounds of 10 s
    .venv/bin/python -m tests.bench.chat_list -d 3s -r 1         # a quick check

In one run it:

1. creates and migrates a fresh database and builds the messenger data set
   (``messenger_dataset``: one user with 200 chats, through the domain services);
2. starts two single-worker uvicorn servers (uvloop, httptools, no access log): the real app
   (``resolvers.app:create_app``) and ``tests.bench.plain_chats:create_app``, whose
   ``POST /chats`` authenticates the same way and runs one SQL statement that builds the same
   JSON;
3. POSTs the ``Chats`` operation of ``codegen/operations/messenger.graphql`` (with the
   fragments it uses; ``first: 20``) to both and checks the two answers are equal;
4. loads each with ``wrk -t1 -c32 -d10s --latency`` (the same body and Bearer header), rounds
   alternating the two after a warm-up, and prints requests/s, p50/p99 latency, server CPU per
   request and the ratio GraphQL/plain;
5. checks both answers once more, stops the servers and drops the database.

Nothing here asserts timings; figures go to docs/perf.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, FragmentSpreadNode, parse, print_ast, visit
from graphql.language import FragmentDefinitionNode, OperationDefinitionNode, Visitor

from tests.bench.graphql_overhead import BenchError, wait_listening
from tests.bench.messenger_dataset import (
    TABLE_HEAD,
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
    from collections.abc import Sequence

    from tests.bench.messenger_dataset import Dataset

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "codegen" / "operations" / "messenger.graphql"
FIRST = 20


def operation_document(name: str, source: Path = OPERATIONS, text: str | None = None) -> str:
    """The named operation of a .graphql file (or of ``text``, with the file's fragments) with
    exactly the fragments it uses."""
    document = parse(source.read_text())
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = parse(text).definitions if text is not None else document.definitions
    operation = next(
        d
        for d in operations
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
    )
    wanted: dict[str, FragmentDefinitionNode] = {}

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
            if node.name.value not in wanted:
                wanted[node.name.value] = fragments[node.name.value]
                visit(fragments[node.name.value], self)

    visit(operation, Spreads())
    return print_ast(DocumentNode(definitions=(operation, *wanted.values())))


def chats_body() -> dict[str, Any]:
    return {
        "query": operation_document("Chats"),
        "operationName": "Chats",
        "variables": {"first": FIRST},
    }


def check_equal(graphql_url: str, plain_url: str, token: str, attempts: int = 3) -> dict[str, Any]:
    """Both answer 200 with the same JSON (a presence write between the two requests can move
    the owner's ``lastOnlineAt``: then ask again)."""
    body = chats_body()
    for _ in range(attempts):
        status_g, graphql = http_json(graphql_url, token, method="POST", body=body)
        status_p, plain = http_json(plain_url, token, method="POST", body=body)
        if status_g != 200 or not isinstance(graphql, dict) or "errors" in graphql:
            raise BenchError(f"GraphQL answered {status_g}: {str(graphql)[:2000]}")
        if status_p != 200:
            raise BenchError(f"plain endpoint answered {status_p}: {str(plain)[:2000]}")
        if graphql == plain:
            return graphql
    raise BenchError(f"the answers differ:\n{first_difference(graphql, plain)}")


def first_difference(a: object, b: object, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{index}]")
    return f"{path}: GraphQL {a!r}\n{' ' * len(path)}  plain   {b!r}"


def describe_answer(answer: dict[str, Any]) -> str:
    chats = answer["data"]["chats"]
    nodes = [edge["node"] for edge in chats["edges"]]
    members = sum(len(n["members"]) for n in nodes)
    unread = sum(n["unreadMessagesCount"] for n in nodes)
    readers = sum(len(n["lastMessage"]["wasReadBy"]) for n in nodes if n["lastMessage"])
    size = len(str(answer).encode())
    return (
        f"{len(nodes)} chats of {chats['totalCount']} ({sum(n['isPrivate'] for n in nodes)} "
        f"private), {members} members, {readers} readers of last messages, {unread} unread; "
        f"about {size / 1024:.0f} KiB of JSON"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("-d", "--duration", default="10s", help="wrk duration of each round")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("-w", "--warmup", default="3s")
    parser.add_argument("-c", "--connections", type=int, default=32)
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
    graphql = start_uvicorn(
        "Strawberry POST /graphql (Chats)", "resolvers.app:create_app", "/graphql", env, workdir
    )
    plain = start_uvicorn(
        "plain Starlette POST /chats (one SQL statement)",
        "tests.bench.plain_chats:create_app",
        "/chats",
        env,
        workdir,
    )
    with running([graphql, plain]):
        for server in (graphql, plain):
            wait_listening(server)
        print(f"servers started on the {describe_code()}")
        answer = check_equal(graphql.url, plain.url, dataset.token)
        print(f"answers equal: {describe_answer(answer)}")
        import json

        lua = workdir / "chats.lua"
        lua.write_text(lua_script(dataset.token, method="POST", body=json.dumps(chats_body())))
        targets = [Target(s.label, s.url, lua, s) for s in (graphql, plain)]
        results = rounds(
            targets,
            duration=args.duration,
            warmup=args.warmup,
            count=args.rounds,
            connections=args.connections,
        )
        for server in (graphql, plain):
            if server.process.poll() is not None:
                raise BenchError(f"{server.label} died during the run:\n{server.log_tail()}")
        check_equal(graphql.url, plain.url, dataset.token)
    print(
        f"\nResults (wrk -t1 -c{args.connections} -d{args.duration} --latency, "
        f"{args.rounds} rounds, first: {FIRST}):\n"
    )
    print(TABLE_HEAD)
    for target in targets:
        print(row(target.label, results[target.label]))
    g, p = results[graphql.label], results[plain.label]
    per_round = " / ".join(f"{x.rps / y.rps:.2f}" for x, y in zip(g, p, strict=True))
    print(
        f"\nRatio GraphQL/plain (median req/s): **{median_rps(g) / median_rps(p):.2f}** "
        f"(per round {per_round}; aim >= 0.6)"
    )
    cpu_g = [r.cpu.server_ms_per_request for r in g if r.cpu]
    cpu_p = [r.cpu.server_ms_per_request for r in p if r.cpu]
    if cpu_g and cpu_p:
        mg, mp = statistics.median(cpu_g), statistics.median(cpu_p)
        print(
            f"Server CPU per request: GraphQL {mg:.2f} ms, plain {mp:.2f} ms "
            f"(plain/GraphQL {mp / mg:.2f})"
        )
    return exit_status(results)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_with_wrk_on_dataset(
        "chats", args.wait_idle, lambda dataset, workdir: run(args, dataset, workdir)
    )


if __name__ == "__main__":
    sys.exit(main())
