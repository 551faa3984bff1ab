"""Schemathesis over the legacy REST document (``/openapi.json``) of a real API process: no
5xx, and every answer as the document declares it.

Run from the repository root with the project's interpreter (``make fuzz`` runs it after the
GraphQL run)::

    .venv/bin/python -m tests.fuzz.rest
    .venv/bin/python -m tests.fuzz.rest --max-examples 5 --min-requests 1   # a quick look

In one run it:

1. takes a throwaway PostgreSQL database and Redis database (``tests/fuzz/harness.py``, as
   the GraphQL run) and starts one API process as production runs it, its admin created
   from ``TGHUB_ADMIN_USERNAME`` / ``TGHUB_ADMIN_PASSWORD``, with ``check_contract`` on (an
   answer off its declaration is a 500 there, with the reason in the API log);
2. logs the admin in (``POST /api/auth/``) for a Bearer token;
3. runs ``schemathesis run …/openapi.json`` twice with a fixed seed, anonymous and as the
   admin (``-H "Authorization: Bearer …"``), through the phases ``examples`` (the document's
   own examples), ``coverage`` (boundaries and each constraint broken, deterministically;
   the admin's run only, see ``PHASES``) and ``fuzzing`` (generated cases, valid and
   invalid). Every operation of the document is
   covered: the run names no route. The checks (``CHECKS``): no 5xx; every status, media
   type, header and body as documented; the admin's call without its token is refused; a
   method the path does not document is 405; a call without a required header is refused.
   Two of schemathesis's checks are left out (docs/decisions.md says why):
   ``negative_data_rejection``, because the legacy readers are lenient by contract (a number
   written as a string, a blank optional parameter, an unknown key are accepted as the
   original services accepted them), and ``positive_data_acceptance``, because the document
   cannot say everything that makes a value valid (a phone number, "phone or phones, not
   both"): the domain's 400 for such a value is the contract too. Cases per operation:
   about ``CASES_PER_RUN`` over the document, within ``EXAMPLES_BOUNDS`` (``--max-examples``
   overrides);
4. counts the requests of both runs in their NDJSON reports and fails when together they
   made fewer than ``--min-requests`` (1,000 by default);
5. after the admin's run, checks its token still works: the run must not lock itself out.
   ``tests/fuzz/rest_hooks.py`` leaves out any DELETE whose path names the caller
   (``current`` or the admin's own id), for the same reason;
6. stops the API process, drops the database and flushes the Redis database, also on
   failure, and prints the API log when a run failed. The summary has a line per run and
   one for their total; the last line counts them: ``fuzz: 3 passed, 0 failed``; the exit
   status is 1 on any failure.

The API process keeps its default rate limits but the sign-in budget (see
``LOGIN_ATTEMPTS_PER_MINUTE``): a generated call over one gets the declared 429 with
``Retry-After``, which passes.

Environment: as ``tests/fuzz/harness.py`` says (the database server and the Redis database).
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
from tests.fuzz.rest_hooks import CALLER_VARIABLE

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path

HOOKS = "tests.fuzz.rest_hooks"
# The coverage phase (each parameter's boundaries and broken constraints, a few dozen cases
# an operation) in the admin's run only: an anonymous call to an operation that needs
# credentials is refused before anything is read, so there it would only repeat the 401.
PHASES = {"anonymous": "examples,fuzzing", "admin": "examples,coverage,fuzzing"}
# Far over what the run spends: ignored_auth sends bad credentials to every operation that
# takes HTTP Basic, which would spend the default sign-in budget (10 a minute) in seconds and
# turn its expected 401s into the (declared) 429. tests/api cover the budget itself.
LOGIN_ATTEMPTS_PER_MINUTE = "1000000"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "ignored_auth",  # the admin's run: the same call without its token is refused
    "unsupported_method",  # a method the path does not document is 405
    "missing_required_header",
)
# Generated cases per operation when --max-examples does not say: about CASES_PER_RUN over
# the whole document, within bounds, so that the run's time grows slowly with the document
# (the coverage phase adds its own cases, a few to a few dozen per operation).
CASES_PER_RUN = 600
EXAMPLES_BOUNDS = (5, 100)
LOGIN = "/api/auth/"
SELF = "/api/user/current/"


@dataclass(frozen=True)
class Caller:
    label: str
    token: str | None = None
    names: tuple[str, ...] = ()  # the path values that name the caller itself


def login(base: str, username: str, password: str) -> str:
    response = httpx.post(
        f"{base}{LOGIN}", json={"username": username, "password": password}, timeout=10
    )
    if response.status_code != 200:
        raise FuzzError(f"{LOGIN} answered {response.status_code}: {response.text}")
    token: str = response.json()["access"]
    return token


def whoami(base: str, token: str) -> httpx.Response:
    return httpx.get(f"{base}{SELF}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def admin(base: str, password: str) -> Caller:
    token = login(base, ADMIN, password)
    me = whoami(base, token)
    if me.status_code != 200:
        raise FuzzError(f"{SELF} answered {me.status_code}: {me.text}")
    return Caller("admin", token, ("current", str(me.json()["id"])))


def operations(base: str) -> int:
    paths = httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"]
    return sum(len(methods) for methods in paths.values())


def examples_per_operation(count: int) -> int:
    low, high = EXAMPLES_BOUNDS
    return max(low, min(high, -(-CASES_PER_RUN // max(count, 1))))


def schemathesis_command(
    base: str, caller: Caller, args: argparse.Namespace, report_path: Path
) -> list[str]:
    command = [
        SCHEMATHESIS,
        "run",
        f"{base}/openapi.json",
        f"--phases={PHASES[caller.label]}",
        f"--checks={','.join(CHECKS)}",
        *common_options(args, report_path),
    ]
    if caller.token is not None:
        command.append(f"--header=Authorization: Bearer {caller.token}")
    return command


def fuzz(base: str, caller: Caller, args: argparse.Namespace, workdir: Path) -> Outcome:
    report_path = workdir / f"rest-{caller.label}.ndjson"
    command = schemathesis_command(base, caller, args, report_path)
    variables = {CALLER_VARIABLE: ",".join(caller.names)}
    run = run_schemathesis(f"REST, {caller.label}", command, HOOKS, workdir, report_path, variables)
    problems = []
    if run.returncode != 0:
        problems.append(f"schemathesis exited with {run.returncode}")
    if caller.token is not None and whoami(base, caller.token).status_code != 200:
        problems.append("its token stopped working during the run")
    return Outcome(caller.label, run.requests, run.seconds, tuple(problems))


def with_total(outcomes: list[Outcome], minimum: int) -> list[Outcome]:
    """The runs and a line for their total, which fails under ``minimum`` requests."""
    requests = sum(o.requests for o in outcomes)
    problems = () if requests >= minimum else (f"fewer than {minimum} requests",)
    seconds = sum(o.seconds for o in outcomes)
    return [*outcomes, Outcome("total", requests, seconds, problems)]


# --- entry point --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argument_parser(__doc__.split("\n", 1)[0] if __doc__ else None, max_examples=None)
    parser.add_argument("--min-requests", type=int, default=1000, help="of the runs together")
    parser.add_argument("--only", choices=["anonymous", "admin"], help="one run alone")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, workdir: Path) -> int:
    log = workdir / "api.log"
    admin_password = secrets.token_urlsafe(16)
    with (
        fuzz_settings(workdir) as settings,
        api_process(
            settings,
            log,
            admin_password,
            check_contract="true",
            login_attempts_per_minute=LOGIN_ATTEMPTS_PER_MINUTE,
        ),
    ):
        base = f"http://127.0.0.1:{settings.port}"
        if args.max_examples is None:
            count = operations(base)
            args.max_examples = examples_per_operation(count)
            print(f"{count} operations, {args.max_examples} generated cases each", flush=True)
        callers = [Caller("anonymous"), admin(base, admin_password)]
        outcomes = [
            fuzz(base, caller, args, workdir)
            for caller in callers
            if args.only in (None, caller.label)
        ]
    return report(with_total(outcomes, args.min_requests), log, "the tracebacks behind 500s")


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
