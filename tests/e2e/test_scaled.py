"""The scale-out layout: two Rasa servers on a PostgreSQL tracker store with a Redis lock store,
two gateway workers on PostgreSQL."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from bench.stack import Stack
from devtools.chat_client import ChatSessions

pytestmark = pytest.mark.postgres


def test_conversations_run_on_the_scaled_layout(tmp_path: Path) -> None:
    with Stack(tmp_path, "scaled") as stack:
        assert len(stack.rasa_urls) == 2
        users = [f"scaled-{uuid.uuid4().hex[:6]}" for _ in range(6)]
        chats = ChatSessions()
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
            for user in users:
                menu = chats.answer_sync(client, user, "xin chao")
                buttons = [b for r in menu["replies"] for b in r["buttons"]]
                assert buttons, "the menu comes from Rasa through the PostgreSQL tracker"
                lesson = chats.answer_sync(client, user, "cho em hoc bai ve an toan co the")
                assert lesson["replies"] and lesson["replies"][0]["buttons"]
            risky = chats.answer_sync(client, users[0], "bo em danh em")
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
