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
