"""End-to-end fixtures: the real gateway process talking to the real Rasa."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.devstack import RasaStack
from devtools.gateway_process import GatewayProcess


@pytest.fixture
def gateway(rasa_stack: RasaStack, tmp_path: Path) -> Iterator[GatewayProcess]:
    """A fresh gateway (own SQLite database) in front of the session's Rasa."""
    process = GatewayProcess(
        tmp_path / "gateway", rasa_stack.rasa_url,
        env={"RASA_TRACKER_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'no-tracker.db'}"},
    )
    process.start()
    yield process
    process.stop()
