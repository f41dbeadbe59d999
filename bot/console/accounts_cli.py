"""`python -m bot.cli create-user`: create a console account (no default account ever ships)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from sqlalchemy import select

from bot.cli import command
from bot.console.auth import ROLES, USERNAME, hash_password, normalize_username, password_problem
from bot.settings import get_settings
from bot.storage.audit import audit
from bot.storage.db import Database
from bot.storage.models import Counsellor


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True, help="login name (a-z, 0-9, . _ -)")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--display-name", default="", help="name shown in the console")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (for scripts)")


def _read_password(from_stdin: bool) -> str | None:
    """The new password, typed twice at a prompt or read from stdin."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu mới (ít nhất 10 ký tự): ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        print("Hai lần nhập mật khẩu không khớp.", file=sys.stderr)
        return None
    return first


async def _create(database_url: str, username: str, display_name: str, role: str,
                  password_hash: str) -> int | None:
    db = Database(database_url)
    try:
        async with db.session() as session:
            exists = await session.scalar(
                select(Counsellor.id).where(Counsellor.username == username)
            )
            if exists is not None:
                return None
            counsellor = Counsellor(username=username, display_name=display_name,
                                    password_hash=password_hash, role=role)
            session.add(counsellor)
            await session.flush()
            audit(session, "account_created", new_counsellor_id=counsellor.id, role=role)
            return counsellor.id
    finally:
        await db.dispose()


@command("create-user", "create a console account (prompts for the password)", _arguments)
def create_user(args: argparse.Namespace) -> int:
    """Create a counsellor, supervisor or admin account with a strong password."""
    from bot.storage.migrate import upgrade

    username = normalize_username(args.username)
    if not USERNAME.match(username):
        print("Tên đăng nhập chỉ gồm a-z, 0-9, dấu . _ - (2–64 ký tự).", file=sys.stderr)
        return 2
    password = _read_password(args.password_stdin)
    if password is None:
        return 2
    problem = password_problem(password, username)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    settings = get_settings()
    upgrade(settings.database_url)
    created = asyncio.run(_create(settings.database_url, username,
                                  args.display_name.strip() or username, args.role,
                                  hash_password(password)))
    if created is None:
        print(f"Tài khoản '{username}' đã tồn tại.", file=sys.stderr)
        return 1
    print(f"Đã tạo tài khoản '{username}' ({args.role}).")
    return 0
