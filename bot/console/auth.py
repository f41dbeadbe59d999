"""Console accounts: argon2id passwords (hashed in a small bounded pool), sessions, login
throttling (bot.console.throttle), CSRF tokens and roles."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import math
import os
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import throttle
from bot.privacy import Privacy
from bot.storage.audit import audit
from bot.storage.db import Database
from bot.storage.models import ConsoleSession, Counsellor, as_utc, utcnow
from bot.web.errors import error

COOKIE = "kidsafe_console"
SESSION_TTL = timedelta(hours=8)
MIN_PASSWORD = 10
ROLES = ("counsellor", "supervisor", "admin")
SUPERVISORS = frozenset({"supervisor", "admin"})
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LOGIN_FAILED = (
    "Đăng nhập không thành công. Kiểm tra tên đăng nhập và mật khẩu; "
    "sau nhiều lần sai, mỗi lần thử tiếp phải chờ lâu hơn."
)
LOGIN_THROTTLED = "Có nhiều lần đăng nhập sai. Hãy thử lại sau {seconds} giây."
LOGIN_BUSY = "Máy chủ đang bận. Hãy thử lại sau giây lát."
T = TypeVar("T")

# argon2id at RFC 9106's low-memory cost (3 passes over 64 MiB) on one lane: a hash keeps one
# core busy (not four threads), so the one-worker pool bounds a login flood to one core.
# Older hashes (4 lanes) still verify and are re-hashed at their next login.
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1)


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


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against its hash (None: a dummy hash, same cost), never raising."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password)
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


HASH_NICENESS = 10  # a hashing thread gets about a tenth of a busy core, the chat the rest


def _yield_to_the_chat() -> None:
    """Lower this hashing thread's CPU priority (Linux: niceness is per thread), so a login
    flood takes CPU the children's chat and Rasa do not need, and little of what they do."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


class HashPool:
    """Password hashing off the event loop, in `workers` threads with room for `queue` more
    attempts waiting: beyond that an attempt is refused at once (429), so a login flood costs
    the children's chat at most `workers` busy threads."""

    def __init__(self, workers: int = 1, queue: int = 4,
                 verify: Callable[[str | None, str], bool] = verify_password) -> None:
        self.capacity = workers + queue
        self.busy = 0
        self.peak = 0
        self.refused = 0
        self._verify = verify
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2",
                                            initializer=_yield_to_the_chat)
        self._addresses: set[str] = set()

    def reserve(self, address: str) -> bool:
        """Take a place for one attempt (one at a time per address); False when full."""
        if self.busy >= self.capacity or address in self._addresses:
            self.refused += 1
            return False
        self.busy += 1
        self.peak = max(self.peak, self.busy)
        self._addresses.add(address)
        return True

    def release(self, address: str) -> None:
        """Give the place back."""
        self.busy -= 1
        self._addresses.discard(address)

    async def run(self, func: Callable[..., T], *args: object) -> T:
        """Run a hashing function in the pool."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password in the pool."""
        return await self.run(self._verify, password_hash, password)

    def close(self) -> None:
        """Stop the threads (pending attempts are cancelled)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


def hash_pool(app: Sanic) -> HashPool:
    """The app's pool, made on first use from LOGIN_WORKERS and LOGIN_QUEUE."""
    pool: HashPool | None = getattr(app.ctx, "login_pool", None)
    if pool is None:
        settings = app.ctx.settings
        pool = HashPool(settings.login_workers, settings.login_queue)
        app.ctx.login_pool = pool
    return pool


@dataclass(frozen=True)
class LoginOutcome:
    """A login's result: a session, a refusal, or a wait (`retry_after` seconds, 429)."""

    identity: Identity | None = None
    token: str = field(default="", repr=False)
    retry_after: int = 0
    busy: bool = False  # refused because the hashing pool was full


@dataclass(frozen=True)
class LoginGate:
    """What a login needs besides the credentials."""

    db: Database
    pool: HashPool
    privacy: Privacy
    policy: throttle.Policy = throttle.DEFAULT_POLICY


async def login(gate: LoginGate, address: str, username: str, password: str,
                now: datetime | None = None) -> LoginOutcome:
    """Check a password (throttled per address and account, hashed in the bounded pool) and
    open a session. Never locks an account: a wait is answered at once with its length."""
    key = gate.privacy.address_key(address)
    if not gate.pool.reserve(key):
        return LoginOutcome(retry_after=1, busy=True)
    try:
        now = now or utcnow()
        async with gate.db.session() as session:
            counsellor = await session.scalar(
                select(Counsellor).where(Counsellor.username == normalize_username(username)))
            if counsellor is not None and not counsellor.active:
                counsellor = None  # a disabled account is treated as an unknown one
            attempt = throttle.Attempt(key, counsellor.id if counsellor else None)
            wait = await throttle.wait_required(session, attempt, now, gate.policy)
        if wait > throttle.NO_WAIT:
            return LoginOutcome(retry_after=max(1, math.ceil(wait.total_seconds())))
        good = await gate.pool.verify(counsellor.password_hash if counsellor else None, password)
        async with gate.db.session() as session:
            if not good or counsellor is None:
                await throttle.record_failure(session, attempt, now, gate.policy)
                return LoginOutcome()
            return await _open_session(session, gate.pool, attempt, password, now)
    finally:
        gate.pool.release(key)


async def _open_session(session: AsyncSession, pool: HashPool, attempt: throttle.Attempt,
                        password: str, now: datetime) -> LoginOutcome:
    """The password was right: a new session, the pair's failures forgotten, audited."""
    counsellor = await session.get(Counsellor, attempt.account_id)
    assert counsellor is not None
    failures = await throttle.record_success(session, attempt)
    if _hasher.check_needs_rehash(counsellor.password_hash):
        counsellor.password_hash = await pool.run(hash_password, password)
    counsellor.last_login_at = now
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
    audit(session, "login", counsellor_id=counsellor.id, recent_failures=failures)
    return LoginOutcome(_identity(counsellor, csrf, token_hash(token)), token)


def request_address(request: Request) -> str:
    """The client's address (X-Forwarded-For believed only from TRUSTED_PROXIES)."""
    return throttle.client_address(request.ip, request.headers.getall("x-forwarded-for", []),
                                   request.app.ctx.settings.trusted_proxies)


async def login_response(request: Request, username: str, password: str) -> HTTPResponse:
    """POST /console/api/login after its body is checked: 200 with the cookie, 401, or 429
    with Retry-After (too many failures from here or on this account, or the pool is full)."""
    app = request.app
    gate = LoginGate(app.ctx.db, hash_pool(app), app.ctx.privacy)
    outcome = await login(gate, request_address(request), username, password)
    if outcome.retry_after:
        message = (LOGIN_BUSY if outcome.busy
                   else LOGIN_THROTTLED.format(seconds=outcome.retry_after))
        response = error(429, "login_throttled", message)
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if outcome.identity is None:
        return error(401, "login_failed", LOGIN_FAILED)
    response = json({"user": outcome.identity.as_dict()})
    set_session_cookie(response, outcome.token, request, app.ctx.settings.cookie_secure)
    return response


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
