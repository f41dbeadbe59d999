"""Least data, really (issue 11, item 4): keyed platform ids, text encrypted at rest, owner-only
files, and erasure that leaves no copy in SQLite's WAL or free pages."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import select

from bot.chat_types import Inbound
from bot.erasure import CONFIRM
from bot.privacy import Privacy
from bot.retention import purge
from bot.settings import ROOT, get_settings
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.models import InboundReceipt, Message, Note, utcnow
from common.content import bot_text
from common.datakeys import KEY_FILE, TextCipher, file_keys, is_token
from tests.channels.conftest import until
from tests.console.conftest import make_account, make_case

SECRET_TEXT = "em giau kho-bau-bi-mat-4711 duoi gam giuong"
MARKER = b"kho-bau-bi-mat-4711"
ZALO_USER = "5512345678901234567"


def database_file(running) -> Path:  # type: ignore[no-untyped-def]
    """The served app's SQLite file."""
    return Path(running.app.ctx.settings.database_url.split("///", 1)[1])


def raw_bytes(database: Path) -> bytes:
    """Everything SQLite keeps on disk for the database: the file and its WAL."""
    return b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())


def raw_rows(database: Path, query: str) -> list[tuple]:  # type: ignore[type-arg]
    """Rows read straight from the file, around the application."""
    with sqlite3.connect(database) as connection:
        return connection.execute(query).fetchall()


async def test_message_and_note_text_is_encrypted_in_the_database_file(serve, chats) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.answer(client, "kid-enc", SECRET_TEXT)
    case_id = await make_case(running.app, "high", text="co-giao-biet-chuyen-4711")
    counsellor = await make_account(running.app, "lan")
    async with running.app.ctx.db.session() as session:
        session.add(Note(case_id=case_id, counsellor_id=counsellor, text="ghi-chu-rieng-4711"))
    database = database_file(running)
    stored = raw_rows(database, "SELECT text FROM messages WHERE text IS NOT NULL")
    assert stored and all(is_token(text) for (text,) in stored)
    keys = TextCipher(running.app.ctx.settings.data_keys)
    assert SECRET_TEXT in {keys.decrypt(text) for (text,) in stored}
    [(note,)] = raw_rows(database, "SELECT text FROM notes")
    assert keys.decrypt(note) == "ghi-chu-rieng-4711"
    found = raw_bytes(database)
    assert MARKER not in found and b"co-giao-biet-chuyen" not in found
    assert b"ghi-chu-rieng" not in found
    async with running.app.ctx.db.session() as session:  # the application reads it as text
        assert SECRET_TEXT in (await session.scalars(select(Message.text))).all()


async def test_platform_ids_are_keyed_bounded_and_still_deduplicate(serve) -> None:
    running = await serve()
    pipeline = running.app.ctx.pipeline
    zalo = Inbound("zalo", ZALO_USER, "xin chao", f"user_send_text:{ZALO_USER}:1733100000000")
    assert (await pipeline.handle(zalo)).kind != "duplicate"
    assert (await pipeline.handle(zalo)).kind == "duplicate"
    await pipeline.handle(Inbound("web", "kid-long", "chao", "x" * 5000))  # no 500, bounded
    await pipeline.handle(Inbound("telegram", "7001", "chao", "912345:42", address="7001"))
    async with running.app.ctx.db.session() as session:
        receipts = (await session.scalars(select(InboundReceipt.platform_id))).all()
        stored = (await session.scalars(select(Message.platform_id)
                                        .where(Message.platform_id.is_not(None)))).all()
    assert len(receipts) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", r) for r in receipts)
    assert all(len(p) <= 80 and ZALO_USER not in p and "912345" not in p for p in stored)
    assert [p for p in stored if p.endswith(":42")]  # Telegram keeps the number /xoa deletes
    assert ZALO_USER.encode() not in raw_bytes(database_file(running))


async def test_erasure_leaves_no_copy_in_the_wal_or_free_pages(serve, chats) -> None:
    running = await serve()
    database = database_file(running)
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.answer(client, "kid-x", SECRET_TEXT, message_id=1)
        [(token,)] = raw_rows(database, "SELECT text FROM messages WHERE direction = 'in'")
        assert token.encode() in raw_bytes(database)  # the search finds what is there
        await chats.answer(client, "kid-x", bot_text("web_erase_request"), message_id=2)
        await chats.answer(client, "kid-x", CONFIRM, message_id=3)
    await until(lambda: token.encode() not in raw_bytes(database), within=15,
                what="the erased message's ciphertext gone from the file and the WAL")
    kept = raw_rows(database, "SELECT platform_id FROM messages WHERE platform_id IS NOT NULL")
    assert len(kept) == 1  # only the confirmation's, still guarding against a retry
    assert len(raw_rows(database, "SELECT id FROM inbound_receipts")) == 1


async def test_retention_forgets_platform_ids_of_old_messages(serve) -> None:
    running = await serve()
    pipeline = running.app.ctx.pipeline
    await pipeline.handle(Inbound("zalo", ZALO_USER, "xin chao", "msg-1"))
    async with running.app.ctx.db.session() as session:
        report = await purge(session, days=30, now=utcnow() + timedelta(days=31))
    assert report.platform_ids_cleared == 1 and report.receipts_deleted == 1
    assert raw_rows(database_file(running),
                    "SELECT count(*) FROM messages WHERE platform_id IS NOT NULL") == [(0,)]


async def test_data_dir_and_its_database_are_owner_only(serve, tmp_path: Path) -> None:
    running = await serve()
    database = database_file(running)
    modes = {path: stat.S_IMODE(os.stat(path).st_mode)
             for path in (tmp_path, database, Path(f"{database}-wal"))}
    assert modes == {tmp_path: 0o700, database: 0o600, Path(f"{database}-wal"): 0o600}


def test_a_new_data_dir_gets_owner_only_keys_and_database(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATA_KEYS", "DATA_KEY", "DATABASE_URL", "RASA_TRACKER_DB_URL",
                        "PSEUDONYM_SECRET")}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "migrate"],
                          env={**env, "DATA_DIR": str(fresh)}, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    for name in ("kidsafe.db", KEY_FILE, "pseudonym.key"):
        assert stat.S_IMODE((fresh / name).stat().st_mode) == 0o600, name


def test_no_query_filters_on_encrypted_text() -> None:
    """Encrypted columns can only be NULL or not in SQL: nothing may compare or search them."""
    from bot.storage.models import Base
    from bot.storage.rotation import encrypted_columns

    classes = {m.class_.__table__.name: m.class_.__name__ for m in Base.registry.mappers}
    columns = "(" + "|".join(rf"{classes[t]}\.{c}" for t, c in encrypted_columns()) + ")"
    assert {"Message.text", "Note.text", "OutboxItem.payload"} <= {
        f"{classes[t]}.{c}" for t, c in encrypted_columns()}
    searching = re.compile(columns + r"\s*(==|!=|\.(like|ilike|contains|startswith|endswith|"
                           r"in_|regexp_match|match)\b)")
    offenders = [f"{path}:{n}" for path in sorted((ROOT / "bot").rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if searching.search(line)]
    assert offenders == []


def _legacy_rows(database: Path) -> None:
    """Rows as the gateway stored them before 0005: clear text, platform ids in clear."""
    with sqlite3.connect(database) as db:
        db.executescript(f"""
            INSERT INTO users (id, channel, pseudonym, created_at, last_seen_at)
              VALUES (1, 'zalo', 'p1', '2026-01-01', '2026-01-01'),
                     (2, 'telegram', 'p2', '2026-01-01', '2026-01-01');
            INSERT INTO conversations (id, user_id, channel, state, offered_payloads,
              offered_titles, activity, speaker, created_at, updated_at)
              VALUES (1, 1, 'zalo', 'waiting', '[]', '[]', 'chat', 'child', '2026-01-01',
                      '2026-01-01'),
                     (2, 2, 'telegram', 'bot', '[]', '[]', 'chat', 'child', '2026-01-01',
                      '2026-01-01');
            INSERT INTO counsellors (id, username, display_name, password_hash, role, active,
              failed_logins, created_at) VALUES (1, 'lan', 'Lan', 'x', 'counsellor', 1, 0,
              '2026-01-01');
            INSERT INTO cases (id, conversation_id, channel, risk, risk_rank, source, status,
              opened_at, reasons) VALUES ('C1', 1, 'zalo', 'high', 2, 'screen', 'open',
              '2026-01-01', '[]');
            INSERT INTO messages (id, conversation_id, case_id, direction, author, text,
              buttons, kind, platform_id, created_at) VALUES
              (1, 1, 'C1', 'in', 'user', '{SECRET_TEXT}', '[]', 'text',
               'user_send_text:{ZALO_USER}:1733100000000', '2026-01-01'),
              (2, 2, NULL, 'in', 'user', 'chao', '[]', 'text', '912345:42', '2026-01-01'),
              (3, 2, NULL, 'out', 'bot', 'Chao em', '[]', 'text', '77,78', '2026-01-01');
            INSERT INTO inbound_receipts (channel, platform_id, received_at) VALUES
              ('zalo', 'user_send_text:{ZALO_USER}:1733100000000', '2026-01-01'),
              ('telegram', '912345:42', '2026-01-01');
            INSERT INTO notes (case_id, counsellor_id, text, created_at)
              VALUES ('C1', 1, 'ghi-chu-rieng-4711', '2026-01-01');
            INSERT INTO outbox (message_id, user_id, channel, payload, status, attempts,
              next_attempt_at, created_at) VALUES (3, 2, 'telegram',
              '{{"text": "Chao em", "buttons": []}}', 'sent', 1, '2026-01-01', '2026-01-01');
        """)


def test_migration_0005_encrypts_existing_rows_and_keys_their_platform_ids(
        tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{database}"
    command.upgrade(alembic_config(url), "0004")
    _legacy_rows(database)
    upgrade(url)
    settings = get_settings()
    keys, privacy = TextCipher(settings.data_keys), Privacy(settings.pseudonym_secret)
    texts = dict(raw_rows(database, "SELECT id, text FROM messages"))
    assert all(is_token(t) for t in texts.values())
    assert keys.decrypt(texts[1]) == SECRET_TEXT
    [(note,)] = raw_rows(database, "SELECT text FROM notes")
    assert keys.decrypt(note) == "ghi-chu-rieng-4711"
    [(payload,)] = raw_rows(database, "SELECT payload FROM outbox")
    assert json.loads(keys.decrypt(payload))["text"] == "Chao em"
    ids = dict(raw_rows(database, "SELECT id, platform_id FROM messages"))
    zalo_id = f"user_send_text:{ZALO_USER}:1733100000000"
    assert ids == {1: privacy.reference("zalo", zalo_id),
                   2: privacy.reference("telegram", "912345:42") + ":42", 3: "77,78"}
    assert sorted(r for (r,) in raw_rows(database, "SELECT platform_id FROM inbound_receipts")) \
        == sorted([privacy.reference("zalo", zalo_id), privacy.reference("telegram", "912345:42")])
    assert MARKER not in database.read_bytes() and ZALO_USER.encode() not in database.read_bytes()


def test_rotate_keys_re_encrypts_everything_and_retires_the_old_key(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PSEUDONYM_SECRET": "rotation-test",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'kidsafe.db'}",
           "RASA_TRACKER_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'tracker.db'}"}
    for name in ("DATA_KEYS", "DATA_KEY"):
        env.pop(name, None)
    with sqlite3.connect(tmp_path / "tracker.db") as tracker:  # Rasa history from before 0005
        tracker.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                        "type_name TEXT, timestamp REAL, intent_name TEXT, action_name TEXT, "
                        "data TEXT)")
        tracker.execute("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES "
                        "('p1', 'user', 1.0, ?)", (json.dumps({"text": SECRET_TEXT}),))

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "encrypted 1 Rasa events" in run("migrate")
    old = TextCipher(file_keys(tmp_path))
    [(event,)] = raw_rows(tmp_path / "tracker.db", "SELECT data FROM events")
    assert json.loads(old.decrypt(event))["text"] == SECRET_TEXT
    with sqlite3.connect(tmp_path / "kidsafe.db") as db:
        db.execute("INSERT INTO users (id, channel, pseudonym, created_at, last_seen_at) "
                   "VALUES (1, 'web', 'p1', '2026-01-01', '2026-01-01')")
        db.execute("INSERT INTO conversations (id, user_id, channel, state, offered_payloads, "
                   "offered_titles, activity, speaker, created_at, updated_at) VALUES (1, 1, "
                   "'web', 'bot', '[]', '[]', 'chat', 'child', '2026-01-01', '2026-01-01')")
        db.execute("INSERT INTO messages (conversation_id, direction, author, text, buttons, "
                   "kind, created_at) VALUES (1, 'in', 'user', ?, '[]', 'text', '2026-01-01')",
                   (old.encrypt(SECRET_TEXT),))
    printed = run("rotate-keys", "--new-key", "--retire-old")
    assert "messages.text 1" in printed and "rasa events 1" in printed
    new = TextCipher(file_keys(tmp_path))
    assert new.keys != old.keys and len(new.keys) == 1
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    [(text,)] = raw_rows(tmp_path / "kidsafe.db", "SELECT text FROM messages")
    [(event,)] = raw_rows(tmp_path / "tracker.db", "SELECT data FROM events")
    assert new.decrypt(text) == SECRET_TEXT and SECRET_TEXT in new.decrypt(event)
    for token in (text, event):
        try:
            old.decrypt(token)
        except ValueError:
            continue
        raise AssertionError("a value is still readable with the retired key")


def test_rasa_log_filter_blanks_message_text() -> None:
    import logging

    from rasa_addons.log_redaction import RedactMessageText, redact

    line = json.dumps({"text": SECRET_TEXT, "event": "rest.message.received.timeout",
                       "level": "error"})
    assert SECRET_TEXT not in redact(line) and "rest.message.received.timeout" in redact(line)
    console = f"rest.message.received.timeout text='{SECRET_TEXT}' sender=abc"
    assert SECRET_TEXT not in redact(console) and "sender=abc" in redact(console)
    debug = logging.LogRecord("rasa.core.processor", logging.DEBUG, "p", 1,
                              f"Received user message '{SECRET_TEXT}'", None, None)
    assert RedactMessageText().filter(debug) is False
    record = logging.LogRecord("rasa.core.channels.rest", logging.ERROR, "p", 1, line, None, None)
    assert RedactMessageText().filter(record) and SECRET_TEXT not in record.getMessage()


def psql(database_url: str, query: str) -> list[str]:
    """Values read straight from PostgreSQL, around the application."""
    name = database_url.rsplit("/", 1)[1]
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-Atc", query],
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


@pytest.mark.postgres
async def test_on_postgresql_text_is_encrypted_ids_keyed_and_erased(serve, chats, pg_url) -> None:
    running = await serve(database_url=pg_url)
    keys = TextCipher(running.app.ctx.settings.data_keys)
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.answer(client, "kid-pg", SECRET_TEXT, message_id=7)
        [token] = psql(pg_url, "SELECT text FROM messages WHERE direction = 'in'")
        assert is_token(token) and keys.decrypt(token) == SECRET_TEXT
        assert not [t for t in psql(pg_url, "SELECT text FROM messages") if "kho-bau" in t]
        # a 5,000-character id fits: it is stored keyed (no 500 from varchar(80))
        await running.app.ctx.pipeline.handle(Inbound("web", "kid-long", "chao", "x" * 5000))
        receipts = psql(pg_url, "SELECT platform_id FROM inbound_receipts")
        assert len(receipts) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", r) for r in receipts)
        await chats.answer(client, "kid-pg", bot_text("web_erase_request"), message_id=8)
        await chats.answer(client, "kid-pg", CONFIRM, message_id=9)
    pseudonym = running.app.ctx.privacy.pseudonym("web", "kid-pg")
    of_kid = ("FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN users u "
              f"ON u.id = c.user_id WHERE u.pseudonym = '{pseudonym}' AND m.direction = 'in'")
    assert psql(pg_url, f"SELECT count(*) {of_kid} AND m.text IS NOT NULL") == ["0"]
    assert psql(pg_url, f"SELECT count(*) {of_kid} AND m.platform_id IS NOT NULL") == ["1"]
    assert len(psql(pg_url, "SELECT id FROM inbound_receipts")) == 2  # kid-long's, the last
