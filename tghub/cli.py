"""The ``tghub`` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from domain.adapters.logs import configure_logging
from domain.settings import Settings


def _world_file_error(settings: Settings) -> str | None:
    """What is wrong with the configured world file, found before anything starts (inside
    the server it would only surface as a failed startup's traceback)."""
    if settings.telegram_mode != "simulated" or settings.telegram_world is None:
        return None
    from domain.adapters.simulated.validation import WorldInvalid
    from domain.adapters.simulated.worldfile import read_world_file

    try:
        read_world_file(settings.telegram_world)
    except WorldInvalid as exc:
        return f"tghub: TGHUB_TELEGRAM_WORLD: {exc.message}"
    return None


def _metrics_server_error(settings: Settings) -> str | None:
    """Starts the metrics endpoint of a worker or listener (``TGHUB_METRICS_PORT``); what
    went wrong, if it could not listen."""
    from domain.metrics import serve_metrics

    try:
        serve_metrics(settings)
    except OSError as exc:
        where = f"{settings.metrics_host}:{settings.metrics_port}"
        return f"tghub: cannot serve metrics on {where}: {exc.strerror or exc}"
    return None


def _refuse(settings: Settings, message: str) -> None:
    """Why a long-running process will not start, on stderr: the message alone in a terminal,
    a log line (one JSON object) with ``TGHUB_LOG_FORMAT=json``."""
    if settings.log_format == "json":
        logging.getLogger("tghub").error(message)
    else:
        print(message, file=sys.stderr)


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    if error := _world_file_error(settings):
        _refuse(settings, error)
        return 2
    from tghub.embedded import CannotListen, DataFolderBusy, listening_socket, serve

    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    try:
        listener = listening_socket(host, port)
    except CannotListen as exc:
        _refuse(settings, f"tghub: {exc}")
        return 1
    try:
        return serve(settings, listener)
    except DataFolderBusy as exc:
        _refuse(settings, f"tghub: {exc}; stop it, or set TGHUB_DATA_DIR to another folder")
        return 1


def _worker(args: argparse.Namespace) -> int:
    from workers.main import create_worker

    settings = Settings()
    if settings.database_url is None or settings.redis_url is None:
        print("tghub worker needs TGHUB_DATABASE_URL and TGHUB_REDIS_URL; `tghub serve` runs")
        print("a worker in-process on its embedded servers.")
        return 2
    if error := _world_file_error(settings):
        _refuse(settings, error)
        return 2
    if error := _metrics_server_error(settings):
        _refuse(settings, error)
        return 1
    create_worker(settings).run()
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from tghub.migrate import upgrade_head

    settings = Settings()
    if settings.database_url is None:
        print("TGHUB_DATABASE_URL is not set; `tghub serve` migrates its embedded database.")
        return 2
    upgrade_head(settings.database_url)
    return 0


def _createadmin(args: argparse.Namespace) -> int:
    from tghub.admin import create_admin

    try:
        username = args.username or input("Username: ")
        password = args.password or getpass.getpass("Password: ")
    except (EOFError, KeyboardInterrupt):
        print("\ncreateadmin: no username or password given")
        return 1
    return asyncio.run(create_admin(Settings(), username, password))


def _rotate_secrets(args: argparse.Namespace) -> int:
    from tghub.admin import rotate_secrets

    return asyncio.run(rotate_secrets(Settings()))


def _run_job(args: argparse.Namespace) -> int:
    from tghub.run_job import run_job, unknown_name

    settings = Settings()
    if error := unknown_name(settings, args.name):
        print(f"tghub run-job: {error}", file=sys.stderr)
        return 2
    if settings.database_url is None or settings.redis_url is None:
        print("tghub run-job needs TGHUB_DATABASE_URL and TGHUB_REDIS_URL; on the embedded")
        print("servers of `tghub serve`, ask for the run with the runScheduledJob mutation.")
        return 2
    return asyncio.run(run_job(settings, args.name, wait=args.wait))


def _import_clients(args: argparse.Namespace) -> int:
    # Its stderr is the progress bar and the errors: Telethon's import-time notice (the
    # bootstrap imports it) would only break the bar's line.
    logging.getLogger("telethon").setLevel(logging.WARNING)
    from tghub.import_clients import import_clients

    return asyncio.run(import_clients(Settings(), Path(args.file), args.owner))


def _export_schema(args: argparse.Namespace) -> int:
    from strawberry.printer import print_schema

    from resolvers.root import schema

    sdl = print_schema(schema) + "\n"
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
    return 0


def _listen(args: argparse.Namespace) -> int:
    from workers.listener import run_listener

    settings = Settings()
    if settings.database_url is None or settings.redis_url is None:
        print("tghub listen needs TGHUB_DATABASE_URL and TGHUB_REDIS_URL; `tghub serve` runs")
        print("a listener in-process on its embedded servers.")
        return 2
    if error := _world_file_error(settings):
        _refuse(settings, error)
        return 2
    if error := _metrics_server_error(settings):
        _refuse(settings, error)
        return 1
    run_listener(settings)
    return 0


def _health(args: argparse.Namespace) -> int:
    from tghub.health import health

    return health(Settings())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tghub", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API (embedded PostgreSQL/Redis by default)")
    serve.add_argument("--host", default=None, help="address to listen on (TGHUB_HOST, 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=None, help="port to listen on (TGHUB_PORT, 8000)"
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run the ARQ worker (jobs and the cron table)")
    worker.set_defaults(run=_worker)

    listen = commands.add_parser(
        "listen", help="run a status listener (polls the trackers whose leases it holds)"
    )
    listen.set_defaults(run=_listen)

    check = commands.add_parser(
        "health", help="exit 0 when PostgreSQL and Redis answer (the containers' health check)"
    )
    check.set_defaults(run=_health)

    migrate = commands.add_parser("migrate", help="alembic upgrade head on TGHUB_DATABASE_URL")
    migrate.set_defaults(run=_migrate)

    admin = commands.add_parser("createadmin", help="create or update an admin user")
    admin.add_argument("--username")
    admin.add_argument("--password")
    admin.set_defaults(run=_createadmin)

    rotate = commands.add_parser(
        "rotate-secrets", help="re-encrypt stored secrets under the first TGHUB_ENCRYPTION_KEYS key"
    )
    rotate.set_defaults(run=_rotate_secrets)

    run_job = commands.add_parser(
        "run-job", help="queue a run of a scheduled job now (a task) and print its task id"
    )
    run_job.add_argument("name", help="a scheduled job's name (an unknown one lists them)")
    run_job.add_argument(
        "--wait", action="store_true", help="wait for the run; print its status and result"
    )
    run_job.set_defaults(run=_run_job)

    importer = commands.add_parser(
        "import-clients",
        help="add mailing clients from a CSV file (phone_number[,tag][,timezone]) to a user's",
        description="Adds mailing clients from a CSV file with a header row (phone_number, "
        "optionally tag and timezone) to a user's workspace, and reports each row skipped. "
        "Exit 0: every row imported; 1: some rows skipped; 2: nothing imported (the file, the "
        "owner) or the import stopped (run it again: imported rows are skipped).",
    )
    importer.add_argument("file", help="the CSV file (UTF-8, at most 20 MB)")
    importer.add_argument("--owner", required=True, help="the username of the clients' owner")
    importer.set_defaults(run=_import_clients)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", default="schema/schema.graphql")
    export.set_defaults(run=_export_schema)
    return parser


def settings_error(exc: ValidationError) -> str:
    """Which variables are wrong and why, without their values (a secret may be one)."""
    problems = (
        f"TGHUB_{'_'.join(map(str, error['loc'])).upper()}: {error['msg']}"
        for error in exc.errors()
    )
    return "tghub: invalid settings: " + "; ".join(problems)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(settings_error(exc), file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        code: int = args.run(args)
    except Exception:  # a crash is logged like any error (one JSON line in json mode)
        logging.getLogger("tghub").critical("tghub %s failed", args.command, exc_info=True)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
