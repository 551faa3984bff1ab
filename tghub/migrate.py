"""Running Alembic from code (the command line and the embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str) -> Config:
    # Imported here, not at the top: importing Alembic logs its plugins at INFO, and the
    # embedded default sends what Alembic says to its log file only once its servers start.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_head(database_url: str) -> None:
    """Blocking; from async code call it through ``asyncio.to_thread`` (env.py runs a loop)."""
    from alembic import command

    command.upgrade(alembic_config(database_url), "head")
