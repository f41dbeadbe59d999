"""Run Alembic migrations programmatically (used by `make run`, the CLI and tests)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic import command
from alembic.config import Config

from bot.settings import ROOT


def alembic_config(database_url: str) -> Config:
    """Alembic configuration bound to one database URL."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str) -> None:
    """Bring the database schema to the latest revision (safe inside a running event loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # Alembic's env runs its own event loop
        pool.submit(command.upgrade, alembic_config(database_url), "head").result()
