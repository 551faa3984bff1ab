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

Environment: as ``tests/fuzz/harness.py`` says (the database server and the Redis database).

The API process runs cheap argon2 parameters (the fuzzer registers and logs in often; the
cost is not under test) and the default login rate limit: generated ``login`` mutations that
hit it get the typed ``RateLimitedError``, which passes.
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from tests.fuzz.harness import (
    ADMIN,
    SCHEMATHESIS,
    FuzzError,
    Outcome,
    api_process,
    argument_parser,
    common_options,
    fuzz_settings,
    report,
    run_schemathesis,
)
from tests.fuzz.harness import main as run_main
from tests.world import ACCOUNT_PHONE, API_HASH

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

HOOKS = "tests.fuzz.hooks"
CHECK = "no_unexpected_error"

USER, PEER = "fuzzuser", "fuzzpeer"
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


@dataclass(frozen=True)
class Identity:
    label: str
    token: str | None = None
    username: str | None = None


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
    url: str, who: Identity, args: argparse.Namespace, config: Path, report_path: Path
) -> list[str]:
    command = [
        SCHEMATHESIS,
        f"--config-file={config}",
        "run",
        url,
        "--phases=fuzzing",
        f"--checks={CHECK}",
        *common_options(args, report_path),
    ]
    if who.token is not None:
        command.append(f"--header=Authorization: Bearer {who.token}")
        command += [f"--exclude-name=Mutation.{name}" for name in REVOKING]
    return command


def fuzz(url: str, who: Identity, args: argparse.Namespace, config: Path, workdir: Path) -> Outcome:
    report_path = workdir / f"{who.label}.ndjson"
    command = schemathesis_command(url, who, args, config, report_path)
    run = run_schemathesis(who.label, command, HOOKS, workdir, report_path)
    problems = []
    if run.returncode != 0:
        problems.append(f"schemathesis exited with {run.returncode}")
    if run.requests < args.min_requests:
        problems.append(f"{run.requests} requests, fewer than {args.min_requests}")
    if who.token is not None and not token_still_works(url, who):
        problems.append("its token stopped working during the run")
    return Outcome(who.label, run.requests, run.seconds, tuple(problems))


# --- entry point --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argument_parser(__doc__.split("\n", 1)[0] if __doc__ else None, max_examples=120)
    parser.add_argument("--min-requests", type=int, default=1000, help="per run")
    parser.add_argument(
        "--only", choices=["anonymous", "user", "admin"], action="append", help="runs to do"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace, workdir: Path) -> int:
    log = workdir / "api.log"
    admin_password = secrets.token_urlsafe(16)
    with fuzz_settings(workdir) as settings, api_process(settings, log, admin_password):
        url = f"http://127.0.0.1:{settings.port}/graphql"
        anonymous, user, admin, peer = identities(url, admin_password)
        config = config_file(workdir / "schemathesis.toml", seed(url, user, admin, peer))
        outcomes = [
            fuzz(url, who, args, config, workdir)
            for who in (anonymous, user, admin)
            if not args.only or who.label in args.only
        ]
    return report(outcomes, log, "the tracebacks behind masked errors")


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
