"""Request guards for console routes: session cookie, CSRF on every POST, roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Request
from sanic.response import HTTPResponse

from bot.console.auth import COOKIE, Identity, csrf_ok, identify
from bot.storage.audit import audit
from bot.storage.db import Database
from bot.web.errors import error

Handler = Callable[..., Awaitable[HTTPResponse]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_REQUIRED = "Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại."
CSRF_FAILED = "Yêu cầu không hợp lệ (thiếu mã CSRF). Hãy tải lại trang."


def database(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.ctx.db
    return db


async def current_identity(request: Request) -> Identity | None:
    """The logged-in counsellor of this request, if any."""
    async with database(request).session() as session:
        return await identify(session, request.cookies.get(COOKIE))


def who(request: Request) -> Identity:
    """The identity checked by `logged_in` for this request."""
    identity: Identity = request.ctx.identity
    return identity


def logged_in(roles: frozenset[str] | None = None) -> Callable[[Handler], Handler]:
    """Require a session; POSTs also need the CSRF token; optionally one of `roles`."""

    def wrap(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            identity = await current_identity(request)
            if identity is None:
                return error(401, "login_required", LOGIN_REQUIRED)
            if request.method not in SAFE_METHODS and not csrf_ok(request, identity):
                return error(403, "csrf_failed", CSRF_FAILED)
            if roles is not None and identity.role not in roles:
                async with database(request).session() as session:
                    audit(session, "access_denied", counsellor_id=identity.counsellor_id,
                          path=request.path)
                return error(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")
            request.ctx.identity = identity
            return await handler(request, *args, **kwargs)

        return guarded

    return wrap
