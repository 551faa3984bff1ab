"""The `tghub` command line, run as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
from sqlalchemy import select

from domain.accounts import service
from domain.accounts.errors import InvalidCredentials
from domain.adapters.clock import SystemClock
from domain.jobs import service as jobs
from domain.jobs.model import Job, JobStatus
from domain.settings import Settings
from tests.conftest import ADMIN_URL, TEST_SECRET, until
from tests.logcheck import collect_output
from tests.world import run_jobs

if TYPE_CHECKING:
    from domain.bootstrap import Runtime

ROOT = Path(__file__).resolve().parents[2]
# Under the tests' own timeout (pyproject.toml), so a command that hangs fails with its output.
COMMAND_DEADLINE = 90


def run_tghub(
    *args: str,
    settings: Settings | None = None,
    variables: dict[str, str] | None = None,
    module: str = "tghub",
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGHUB_")}
    env.update(variables or {})
    if settings is not None:
        env.update(
            TGHUB_DATABASE_URL=str(settings.database_url),
            TGHUB_REDIS_URL=str(settings.redis_url),
            TGHUB_SECRET_KEY=TEST_SECRET,
            TGHUB_DATA_DIR=str(settings.data_dir),
        )
    try:
        result = subprocess.run(
            [sys.executable, "-m", module, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=COMMAND_DEADLINE,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # what it printed says how far it got
        pytest.fail(f"{exc}; stdout: {exc.stdout!r}; stderr: {exc.stderr!r}")
    collect_output("-".join([module, *args[:1]]), result.stdout, result.stderr)
    return result


async def can_log_in(runtime: Runtime, username: str, password: str) -> bool:
    async with runtime.uow() as uow:
        try:
            user = await service.authenticate(
                uow, runtime.auth, username=username, password=password
            )
        except InvalidCredentials:
            return False
    return user.is_admin


class TestCreateAdmin:
    async def test_creates_an_admin_who_can_log_in(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        result = await asyncio.to_thread(
            run_tghub,
            "createadmin",
            "--username",
            "root",
            "--password",
            "s3cret-pass",
            settings=settings,
        )
        assert result.returncode == 0, result.stderr
        assert await can_log_in(runtime, "root", "s3cret-pass")

    async def test_weak_password_fails_with_a_message_and_no_user(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        result = await asyncio.to_thread(
            run_tghub, "createadmin", "--username", "root", "--password", "123", settings=settings
        )
        assert result.returncode == 1
        assert "password:" in result.stdout
        assert not await can_log_in(runtime, "root", "123")


class TestMigrate:
    async def test_migrates_an_empty_database_to_head(self) -> None:
        name = f"tghub_cli_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            env_settings = Settings(database_url=url, redis_url="redis://127.0.0.1:6379/0")
            result = await asyncio.to_thread(run_tghub, "migrate", settings=env_settings)
            assert result.returncode == 0, result.stderr
            conn = await asyncpg.connect(url)
            version = await conn.fetchval("SELECT version_num FROM alembic_version")
            await conn.close()
            assert version is not None
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()

    def test_refuses_without_a_database_url(self) -> None:
        result = run_tghub("migrate")
        assert result.returncode == 2
        assert "TGHUB_DATABASE_URL" in result.stdout


def run_job(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``tghub run-job`` on the test's database, Redis and job queue (the channel prefix)."""
    prefix = {"TGHUB_CHANNEL_PREFIX": settings.channel_prefix}
    return run_tghub("run-job", *args, settings=settings, variables=prefix)


async def stored_job(runtime: Runtime, job_id: str) -> Job | None:
    async with runtime.uow() as uow:
        return await uow.session.get(Job, job_id)


async def the_only_job(runtime: Runtime) -> Job | None:
    async with runtime.uow() as uow:
        found = (await uow.session.scalars(select(Job))).all()
    return found[0] if len(found) == 1 else None


class TestRunJob:
    async def test_queues_a_task_and_prints_its_id(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        result = await asyncio.to_thread(run_job, settings, "jobs.sweep")

        assert result.returncode == 0, result.stderr
        job = await stored_job(runtime, result.stdout.strip())
        assert job is not None
        assert (job.kind, job.status, job.owner_id) == ("jobs.sweep", JobStatus.QUEUED, None)
        await run_jobs(runtime)  # ARQ has it: a worker runs it
        done = await stored_job(runtime, job.id)
        assert done is not None
        assert done.status is JobStatus.SUCCEEDED

    async def test_waits_for_the_run_and_prints_its_status_and_result(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        waiting = asyncio.create_task(
            asyncio.to_thread(run_job, settings, "presence.sweep", "--wait")
        )

        async def ran() -> bool:
            await run_jobs(runtime)  # again until the command has queued it, and it ran
            job = await the_only_job(runtime)
            return job is not None and job.status is JobStatus.SUCCEEDED

        await until(ran)
        result = await waiting

        assert result.returncode == 0, result.stderr
        job = await the_only_job(runtime)
        assert job is not None
        assert result.stdout.splitlines() == [job.id, "SUCCEEDED", '{"offline": 0}']

    async def test_a_failed_run_exits_1_with_its_error(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        waiting = asyncio.create_task(asyncio.to_thread(run_job, settings, "jobs.sweep", "--wait"))

        async def queued() -> bool:
            return await the_only_job(runtime) is not None

        await until(queued)
        job = await the_only_job(runtime)
        assert job is not None
        async with runtime.uow() as uow:  # as a run that failed for good would leave it
            await jobs.fail_job(uow, SystemClock(), job.id, "The sweep broke.")

        result = await waiting

        assert result.returncode == 1
        assert result.stdout.splitlines() == [job.id, "FAILED"]
        assert result.stderr.strip().endswith("The sweep broke.")

    def test_an_unknown_name_exits_2_listing_the_valid_ones(self, settings: Settings) -> None:
        result = run_job(settings, "bots.nope")

        assert result.returncode == 2
        assert result.stderr == (
            "tghub run-job: No scheduled job is named 'bots.nope'. "
            "The scheduled jobs are: jobs.sweep, presence.sweep, mailing.dispatch, "
            "invites.dispatch, invites.reset_quotas, "
            "bots.check_links, "
            "bots.collect_stats.\n"
        )


def closed_port() -> int:
    """A loopback port nothing listens on (free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestHealth:
    def test_both_stores_answer(self, settings: Settings) -> None:
        result = run_tghub("health", settings=settings)

        assert result.returncode == 0, result.stderr
        assert result.stdout == "database: ok\nredis: ok\n"

    def test_the_containers_light_form_says_the_same(self, settings: Settings) -> None:
        """What docker/compose.yaml runs: the module alone, without the command line."""
        result = run_tghub(settings=settings, module="tghub.health")

        assert result.returncode == 0, result.stderr
        assert result.stdout == "database: ok\nredis: ok\n"

    def test_an_unreachable_redis_exits_1_naming_it(self, settings: Settings) -> None:
        no_redis = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"})

        result = run_tghub("health", settings=no_redis)

        assert result.returncode == 1
        assert result.stdout == "database: ok\nredis: unavailable (ConnectionError)\n"

    def test_an_unreachable_database_exits_1_without_its_password(self, settings: Settings) -> None:
        url = f"postgresql://tghub:hunter2-secret@127.0.0.1:{closed_port()}/tghub"
        no_database = settings.model_copy(update={"database_url": url})

        result = run_tghub("health", settings=no_database)

        assert result.returncode == 1
        assert result.stdout.splitlines()[0].startswith("database: unavailable (")
        assert result.stdout.splitlines()[1] == "redis: ok"
        assert "hunter2" not in result.stdout + result.stderr

    def test_refuses_without_the_stores_urls(self) -> None:
        result = run_tghub("health")

        assert result.returncode == 2
        assert "TGHUB_DATABASE_URL and TGHUB_REDIS_URL" in result.stdout


class TestExportSchema:
    def test_committed_schema_is_current(self) -> None:
        result = run_tghub("export-schema", "--output", "-")
        assert result.returncode == 0, result.stderr
        assert result.stdout == (ROOT / "schema" / "schema.graphql").read_text()


BAD_WORLD = """\
users:
  - {id: 1001, username: ivan}
channels:
  - id: -1001234567890
    admins: [{bot: ghost_bot, post_messages: true}]
"""
BAD_WORLD_MESSAGE = (
    "is not a valid world: line 5, channels[0].admins[0].bot: "
    "No bot of this world is named 'ghost_bot'."
)


class TestBadWorldFile:
    def test_serve_exits_with_the_field_and_line_before_starting(self, tmp_path: Path) -> None:
        world, data = tmp_path / "world.yaml", tmp_path / "data"
        world.write_text(BAD_WORLD)
        variables = {"TGHUB_TELEGRAM_WORLD": str(world), "TGHUB_DATA_DIR": str(data)}

        result = run_tghub("serve", variables=variables)

        assert result.returncode == 2
        assert result.stderr == f"tghub: TGHUB_TELEGRAM_WORLD: {world} {BAD_WORLD_MESSAGE}\n"
        assert not data.exists()  # no embedded server was started

    def test_the_worker_exits_with_the_field_and_line(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        world = tmp_path / "world.yaml"
        world.write_text(BAD_WORLD)

        result = run_tghub(
            "worker", settings=settings, variables={"TGHUB_TELEGRAM_WORLD": str(world)}
        )

        assert result.returncode == 2
        assert BAD_WORLD_MESSAGE in result.stderr
        assert "Traceback" not in result.stderr


class TestLogFormat:
    def test_an_unknown_format_stops_the_command_naming_the_variable(self) -> None:
        result = run_tghub("worker", variables={"TGHUB_LOG_FORMAT": "xml"})

        assert result.returncode == 2
        assert result.stderr == (
            "tghub: invalid settings: TGHUB_LOG_FORMAT: Input should be 'text' or 'json'\n"
        )

    def test_in_json_a_refusal_to_start_is_a_log_line_too(self, tmp_path: Path) -> None:
        world = tmp_path / "world.yaml"
        world.write_text(BAD_WORLD)
        variables = {"TGHUB_TELEGRAM_WORLD": str(world), "TGHUB_LOG_FORMAT": "json"}

        result = run_tghub("serve", variables={**variables, "TGHUB_DATA_DIR": str(tmp_path)})

        assert result.returncode == 2
        (line,) = result.stderr.splitlines()
        entry = json.loads(line)
        assert (entry["level"], entry["logger"]) == ("ERROR", "tghub")
        assert BAD_WORLD_MESSAGE in entry["message"]


class TestServe:
    def test_a_busy_port_is_reported_before_any_embedded_server_starts(
        self, tmp_path: Path
    ) -> None:
        data_dir = tmp_path / "data"
        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = taken.getsockname()[1]
            # A serve that missed the busy port would start its servers and never return:
            # run_tghub's timeout ends the test then.
            result = run_tghub(
                "serve", "--port", str(port), variables={"TGHUB_DATA_DIR": str(data_dir)}
            )
        assert result.returncode == 1
        assert f"port {port} on 127.0.0.1 is in use by another program" in result.stderr
        assert f"--port {port + 1}" in result.stderr
        assert not data_dir.exists()  # no server started: none has made its folder

    def test_make_run_passes_its_port_and_host(self) -> None:
        dry_run = subprocess.run(
            ["make", "--dry-run", "run", "PORT=8123", "HOST=0.0.0.0"],
            cwd=ROOT,
            env={**os.environ, "PORT": "9999"},  # a PORT of the environment is not taken
            capture_output=True,
            text=True,
            check=True,
        )
        assert "tghub serve --host 0.0.0.0 --port 8123" in dry_run.stdout
        plain = subprocess.run(
            ["make", "--dry-run", "run"],
            cwd=ROOT,
            env={**os.environ, "PORT": "9999"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert "--port" not in plain.stdout
