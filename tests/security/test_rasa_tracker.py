"""Rasa's tracker store keeps events encrypted at rest and Rasa's logs carry no message text
(issue 11, item 4): the project's store in the Rasa environment, on SQLite and PostgreSQL,
and the real Rasa server with the trained model."""

from __future__ import annotations

import json
import socket
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.rasa_tracker import RasaTrackerStore
from bot.settings import ROOT
from common.datakeys import TextCipher, is_token, load_keys
from devtools.devstack import RASA_ENV, RasaStack
from devtools.localservices import create_database, drop_database, ensure_postgres

pytestmark = pytest.mark.rasa
SECRET_TEXT = "em giau kho-bau-bi-mat-4711 duoi gam giuong"
MARKER = b"kho-bau-bi-mat-4711"
PROBE = Path(__file__).with_name("tracker_probe.py")


def probe(sender: str, text: str, **options: object) -> list[str]:
    """Save and read back one conversation through the store, in Rasa's own environment."""
    done = subprocess.run(
        [str(ROOT / RASA_ENV / "bin" / "python"), str(PROBE), sender, text, json.dumps(options)],
        cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                       "HOME": str(Path.home()), **_data_env()},
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    texts: list[str] = json.loads(done.stdout.strip().splitlines()[-1])["texts"]
    return texts


def _data_env() -> dict[str, str]:
    """The variables that choose the data keys, as this process has them."""
    import os

    return {k: v for k, v in os.environ.items() if k in ("DATA_DIR", "DATA_KEYS", "DATA_KEY")}


def raw_bytes(database: Path) -> bytes:
    """The SQLite file and its WAL."""
    return b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())


def events(database: Path, sender: str) -> list[tuple[str, str]]:
    """(type, data) of a sender's events, read around Rasa."""
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT type_name, data FROM events WHERE sender_id = ?",
                                  (sender,)).fetchall()


async def test_the_tracker_store_encrypts_each_event_and_reads_it_back(tmp_path: Path) -> None:
    database = tmp_path / "tracker.db"
    assert probe("kid-1", SECRET_TEXT, dialect="sqlite", db=str(database)) == [SECRET_TEXT]
    stored = events(database, "kid-1")
    assert stored and all(is_token(data) for _, data in stored)
    keys = TextCipher(load_keys())
    [user] = [json.loads(keys.decrypt(d)) for t, d in stored if t == "user"]
    assert user["text"] == SECRET_TEXT
    assert MARKER not in raw_bytes(database)
    # the gateway's erasure removes the history and leaves no copy in the WAL
    tracker = RasaTrackerStore(f"sqlite+aiosqlite:///{database}")
    try:
        assert await tracker.erase("kid-1") == len(stored)
    finally:
        await tracker.close()
    assert all(data.encode() not in raw_bytes(database) for _, data in stored)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for Rasa's tracker store."""
    if not ensure_postgres():
        pytest.fail("PostgreSQL could not be started on 127.0.0.1:5432")
    name = create_database("kidsafe_tracker")
    yield name
    drop_database(name)


@pytest.mark.postgres
def test_the_tracker_store_encrypts_events_on_postgresql(pg_database: str) -> None:
    texts = probe("kid-pg", SECRET_TEXT, dialect="postgresql", host="127.0.0.1", port=5432,
                  db=pg_database, username="postgres")
    assert texts == [SECRET_TEXT]
    rows = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", pg_database, "-Atc",
         "SELECT data FROM events WHERE sender_id = 'kid-pg'"],
        capture_output=True, text=True, check=True).stdout.split()
    assert rows and all(is_token(row) for row in rows)
    assert not any("kho-bau" in row for row in rows)


def _abandon(url: str, body: dict[str, str]) -> None:
    """Send a request and hang up before the answer, as the gateway does on its time-out."""
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\n"
                           + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)


def test_real_rasa_encrypts_its_tracker_and_logs_no_text_on_a_time_out(
        rasa_stack: RasaStack) -> None:
    database = Path(rasa_stack.extra_env["RASA_TRACKER_DB"])
    answer = httpx.post(f"{rasa_stack.rasa_url}/webhooks/rest/webhook",
                        json={"sender": "kid-real", "message": SECRET_TEXT}, timeout=60)
    assert answer.status_code == 200
    stored = events(database, "kid-real")
    assert stored and all(is_token(data) for _, data in stored)
    assert MARKER not in raw_bytes(database)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert rasa_stack.log_dir is not None
    log = rasa_stack.log_dir / f"rasa-{rasa_stack.rasa_port}.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    for attempt in range(20):  # until Rasa notices one of the hang-ups while still working
        _abandon(rasa_stack.rasa_url, {"sender": f"kid-gone-{attempt}",
                                       "message": f"{SECRET_TEXT} lan {attempt}"})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and b"rest.message.received" not in log.read_bytes():
            time.sleep(0.2)
        if b"rest.message.received" in log.read_bytes():
            break
    text = log.read_bytes()
    assert b"rest.message.received" in text, "Rasa logged no time-out: the test saw nothing"
    assert MARKER not in text and b"[redacted]" in text
