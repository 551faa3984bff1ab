"""What ``tghub serve`` prints once it listens: where to go, and how to get going."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from domain.adapters.simulated.sandbox import DEMO_WORLD
from domain.adapters.simulated.validation import WorldInvalid
from domain.adapters.simulated.worldfile import read_world_file
from tghub.logs import LOG_FILE

if TYPE_CHECKING:
    from domain.settings import Settings

WORLD_GUIDE = "docs/world.md"
WIDTH = 96


def browser_host(host: str) -> str:
    """The address a browser on this machine reaches a server listening on ``host`` at."""
    local = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}  # noqa: S104 - a name, not a bind
    if host in local:
        return local[host]
    return f"[{host}]" if ":" in host else host


def _shown(path: Path) -> str:
    # absolute(), not resolve(): a venv's python is a symlink to the system's.
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def own_command() -> str:
    """How to run this very tghub from the user's shell: plain ``tghub`` only when PATH finds
    this program (``make install`` puts it in ``.venv/bin``, which is on no PATH by itself)."""
    program = Path(sys.argv[0])
    if program.name != "tghub":  # python -m tghub
        return f"{_shown(Path(sys.executable))} -m tghub"
    found = shutil.which("tghub")
    if found is not None and Path(found).resolve() == program.resolve():
        return "tghub"
    return _shown(program)


def world_summary(path: Path) -> str:
    """The world file's bots, channels and accounts (with their login codes), in one line."""
    name = "the demo world" if path == DEMO_WORLD else str(path)
    try:
        world = read_world_file(path)
    except WorldInvalid:  # tghub serve refused to start with it already
        return name
    listed = {
        "bots": ", ".join(f"@{bot.username}" for bot in world.bots),
        "channels": ", ".join(f"@{c.username}" for c in world.channels if c.username),
        "accounts": ", ".join(f"{a.phone} (login code {a.code})" for a in world.accounts),
    }
    parts = [f"{len(world.users)} users"]
    for people in world.populations:
        phones = _phone_range(people.phone_from, people.count)
        parts.append(f"{people.count:,} people" + (f" ({phones})" if phones else ""))
    parts += [f"{label} {value}" for label, value in listed.items() if value]
    return f"{name}: " + "; ".join(parts)


def _phone_range(first: str | None, count: int) -> str:
    if first is None:
        return ""
    last = f"+{int(first.removeprefix('+')) + count - 1}"
    return f"phones {first} to {last}"


def _telegram(settings: Settings) -> str:
    if settings.telegram_mode != "simulated":
        return "real Telegram (TGHUB_TELEGRAM_MODE=telethon)"
    if settings.telegram_world is None:
        return "simulated, with the world Redis holds (none given)"
    return f"simulated ({WORLD_GUIDE}), {world_summary(settings.telegram_world)}"


def _admin(settings: Settings) -> list[str]:
    if settings.admin_username:
        return [f"{settings.admin_username!r} (TGHUB_ADMIN_USERNAME / TGHUB_ADMIN_PASSWORD)"]
    # The command alone on its line, never wrapped: it is there to be copied.
    return [
        f"{own_command()} createadmin --username admin",
        "(in another terminal, in this folder; it asks for a password)",
    ]


def _field(label: str, *texts: str, wrap: bool = True) -> list[str]:
    first, rest = f"  {label:<10} ", " " * 13
    if not wrap:
        return [(first if i == 0 else rest) + text for i, text in enumerate(texts)]
    return textwrap.wrap(" ".join(texts), width=WIDTH, initial_indent=first, subsequent_indent=rest)


def banner(settings: Settings, *, host: str, port: int, embedded: bool) -> str:
    """``settings`` as the API runs them (the demo world filled in)."""
    lines = ["", "tghub is ready."]
    base = f"http://{browser_host(host)}:{port}"
    lines += _field("GraphiQL", f"{base}/graphql")
    lines += _field("REST docs", f"{base}/docs (ReDoc: {base}/redoc/)")
    lines += _field("an admin", *_admin(settings), wrap=False)
    lines += _field("Telegram", _telegram(settings))
    if embedded:
        log = settings.data_dir / LOG_FILE
        lines += _field("logs", f"{log} (the embedded PostgreSQL and Redis, the worker's jobs)")
    lines += ["  Ctrl-C stops it.", ""]
    return "\n".join(lines)
