"""Console accounts from the command line (no default account ever ships):

    python -m bot.cli create-user --username lan --role counsellor
    python -m bot.cli list-users
    python -m bot.cli disable-user --username lan     # ends its sessions at once
    python -m bot.cli enable-user --username lan
    python -m bot.cli unlock-user --username lan      # forgets its failed logins and delays
    python -m bot.cli reset-password --username lan   # ends its sessions, forgets failures

Every change is written to the audit log (actor `system`, `via: cli`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import command
from bot.console import throttle
from bot.console.auth import ROLES, USERNAME, hash_password, normalize_username, password_problem
from bot.settings import get_settings
from bot.storage.audit import audit
from bot.storage.db import Database
from bot.storage.models import ConsoleSession, Counsellor

Change = Callable[[AsyncSession, Counsellor], Awaitable[str]]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True, help="login name (a-z, 0-9, . _ -)")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--display-name", default="", help="name shown in the console")
    _password_argument(parser)


def _password_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (for scripts)")


def _username_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", required=True, help="the account's login name")


def _reset_arguments(parser: argparse.ArgumentParser) -> None:
    _username_argument(parser)
    _password_argument(parser)


def _read_password(from_stdin: bool) -> str | None:
    """The new password, typed twice at a prompt or read from stdin."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu mới (ít nhất 10 ký tự): ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        print("Hai lần nhập mật khẩu không khớp.", file=sys.stderr)
        return None
    return first


def _new_password(from_stdin: bool, username: str) -> str | None:
    """A new password that passes the strength rules, or None (the reason is printed)."""
    password = _read_password(from_stdin)
    if password is None:
        return None
    problem = password_problem(password, username)
    if problem:
        print(problem, file=sys.stderr)
        return None
    return password


def _database() -> Database:
    """The configured database, migrated to the latest schema."""
    from bot.storage.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    return Database(settings.database_url)


async def _create(db: Database, username: str, display_name: str, role: str,
                  password_hash: str) -> int | None:
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
    username = normalize_username(args.username)
    if not USERNAME.match(username):
        print("Tên đăng nhập chỉ gồm a-z, 0-9, dấu . _ - (2–64 ký tự).", file=sys.stderr)
        return 2
    password = _new_password(args.password_stdin, username)
    if password is None:
        return 2
    created = asyncio.run(_create(_database(), username, args.display_name.strip() or username,
                                  args.role, hash_password(password)))
    if created is None:
        print(f"Tài khoản '{username}' đã tồn tại.", file=sys.stderr)
        return 1
    print(f"Đã tạo tài khoản '{username}' ({args.role}).")
    return 0


async def _change(username: str, change: Change) -> str | None:
    """Apply one change to an account in one transaction; None when there is no such account."""
    db = _database()
    try:
        async with db.session() as session:
            counsellor = await session.scalar(
                select(Counsellor).where(Counsellor.username == normalize_username(username)))
            if counsellor is None:
                return None
            return await change(session, counsellor)
    finally:
        await db.dispose()


def _run(username: str, change: Change) -> int:
    """Run a change and report it: 0 done, 1 no such account."""
    done = asyncio.run(_change(username, change))
    if done is None:
        print(f"Không có tài khoản '{normalize_username(username)}'.", file=sys.stderr)
        return 1
    print(done)
    return 0


async def _end_sessions(session: AsyncSession, counsellor: Counsellor) -> None:
    await session.execute(delete(ConsoleSession).where(
        ConsoleSession.counsellor_id == counsellor.id))


async def _disable(session: AsyncSession, counsellor: Counsellor) -> str:
    counsellor.active = False
    await _end_sessions(session, counsellor)
    audit(session, "account_disabled", account=counsellor.id, via="cli")
    return f"Đã khóa tài khoản '{counsellor.username}' (các phiên đăng nhập đã kết thúc)."


async def _enable(session: AsyncSession, counsellor: Counsellor) -> str:
    counsellor.active = True
    audit(session, "account_enabled", account=counsellor.id, via="cli")
    return f"Đã mở lại tài khoản '{counsellor.username}'."


async def _unlock(session: AsyncSession, counsellor: Counsellor) -> str:
    cleared = await throttle.clear_account(session, counsellor.id)
    audit(session, "account_unlocked", account=counsellor.id, via="cli", counters=cleared)
    return f"Đã xóa các lần đăng nhập sai của '{counsellor.username}'; có thể đăng nhập ngay."


@command("disable-user", "disable a console account and end its sessions", _username_argument)
def disable_user(args: argparse.Namespace) -> int:
    """Disable an account: it can no longer log in and its sessions end now."""
    return _run(args.username, _disable)


@command("enable-user", "enable a disabled console account", _username_argument)
def enable_user(args: argparse.Namespace) -> int:
    """Enable an account again."""
    return _run(args.username, _enable)


@command("unlock-user", "forget an account's failed logins (no more waiting)", _username_argument)
def unlock_user(args: argparse.Namespace) -> int:
    """Clear the login delays of an account and of the addresses it failed from."""
    return _run(args.username, _unlock)


@command("reset-password", "set a new password (prompts); ends the account's sessions",
         _reset_arguments)
def reset_password(args: argparse.Namespace) -> int:
    """Give an account a new password, end its sessions and forget its failed logins."""
    password = _new_password(args.password_stdin, normalize_username(args.username))
    if password is None:
        return 2
    hashed = hash_password(password)

    async def reset(session: AsyncSession, counsellor: Counsellor) -> str:
        counsellor.password_hash = hashed
        await _end_sessions(session, counsellor)
        await throttle.clear_account(session, counsellor.id)
        audit(session, "password_reset", account=counsellor.id, via="cli")
        return f"Đã đặt mật khẩu mới cho '{counsellor.username}'."

    return _run(args.username, reset)


async def _accounts() -> list[Counsellor]:
    db = _database()
    try:
        async with db.session() as session:
            return list((await session.scalars(
                select(Counsellor).order_by(Counsellor.username))).all())
    finally:
        await db.dispose()


@command("list-users", "list console accounts with their role, state and last login")
def list_users(_args: argparse.Namespace) -> int:
    """Print every account (no password hashes)."""
    for account in asyncio.run(_accounts()):
        last = account.last_login_at.strftime("%Y-%m-%d %H:%M") if account.last_login_at else "-"
        state = "active" if account.active else "disabled"
        print(f"{account.username:24} {account.role:11} {state:9} last login {last}")
    return 0
