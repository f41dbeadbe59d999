"""`python -m bot.cli create-user`: strong passwords only, argon2id, no default account."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parents[2]


def create_user(tmp_path: Path, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    """Run the documented command with the password on stdin."""
    env = {**os.environ, "DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
           "PSEUDONYM_SECRET": "cli-test-secret"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "create-user", *args, "--password-stdin"],
        input=password + "\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def accounts(tmp_path: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(tmp_path / "cli.db") as db:
        return db.execute(
            "SELECT username, display_name, role, password_hash FROM counsellors").fetchall()


def test_create_user_stores_an_argon2id_hash_and_refuses_duplicates(tmp_path: Path) -> None:
    done = create_user(tmp_path, "--username", "An", "--role", "supervisor",
                       "--display-name", "Chị An", password="mot-mat-khau-dai-99")
    assert done.returncode == 0, done.stderr
    [(username, display, role, hashed)] = accounts(tmp_path)
    assert (username, display, role) == ("an", "Chị An", "supervisor")
    assert hashed.startswith("$argon2id$") and "mot-mat-khau" not in hashed
    assert PasswordHasher().verify(hashed, "mot-mat-khau-dai-99")
    again = create_user(tmp_path, "--username", "an", "--role", "counsellor",
                        password="mat-khau-khac-123")
    assert again.returncode == 1 and "đã tồn tại" in again.stderr
    assert len(accounts(tmp_path)) == 1


def test_weak_password_and_bad_role_are_refused(tmp_path: Path) -> None:
    weak = create_user(tmp_path, "--username", "binh", "--role", "counsellor", password="123456")
    assert weak.returncode == 2 and "10" in weak.stderr
    role = create_user(tmp_path, "--username", "binh", "--role", "root",
                       password="mot-mat-khau-dai-99")
    assert role.returncode == 2
    assert not (tmp_path / "cli.db").exists() or accounts(tmp_path) == []


def test_no_account_ships_with_a_fresh_database(tmp_path: Path) -> None:
    from bot.storage.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert accounts(tmp_path) == []


def cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m bot.cli` on the test's database."""
    env = {**os.environ, "DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
           "PSEUDONYM_SECRET": "cli-test-secret"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def audited(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "cli.db") as db:
        return db.execute("SELECT action, detail FROM audit_log ORDER BY id").fetchall()


def test_disable_enable_unlock_and_reset_password_are_audited(tmp_path: Path) -> None:
    assert create_user(tmp_path, "--username", "lan", "--role", "counsellor",
                       password="mot-mat-khau-dai-99").returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        (account,) = db.execute("SELECT id FROM counsellors").fetchone()
        db.execute("INSERT INTO console_sessions (token_hash, counsellor_id, csrf_token, "
                   "created_at, expires_at) VALUES ('t', ?, 'c', '2026-01-01', '2999-01-01')",
                   (account,))
        db.execute("INSERT INTO login_throttle (scope, key, failures, blocked_until, "
                   "window_start, window_failures, updated_at) VALUES "
                   "('account', ?, 9, NULL, '2026-01-01', 9, '2999-01-01'), "
                   "('pair', ?, 9, '2999-01-01', '2026-01-01', 0, '2999-01-01'), "
                   "('address', 'abc', 9, '2999-01-01', '2026-01-01', 0, '2999-01-01')",
                   (str(account), f"{account}:abc"))
    disabled = cli(tmp_path, "disable-user", "--username", "LAN")
    assert disabled.returncode == 0, disabled.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("SELECT active FROM counsellors").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM console_sessions").fetchone() == (0,)
    assert cli(tmp_path, "enable-user", "--username", "lan").returncode == 0
    unlocked = cli(tmp_path, "unlock-user", "--username", "lan")
    assert unlocked.returncode == 0, unlocked.stderr
    with sqlite3.connect(tmp_path / "cli.db") as db:
        assert db.execute("SELECT active FROM counsellors").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM login_throttle").fetchone() == (0,)
    weak = cli(tmp_path, "reset-password", "--username", "lan", "--password-stdin",
               stdin="short\n")
    assert weak.returncode == 2
    reset = cli(tmp_path, "reset-password", "--username", "lan", "--password-stdin",
                stdin="mat-khau-moi-hoan-toan-7\n")
    assert reset.returncode == 0, reset.stderr
    [(hashed,)] = [(row[3],) for row in accounts(tmp_path)]
    assert PasswordHasher().verify(hashed, "mat-khau-moi-hoan-toan-7")
    actions = [action for action, _ in audited(tmp_path)]
    assert actions[-4:] == ["account_disabled", "account_enabled", "account_unlocked",
                            "password_reset"]
    assert all("mat-khau" not in detail for _, detail in audited(tmp_path))
    listed = cli(tmp_path, "list-users")
    assert listed.returncode == 0 and "lan" in listed.stdout and "active" in listed.stdout
    assert "$argon2" not in listed.stdout
    missing = cli(tmp_path, "disable-user", "--username", "nobody")
    assert missing.returncode == 1 and "nobody" in missing.stderr
