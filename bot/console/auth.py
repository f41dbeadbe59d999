"""Console accounts: argon2id passwords, sessions, lock-out, CSRF tokens and roles."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sanic import Request
from sanic.response import HTTPResponse
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.audit import audit
from bot.storage.models import ConsoleSession, Counsellor, as_utc, utcnow

COOKIE = "kidsafe_console"
SESSION_TTL = timedelta(hours=8)
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
ROLES = ("counsellor", "supervisor", "admin")
SUPERVISORS = frozenset({"supervisor", "admin"})
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LOGIN_FAILED = (
    "Đăng nhập không thành công. Kiểm tra tên đăng nhập và mật khẩu; "
    "sau 5 lần sai liên tiếp, tài khoản bị khóa 15 phút."
)

_hasher = PasswordHasher()  # argon2id with the RFC 9106 low-memory parameters


@dataclass(frozen=True)
class Identity:
    """The counsellor behind a valid console session."""

    counsellor_id: int
    username: str
    display_name: str
    role: str
    csrf_token: str
    token_hash: str

    @property
    def is_supervisor(self) -> bool:
        """Supervisors and admins see every case."""
        return self.role in SUPERVISORS

    def as_dict(self) -> dict[str, object]:
        """JSON form for the console page (no secrets but the session's CSRF token)."""
        return {
            "id": self.counsellor_id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "csrf_token": self.csrf_token,
        }


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash, never raising on a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def password_problem(password: str, username: str = "") -> str | None:
    """Why a new password is too weak, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự."
    if len(set(password)) < 4:
        return "Mật khẩu quá đơn giản (quá ít ký tự khác nhau)."
    if username and username.lower() in password.lower():
        return "Mật khẩu không được chứa tên đăng nhập."
    return None


def normalize_username(username: str) -> str:
    """Usernames are compared trimmed and in lower case."""
    return username.strip().lower()


def token_hash(token: str) -> str:
    """SHA-256 of a session token: the only form stored in the database."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def login(
    session: AsyncSession, username: str, password: str, now: datetime | None = None
) -> tuple[Identity, str] | None:
    """Check the password (with lock-out) and open a session: (identity, cookie token)."""
    now = now or utcnow()
    counsellor = await session.scalar(
        select(Counsellor).where(Counsellor.username == normalize_username(username))
    )
    if counsellor is None or not counsellor.active:
        await asyncio.to_thread(verify_password, _dummy_hash(), password)  # same timing
        audit(session, "login_failed", known=False)
        return None
    locked = counsellor.locked_until is not None and as_utc(counsellor.locked_until) > now
    good = await asyncio.to_thread(verify_password, counsellor.password_hash, password)
    if locked:
        audit(session, "login_refused_locked", counsellor_id=counsellor.id)
        return None
    if not good:
        counsellor.failed_logins = (counsellor.failed_logins or 0) + 1
        if counsellor.failed_logins >= MAX_FAILURES:
            counsellor.failed_logins, counsellor.locked_until = 0, now + LOCKOUT
            audit(session, "account_locked", counsellor_id=counsellor.id,
                  minutes=int(LOCKOUT.total_seconds() // 60))
        else:
            audit(session, "login_failed", counsellor_id=counsellor.id, known=True)
        return None
    counsellor.failed_logins, counsellor.locked_until = 0, None
    if _hasher.check_needs_rehash(counsellor.password_hash):
        counsellor.password_hash = hash_password(password)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    session.add(
        ConsoleSession(
            token_hash=token_hash(token),
            counsellor_id=counsellor.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_TTL,
        )
    )
    audit(session, "login", counsellor_id=counsellor.id)
    return _identity(counsellor, csrf, token_hash(token)), token


def _identity(counsellor: Counsellor, csrf: str, hashed: str) -> Identity:
    return Identity(
        counsellor_id=counsellor.id,
        username=counsellor.username,
        display_name=counsellor.display_name,
        role=counsellor.role,
        csrf_token=csrf,
        token_hash=hashed,
    )


async def identify(session: AsyncSession, token: str | None) -> Identity | None:
    """The identity of a session cookie, or None when missing, unknown or expired."""
    if not token or len(token) > 200:
        return None
    hashed = token_hash(token)
    row = await session.get(ConsoleSession, hashed)
    if row is None or as_utc(row.expires_at) <= utcnow():
        return None
    counsellor = await session.get(Counsellor, row.counsellor_id)
    if counsellor is None or not counsellor.active:
        return None
    return _identity(counsellor, row.csrf_token, hashed)


async def logout(session: AsyncSession, identity: Identity) -> None:
    """End the session: its row is deleted, so the cookie is worthless."""
    await session.execute(
        delete(ConsoleSession).where(ConsoleSession.token_hash == identity.token_hash)
    )
    audit(session, "logout", counsellor_id=identity.counsellor_id)


def csrf_ok(request: Request, identity: Identity) -> bool:
    """The request carries the session's CSRF token (header, form field or JSON field)."""
    sent = request.headers.get("x-csrf-token")
    if not sent:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = request.form.get("csrf_token") if request.form else None
        elif content_type == "application/json":
            try:
                body = request.json
            except Exception:
                body = None
            sent = body.get("csrf_token") if isinstance(body, dict) else None
    if not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode("utf-8"), identity.csrf_token.encode("utf-8"))


def cookie_is_secure(request: Request, forced: bool) -> bool:
    """Secure cookies over HTTPS, and always unless COOKIE_SECURE=0 says otherwise."""
    return forced or request.scheme == "https"


def set_session_cookie(
    response: HTTPResponse, token: str, request: Request, forced_secure: bool
) -> None:
    """The session cookie: opaque, HttpOnly, SameSite=Strict, limited to /console."""
    response.add_cookie(
        COOKIE,
        token,
        path="/console",
        max_age=int(SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=cookie_is_secure(request, forced_secure),
    )


def clear_session_cookie(response: HTTPResponse, request: Request, forced_secure: bool) -> None:
    """Expire the session cookie in the browser."""
    response.add_cookie(
        COOKIE, "", path="/console", max_age=0, httponly=True, samesite="Strict",
        secure=cookie_is_secure(request, forced_secure),
    )
