"""Schemathesis against ``/graphql`` of a real API process: no 5xx, no masked unexpected error.

Run from the repository root with the project's interpreter (``make fuzz``)::

    .venv/bin/python -m tests.fuzz.graphql
    .venv/bin/python -m tests.fuzz.graphql --max-examples 5 --min-requests 1   # a quick look

In one run it:

1. creates and migrates a throwaway PostgreSQL database (``tghub_fuzz_<pid>``) on the server
   the tests use, and takes Redis database 15 (the tests use 1 and up, the benchmarks 14;
   flushed before and after) with a channel prefix of its own;
2. starts one API process as production runs it (``uvicorn --factory
   resolvers.app:create_app``), its admin created from ``TGHUB_ADMIN_USERNAME`` /
   ``TGHUB_ADMIN_PASSWORD``, and waits for ``/readyz``;
3. registers a plain user (and a peer) over GraphQL, logs them and the admin in (``login``) and
   seeds objects to aim at: chats, messages, a Telegram account and a task. A schemathesis
   dictionary (``schemathesis.toml``, written per run) puts their global ids, page sizes in
   range and the simulated world's names into matching arguments half of the time, so requests
   get past "not found" to the code behind it;
4. runs ``schemathesis run`` (fuzzing, the only phase GraphQL has) three times, with a fixed
   seed: anonymous, as the user and as the admin (``-H "Authorization: Bearer …"``). The pass
   criterion is the custom check ``no_unexpected_error`` of ``tests/fuzz/hooks.py``, which
   fails on an HTTP status of 500 or more and on an ``errors`` entry masked as "Unexpected
   error." / ``INTERNAL_SERVER_ERROR``. Typed errors (validation, ``UNAUTHENTICATED``,
   ``FORBIDDEN``, ``NOT_FOUND``, ``BAD_USER_INPUT``, union error members such as
   ``RateLimitedError``) pass; schemathesis's own ``not_a_server_error`` (ST113) would fail
   on every one of them;
5. counts each run's requests in its NDJSON report and fails a run that made fewer than
   ``--min-requests`` (1,000 by default);
6. stops the API process, drops the database and flushes the Redis database, also on failure,
   and prints the API log (the tracebacks behind masked errors) when a run failed. The last
   line counts the runs: ``fuzz: 3 passed, 0 failed``; the exit status is 1 on any failure.

With the defaults (120 cases per operation, two schemathesis workers) each run sends about
4,200 requests and takes 75-90 s on an idle 2-core machine: 4-4.5 minutes in all. The seed
fixes the generated cases; with two workers their order against the shared server is not fixed.

Tokens the fuzzer could revoke: ``logout`` ends the session of the token it is sent with and
``deleteAccount`` deletes its user, after which the rest of an authenticated run would only
test the anonymous path. Both take nothing but an optional ``clientMutationId``, so fuzzing
adds little to one request each: the authenticated runs exclude them and the anonymous run
covers them. ``refreshToken`` only
rotates a session whose refresh token it is sent, which the fuzzer never has. As a guard, each
authenticated run is followed by a ``viewer`` query with its token: a run whose token stopped
working fails.

Custom scalars: ``tests/fuzz/hooks.py`` gives schemathesis strategies for ``JSON`` and
``Upload`` (without one it skips an operation that needs them) and widens its ``BigInt`` one.

Environment: ``TGHUB_FUZZ_ADMIN_DATABASE_URL`` (a role that may create databases; default
``postgresql://app:app@127.0.0.1:5432/postgres``), ``TGHUB_FUZZ_REDIS_URL`` (default
``redis://127.0.0.1:6379/15``).

The API process runs cheap argon2 parameters (the fuzzer registers and logs in often; the
cost is not under test) and the default login rate limit: generated ``login`` mutations that
hit it get the typed ``RateLimitedError``, which passes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr
from redis import Redis

from domain.settings import Settings
from tests.pg import admin_execute, drop_statement, sibling_url
from tests.processes import ROOT, start_api, stop
from tests.world import ACCOUNT_PHONE, API_HASH, WORLD
from tghub.embedded import free_port
from tghub.migrate import upgrade_head

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

ADMIN_URL = os.environ.get(
    "TGHUB_FUZZ_ADMIN_DATABASE_URL", "postgresql://app:app@127.0.0.1:5432/postgres"
)
# The tests take databases 1 and up (TGHUB_TEST_REDIS_DB plus the xdist worker), benchmarks 14.
REDIS_URL = os.environ.get("TGHUB_FUZZ_REDIS_URL", "redis://127.0.0.1:6379/15")
HOOKS = "tests.fuzz.hooks"
CHECK = "no_unexpected_error"
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))

USER, PEER, ADMIN = "fuzzuser", "fuzzpeer", "fuzzadmin"
# Revoke the token they are sent with: fuzzed in the anonymous run only (see the docstring).
REVOKING = ("logout", "deleteAccount")
# Arguments that take known values half of the time (else generated), so that requests get past
# "not found" to the code behind it: the seeded objects' global ids, page sizes in range, and the
# names of the simulated Telegram world (tests.world.WORLD).
DICTIONARY_ARGUMENTS = {
    "ids": (
        "*.*.id",
        "*.*.chatId",
        "*.*.input.chatId",
        "*.*.input.messageId",
        "*.*.input.memberIds[*]",
        "*.*.input.accountId",
    ),
    "sizes": ("*.*.first",),
    "names": (
        "*.*.bot",
        "*.*.channel",
        "*.*.phone",
        "*.*.input.phone",
        "*.*.input.recipients[*]",
        "*.*.input.code",
    ),
}
SIZES = (0, 1, 2, 20, 100)
WORLD_NAMES = (
    "test_bot",
    "test_channel",
    "@test_channel",
    "ivan_test",
    "@maria_test",
    "1003",
    "+79990000001",
    ACCOUNT_PHONE,
    "12345",
)
TELEGRAM_ACCOUNT = {"phone": ACCOUNT_PHONE, "apiId": 12345, "apiHash": API_HASH}

REGISTER = """mutation($input: RegisterInput!) { register(input: $input) { __typename } }"""
LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) { __typename ... on LoginSuccess { accessToken } }
}"""
VIEWER = "query { viewer { id username } }"
CREATE_CHAT = """mutation($input: CreateChatInput!) {
  createChat(input: $input) { __typename ... on CreateChatSuccess { chat { id } } }
}"""
SEND_MESSAGE = """mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { __typename ... on SendMessageSuccess { message { id } } }
}"""
ADD_ACCOUNT = """mutation($input: AddTelegramAccountInput!) {
  addTelegramAccount(input: $input) {
    __typename ... on AddTelegramAccountSuccess { account { id } }
  }
}"""
REQUEST_CODE = """mutation($input: RequestTelegramLoginCodeInput!) {
  requestTelegramLoginCode(input: $input) {
    __typename ... on RequestTelegramLoginCodeSuccess { task { id taskId } }
  }
}"""


class FuzzError(Exception):
    """The fuzz run could not be set up or did not do what it should."""


@dataclass(frozen=True)
class Identity:
    label: str
    token: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class Outcome:
    label: str
    requests: int
    seconds: float
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


# --- infrastructure ---------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"tghub_fuzz_{os.getpid()}"
    asyncio.run(admin_execute(ADMIN_URL, drop_statement(name), f'CREATE DATABASE "{name}"'))
    try:
        url = sibling_url(ADMIN_URL, name)
        upgrade_head(url)
        yield url
    finally:
        asyncio.run(admin_execute(ADMIN_URL, drop_statement(name)))


@contextlib.contextmanager
def throwaway_redis() -> Iterator[str]:
    client = Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


@contextlib.contextmanager
def api_process(
    settings: Settings, log: Path, admin_password: str
) -> Iterator[subprocess.Popen[bytes]]:
    port = int(settings.port)
    world = log.with_name("world.json")
    world.write_text(json.dumps(WORLD))
    process = start_api(
        settings,
        port,
        log,
        telegram_world=str(world),
        admin_username=ADMIN,
        admin_password=admin_password,
        password_hash_time_cost="1",
        password_hash_memory_kib="1024",
        log_level="WARNING",
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, log)
        yield process
    finally:
        stop(process)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise FuzzError(f"the API process exited with {process.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/readyz").status_code == 200:
                    return
            time.sleep(0.1)
    raise FuzzError(f"{url}/readyz did not answer 200 within {seconds:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- GraphQL ------------------------------------------------------------------------------------


def post(url: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        url, json={"query": query, "variables": variables}, headers=headers, timeout=10
    )
    if response.status_code != 200 or response.json().get("errors"):
        raise FuzzError(f"{query.split()[1]} answered {response.status_code}: {response.text}")
    return response.json()["data"]


def mutate(
    url: str, query: str, token: str | None, expected: str, **input_: object
) -> dict[str, Any]:
    """The payload of a one-field mutation, which must be of type ``expected``."""
    data = post(url, query, {"input": input_}, token)
    (payload,) = data.values()
    if payload["__typename"] != expected:
        raise FuzzError(f"{query.split()[1]} gave {payload}")
    result: dict[str, Any] = payload
    return result


def login(url: str, username: str, password: str) -> str:
    tokens = mutate(url, LOGIN, None, "LoginSuccess", username=username, password=password)
    token: str = tokens["accessToken"]
    return token


def viewer_id(url: str, token: str) -> str:
    user_id: str = post(url, VIEWER, {}, token)["viewer"]["id"]
    return user_id


def identities(url: str, admin_password: str) -> list[Identity]:
    passwords = {USER: secrets.token_urlsafe(16), PEER: secrets.token_urlsafe(16)}
    for username, password in passwords.items():
        mutate(url, REGISTER, None, "RegisterSuccess", username=username, password=password)
    return [
        Identity("anonymous"),
        Identity("user", login(url, USER, passwords[USER]), USER),
        Identity("admin", login(url, ADMIN, admin_password), ADMIN),
        Identity("peer", login(url, PEER, passwords[PEER]), PEER),
    ]


def seed(url: str, user: Identity, admin: Identity, peer: Identity) -> list[str]:
    """Chats, messages, a Telegram account and a task to aim at: the global ids of all."""
    users = [viewer_id(url, who.token) for who in (user, admin, peer) if who.token]
    chats = [
        mutate(
            url, CREATE_CHAT, user.token, "CreateChatSuccess", isPrivate=True, memberIds=[users[2]]
        )["chat"]["id"],
        mutate(
            url,
            CREATE_CHAT,
            user.token,
            "CreateChatSuccess",
            isPrivate=False,
            memberIds=users[1:],
            title="fuzz group",
        )["chat"]["id"],
        mutate(
            url,
            CREATE_CHAT,
            admin.token,
            "CreateChatSuccess",
            isPrivate=True,
            memberIds=[users[2]],
        )["chat"]["id"],
    ]
    messages = [
        mutate(
            url,
            SEND_MESSAGE,
            who.token,
            "SendMessageSuccess",
            chatId=chat,
            text=f"hello from {who.label}",
        )["message"]["id"]
        for who, chat in ((user, chats[0]), (peer, chats[0]), (peer, chats[1]), (admin, chats[2]))
    ]
    account = mutate(url, ADD_ACCOUNT, admin.token, "AddTelegramAccountSuccess", **TELEGRAM_ACCOUNT)
    account_id = account["account"]["id"]
    task = mutate(
        url, REQUEST_CODE, admin.token, "RequestTelegramLoginCodeSuccess", accountId=account_id
    )["task"]
    return [*users, *chats, *messages, account_id, task["id"], task["taskId"]]


def token_still_works(url: str, who: Identity) -> bool:
    data = post(url, VIEWER, {}, who.token)
    return bool(data["viewer"] and data["viewer"]["username"] == who.username)


def config_file(path: Path, ids: Sequence[str]) -> Path:
    """A schemathesis.toml with the dictionaries of ``DICTIONARY_ARGUMENTS``."""
    values: dict[str, Sequence[object]] = {"ids": ids, "sizes": SIZES, "names": WORLD_NAMES}
    lines = []
    for name, entries in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(list(entries))}", ""]
    lines.append("[parameters]")
    for name, keys in DICTIONARY_ARGUMENTS.items():
        lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}' for key in keys]
    path.write_text("\n".join(lines) + "\n")
    return path


# --- schemathesis -------------------------------------------------------------------------------


def schemathesis_command(
    url: str, who: Identity, args: argparse.Namespace, config: Path, report: Path
) -> list[str]:
    command = [
        SCHEMATHESIS,
        f"--config-file={config}",
        "run",
        url,
        "--phases=fuzzing",
        f"--checks={CHECK}",
        f"--max-examples={args.max_examples}",
        f"--seed={args.seed}",
        f"--workers={args.workers}",
        "--generation-database=none",  # no replay of earlier runs' failures: one seed, one run
        "--request-timeout=30",
        "--report=ndjson",
        f"--report-ndjson-path={report}",
        "--no-color",
    ]
    if who.token is not None:
        command.append(f"--header=Authorization: Bearer {who.token}")
        command += [f"--exclude-name=Mutation.{name}" for name in REVOKING]
    return command


def count_requests(report: Path) -> int:
    """Requests schemathesis sent, counted from its NDJSON events."""
    total = 0
    for line in report.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if finished is not None:
            total += len(finished["recorder"]["interactions"])
    return total


def fuzz(url: str, who: Identity, args: argparse.Namespace, config: Path, workdir: Path) -> Outcome:
    report = workdir / f"{who.label}.ndjson"
    print(f"\n=== schemathesis, {who.label} ===", flush=True)
    started = time.monotonic()
    # In the work folder: schemathesis keeps its crash cache (``st replay``) under the cwd.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": path}
    completed = subprocess.run(
        schemathesis_command(url, who, args, config, report), cwd=workdir, env=env, check=False
    )
    seconds = time.monotonic() - started
    requests = count_requests(report) if report.exists() else 0
    problems = []
    if completed.returncode != 0:
        problems.append(f"schemathesis exited with {completed.returncode}")
    if requests < args.min_requests:
        problems.append(f"{requests} requests, fewer than {args.min_requests}")
    if who.token is not None and not token_still_works(url, who):
        problems.append("its token stopped working during the run")
    return Outcome(who.label, requests, seconds, tuple(problems))


# --- entry point --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "-n", "--max-examples", type=int, default=120, help="generated cases per operation"
    )
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("-w", "--workers", type=int, default=2)
    parser.add_argument("--min-requests", type=int, default=1000, help="per run")
    parser.add_argument(
        "--only", choices=["anonymous", "user", "admin"], action="append", help="runs to do"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="write the reports and the API log here and keep them",
    )
    return parser.parse_args(argv)


def summary(outcomes: Sequence[Outcome]) -> str:
    lines = ["", "run        requests   seconds  result"]
    for o in outcomes:
        result = "ok" if o.ok else "FAILED: " + "; ".join(o.problems)
        lines.append(f"{o.label:<10} {o.requests:>8} {o.seconds:>9.0f}  {result}")
    return "\n".join(lines)


def run(args: argparse.Namespace, workdir: Path) -> int:
    log = workdir / "api.log"
    admin_password = secrets.token_urlsafe(16)
    with throwaway_database() as database_url, throwaway_redis() as redis_url:
        settings = Settings(
            database_url=database_url,
            redis_url=redis_url,
            data_dir=workdir,
            channel_prefix=f"fuzz-{secrets.token_hex(6)}",
            secret_key=SecretStr(secrets.token_urlsafe(48)),
            port=free_port(),
        )
        with api_process(settings, log, admin_password):
            url = f"http://127.0.0.1:{settings.port}/graphql"
            anonymous, user, admin, peer = identities(url, admin_password)
            config = config_file(workdir / "schemathesis.toml", seed(url, user, admin, peer))
            outcomes = [
                fuzz(url, who, args, config, workdir)
                for who in (anonymous, user, admin)
                if not args.only or who.label in args.only
            ]
    failed = [o for o in outcomes if not o.ok]
    if failed:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        print("\nAPI log (the tracebacks behind masked errors):\n" + "\n".join(lines[-400:]))
    print(summary(outcomes))
    print(f"fuzz: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # A terminated run still stops its API process and drops its database (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="tghub-fuzz-"))
    try:
        return run(args, workdir.resolve())
    except FuzzError as exc:
        print(f"fuzz run failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
