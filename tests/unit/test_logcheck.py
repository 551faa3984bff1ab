"""The test run's secret check (tests/logcheck.py) fails a run whose logs hold a secret: a
pytest of its own runs a tiny generated test module with the plugin, with and without xdist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import canaries
from tests.logcheck import KEEP_DIR

ROOT = Path(__file__).resolve().parents[2]
JWT = ".".join(["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJsZWFrIn0", "c2lnbmF0dXJlLWxlYWs"])

# Each test body logs (or collects) one thing; the generated module holds one test.
LEAKS = {
    "a canary logged at DEBUG by tghub's code": f"""
        logging.getLogger("domain.accounts.service").debug("login with %s", {canaries.PASSWORD!r})
    """,
    "a JWT in a library's INFO line": f"""
        logging.getLogger("some.library").info("sent Authorization: {JWT}")
    """,
    "a canary in a child process's log file": f"""
        from tests.logcheck import collect_file

        log = tmp_path / "child.log"
        log.write_text("worker started\\nusing api_hash {canaries.API_HASH}\\n")
        collect_file(log)
    """,
}
CLEAN = """
    logging.getLogger("domain.accounts.service").debug("login of %s", "ivan")
    logging.getLogger("httpx").info("POST http://testserver/webhook?secret=%s", "not-logged")
"""


def run_pytest(tmp_path: Path, body: str, *options: str) -> subprocess.CompletedProcess[str]:
    module = tmp_path / "test_generated.py"
    test = textwrap.indent(textwrap.dedent(body).strip(), "    ")
    module.write_text(f"import logging\n\n\ndef test_logs(tmp_path):\n{test}\n")
    env = dict(os.environ)
    # Only the plugins the run needs (loading every installed one takes seconds); the logs
    # kept under the test's folder, not in a temporary one left behind.
    env.update(
        PYTHONPATH=str(ROOT),
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        **{KEEP_DIR: str(tmp_path / "logs")},
    )
    plugins = ["-p", "xdist.plugin", "-p", "tests.logcheck", "-p", "no:cacheprovider"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, *options, str(module)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
class TestSecretCheck:
    @pytest.mark.parametrize("leak", LEAKS.values(), ids=LEAKS.keys())
    @pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["one process", "xdist"])
    def test_a_secret_in_any_log_line_fails_the_run_naming_the_line(
        self, tmp_path: Path, leak: str, xdist: list[str]
    ) -> None:
        result = run_pytest(tmp_path, leak, *xdist)

        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "1 passed" in output
        assert "secrets in the logs" in output
        assert re.search(r"\S+:\d+: (a user's password|a JWT|the Telegram api_hash) \(", output)
        for secret in (canaries.PASSWORD, canaries.API_HASH, JWT):
            assert secret not in output

    def test_a_run_whose_logs_hold_none_passes(self, tmp_path: Path) -> None:
        result = run_pytest(tmp_path, CLEAN, "-n", "2")

        assert result.returncode == 0, result.stdout + result.stderr
        assert "secrets in the logs" not in result.stdout
