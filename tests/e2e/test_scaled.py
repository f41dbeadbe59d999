"""The scale-out layout: two Rasa servers on a PostgreSQL tracker store with a Redis lock store,
two gateway workers on PostgreSQL."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from bench.stack import Stack

pytestmark = pytest.mark.postgres


def test_conversations_run_on_the_scaled_layout(tmp_path: Path) -> None:
    with Stack(tmp_path, "scaled") as stack:
        assert len(stack.rasa_urls) == 2
        users = [f"scaled-{uuid.uuid4().hex[:6]}" for _ in range(6)]
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
            for user in users:
                menu = client.post("/api/chat", json={"user_id": user, "text": "xin chao"}).json()
                buttons = [b for r in menu["replies"] for b in r["buttons"]]
                assert buttons, "the menu comes from Rasa through the PostgreSQL tracker"
                lesson = client.post("/api/chat", json={
                    "user_id": user, "text": "cho em hoc bai ve an toan co the"}).json()
                assert lesson["replies"] and lesson["replies"][0]["buttons"]
            risky = client.post("/api/chat", json={"user_id": users[0],
                                                   "text": "bo em danh em"}).json()
            assert risky["handoff"]["active"]
        assert stack.pg_database is not None
        senders = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", stack.pg_database, "-Atc",
             "SELECT count(DISTINCT sender_id) FROM events"],
            capture_output=True, text=True, check=True).stdout.strip()
        assert int(senders) == len(users)  # every conversation's tracker is in PostgreSQL
        stored = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", stack.pg_database, "-Atc",
             "SELECT count(*) FROM messages WHERE direction = 'in'"],
            capture_output=True, text=True, check=True).stdout.strip()
        assert int(stored) == 2 * len(users) + 1  # the gateway's data is in PostgreSQL too
