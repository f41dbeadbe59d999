"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.devstack import RasaStack
from devtools.gateway_process import free_port
from devtools.localservices import create_database, drop_database, ensure_postgres

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "var" / "models" / "current.tar.gz"


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaStack]:
    """The real Rasa server and action server on free loopback ports, once per test session.

    Uses the trained model var/models/current.tar.gz (`make train`), a throw-away tracker
    database, and Rasa's HTTP API (for /model/parse in the NLU tests; loopback only).
    """
    assert MODEL.exists(), f"no trained model at {MODEL}: run `make train` first"
    work = tmp_path_factory.mktemp("rasa_stack")
    stack = RasaStack(
        ROOT,
        rasa_port=free_port(),
        actions_port=free_port(),
        model_path=MODEL,
        extra_env={"RASA_TRACKER_DB": str(work / "tracker.db")},
        log_dir=work,
        enable_api=True,
    )
    stack.start()
    try:
        stack.wait_ready(timeout=240)
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server (started if it is down), dropped after."""
    if not ensure_postgres():
        pytest.fail("PostgreSQL could not be started on 127.0.0.1:5432")
    name = create_database()
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    drop_database(name)
