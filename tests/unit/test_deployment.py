"""The deployment files of docker/, checked where no Docker engine runs (CI has the client at
most): the compose file parsed strictly as the Compose specification has it (after the same
variable interpolation `docker compose` does), its services, health checks and start order;
the image's Dockerfile (pinned base, non-root user, runtime pins only, health check, and the
API command as uvicorn itself reads it); and the runtime lock against pyproject.toml. What this
cannot show, an image built and its containers started, docs/deployment.md says."""

from __future__ import annotations

import functools
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from compose_spec import PyOptions
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from uvicorn.main import main as uvicorn_command

from tghub.embedded import WS_MAX_SIZE

if TYPE_CHECKING:
    from collections.abc import Mapping

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
LOCK = ROOT / "requirements.lock"
RUNTIME_LOCK = ROOT / "requirements-runtime.lock"

SERVICES = {"postgres", "redis", "migrate", "api", "worker", "listener", "nginx"}
TGHUB_SERVICES = {"migrate", "api", "worker", "listener"}  # built from docker/Dockerfile
# What compose.yaml refuses to start without (`${NAME:?message}`), given for the parse.
REQUIRED = {
    "TGHUB_SECRET_KEY": "a-signing-key-of-at-least-thirty-two-bytes",
    "TGHUB_ADMIN_PASSWORD": "an-admin-password",
    "TGHUB_ENCRYPTION_KEYS": "an-encryption-key",
}
# ${NAME}, ${NAME-default}, ${NAME:-default}, ${NAME?error}, ${NAME:?error}
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}")
# Installed with the base image, so in neither lock.
FROM_BASE_IMAGE = {"setuptools"}
API_PORT = 8000


class MissingVariables(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def interpolated(text: str, env: Mapping[str, str]) -> str:
    """``text`` with its variables replaced as `docker compose` replaces them; a required one
    missing raises MissingVariables (naming every one)."""
    assert "$$" not in text, "escaped dollars are not handled here"
    missing: list[str] = []

    def value(match: re.Match[str]) -> str:
        name, operator, argument = match.group("name", "operator", "argument")
        given = env.get(name)
        if given is not None and (given or not (operator or "").startswith(":")):
            return given
        if operator and operator.endswith("?"):
            missing.append(name)
            return ""
        return argument if operator else ""

    result = VARIABLE.sub(value, text)
    if missing:
        raise MissingVariables(missing)
    return result


@functools.cache
def compose() -> dict[str, Any]:
    parsed = PyOptions(apply_merge=True).from_yaml(interpolated(COMPOSE.read_text(), REQUIRED))
    parsed.validate()  # every volume, network, config and secret a service uses is declared
    spec: dict[str, Any] = parsed.to_dict()
    return spec


def service(name: str) -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"][name]
    return found


@functools.cache
def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (KEYWORD, arguments)."""
    joined = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = (line.strip() for line in joined.splitlines())
    pairs = (line.partition(" ") for line in lines if line and not line.startswith("#"))
    return [(keyword.upper(), rest.strip()) for keyword, _, rest in pairs]


def instruction(keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile() if name == keyword]


def image_environment() -> dict[str, str]:
    [env] = instruction("ENV")
    return dict(pair.split("=", 1) for pair in env.split())


class TestComposeFile:
    def test_parses_as_the_compose_specification(self) -> None:
        assert set(compose()["services"]) == SERVICES

    def test_refuses_to_start_without_the_secrets(self) -> None:
        with pytest.raises(MissingVariables) as refused:
            interpolated(COMPOSE.read_text(), {})

        assert set(refused.value.names) == set(REQUIRED)

    def test_every_long_running_service_has_a_health_check(self) -> None:
        for name in SERVICES - {"migrate"}:
            check = service(name)["healthcheck"]
            assert not check.get("disable"), name
            assert check["test"][0] == "CMD", name
            assert check["interval"], name

    def test_the_one_shot_migration_turns_the_images_check_off(self) -> None:
        migrate = service("migrate")

        assert migrate["command"] == ["tghub", "migrate"]
        assert migrate["healthcheck"] == {"disable": True}
        assert migrate["restart"] == "no"

    def test_starts_in_order_of_health(self) -> None:
        def conditions(name: str) -> dict[str, str]:
            depends: dict[str, dict[str, str]] = service(name)["depends_on"]
            return {other: rule["condition"] for other, rule in depends.items()}

        assert conditions("migrate") == {"postgres": "service_healthy"}
        for name in ("api", "worker", "listener"):
            assert conditions(name) == {
                "migrate": "service_completed_successfully",
                "redis": "service_healthy",
            }
        assert conditions("nginx") == {"api": "service_healthy"}

    def test_the_processes_without_a_port_check_their_stores(self) -> None:
        assert service("worker")["command"] == ["tghub", "worker"]
        assert service("listener")["command"] == ["tghub", "listen"]
        for name in ("worker", "listener"):
            assert service(name)["healthcheck"]["test"] == ["CMD", "python", "-m", "tghub.health"]
        assert (ROOT / "tghub" / "health.py").is_file()

    def test_the_api_checks_readiness_on_the_port_it_serves(self) -> None:
        command, python, flag, code = service("api")["healthcheck"]["test"]

        assert (command, python, flag) == ("CMD", "python", "-c")
        compile(code, "healthcheck", "exec")
        assert f"'http://127.0.0.1:{API_PORT}/readyz'" in code
        assert service("api")["deploy"]["replicas"] == 2

    def test_the_tghub_services_run_the_image_of_docker_dockerfile(self) -> None:
        for name in TGHUB_SERVICES:
            build = service(name)["build"]
            assert (COMPOSE.parent / build["context"]).resolve() == ROOT, name
            assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE, name
            assert "image" not in service(name), name

    def test_the_other_images_are_pinned(self) -> None:
        assert re.fullmatch(r"postgres:\d+\.\d+-bookworm", service("postgres")["image"])
        assert re.fullmatch(r"redis:\d+\.\d+\.\d+-bookworm", service("redis")["image"])
        assert re.fullmatch(r"nginx@sha256:[0-9a-f]{64}", service("nginx")["image"])

    def test_nginx_serves_docker_nginx_conf_and_alone_is_published(self) -> None:
        [mount] = service("nginx")["volumes"]
        source, target, mode = mount.split(":")

        assert (COMPOSE.parent / source).resolve() == DOCKER / "nginx.conf"
        assert (target, mode) == ("/etc/nginx/conf.d/default.conf", "ro")
        assert service("nginx")["ports"] == ["8080:80"]
        assert [name for name in SERVICES if service(name).get("ports")] == ["nginx"]

    def test_the_api_replicas_share_the_uploaded_files(self) -> None:
        media = image_environment()["TGHUB_MEDIA_DIR"]

        for name in TGHUB_SERVICES:
            assert f"media:{media}" in service(name)["volumes"], name
        assert "media" in compose()["volumes"]


class TestDockerfile:
    def test_the_base_image_is_pinned_and_runs_the_tests_python(self) -> None:
        [base] = instruction("FROM")
        match = re.fullmatch(r"python:(\d+)\.(\d+)\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base)

        assert match is not None, base
        # The pins and the runtime lock's markers were resolved for the Python the tests run.
        assert (int(match[1]), int(match[2])) == sys.version_info[:2]

    def test_processes_run_as_a_user_that_is_not_root(self) -> None:
        user = instruction("USER")[-1]

        assert re.fullmatch(r"\d+:\d+", user), "numeric, so a runtime can check it"
        assert int(user.split(":")[0]) != 0

    def test_installs_the_runtime_pins_and_nothing_unpinned(self) -> None:
        runs = instruction("RUN")

        assert "pip install --no-deps -r requirements-runtime.lock" in runs
        assert any("pip install --no-deps --no-build-isolation -e ." in run for run in runs)
        assert any("pip check" in run for run in runs)
        assert "COPY requirements-runtime.lock ./" in [f"COPY {c}" for c in instruction("COPY")]

    def test_has_a_health_check(self) -> None:
        [check] = instruction("HEALTHCHECK")
        code = json.loads(check.split("CMD", 1)[1])[-1]

        assert f"'http://127.0.0.1:{API_PORT}/readyz'" in code

    def test_its_command_is_the_api_as_tghub_serve_runs_it_behind_nginx(self) -> None:
        [command] = instruction("CMD")
        program, *arguments = json.loads(command)
        # uvicorn's own command line reads the arguments: an unknown option fails here.
        options = uvicorn_command.make_context("uvicorn", arguments).params

        assert program == "uvicorn"
        assert (options["app"], options["factory"]) == ("resolvers.app:create_app", True)
        assert (options["host"], options["port"]) == ("0.0.0.0", API_PORT)  # noqa: S104
        assert options["ws_max_size"] == WS_MAX_SIZE  # as `tghub serve`
        assert options["proxy_headers"] is True  # the client's address, from nginx
        assert options["forwarded_allow_ips"] == "*"
        assert options["ws_per_message_deflate"] is False
        assert options["access_log"] is False

    def test_the_build_context_leaves_out_the_checkout_and_the_tests(self) -> None:
        ignored = {
            line.strip()
            for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }

        assert {".git", ".venv", "tests", ".mypy_cache", ".pytest_cache", "**/.env"} <= ignored
        needed = {"pyproject.toml", "README.md", "requirements-runtime.lock", "migrations"}
        assert not needed & ignored


def requirement_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def pinned_name(line: str) -> str:
    name, _, version = line.partition("==")
    assert version, f"not pinned exactly: {line}"
    return canonicalize_name(name)


def runtime_closure() -> set[str]:
    """pyproject.toml's dependencies and everything they need (with their extras), as
    installed here from requirements.lock: the names, canonical."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pending = [Requirement(spec) for spec in project["dependencies"]]
    extras: dict[str, set[str]] = {}
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in extras and requirement.extras <= extras[name]:
            continue
        extras[name] = extras.get(name, set()) | requirement.extras
        for spec in metadata.requires(requirement.name) or []:
            needed = Requirement(spec)
            active = {"", *extras[name]}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in active):
                pending.append(needed)
    return set(extras)


class TestRuntimeLock:
    def test_is_the_dependencies_closure_with_the_locks_pins(self) -> None:
        closure = runtime_closure()
        lock = requirement_lines(LOCK)
        expected = [line for line in lock if pinned_name(line) in closure]

        assert requirement_lines(RUNTIME_LOCK) == expected, (
            "requirements-runtime.lock should list (after its comment):\n" + "\n".join(expected)
        )
        assert closure - {pinned_name(line) for line in lock} == FROM_BASE_IMAGE

    def test_leaves_the_test_and_dev_tools_out(self) -> None:
        runtime = {pinned_name(line) for line in requirement_lines(RUNTIME_LOCK)}

        assert not {"pytest", "mypy", "ruff", "import-linter", "schemathesis"} & runtime
