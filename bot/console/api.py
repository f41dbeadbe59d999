"""The console's session endpoints under /console/api: login, logout, who am I.

The rest of the API lives by feature: `queue_api` (queue, people, canned responses,
follow-ups), `cases_api` (a case and its transitions), `reviews_api` ("Cần xem"),
`supervisor_api` (queue health, alerts, accounts), `reports_api` (the office's figures).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from bot.changefeed import ChangeKind, record
from bot.console import auth
from bot.console.guard import database, logged_in, who
from bot.console.labels import all_labels
from bot.handoff.states import REFERRAL_SERVICES, CaseStep, ReferralStatus
from bot.web.errors import error, json_body
from common.taxonomy import CATEGORIES

bp = Blueprint("console_api", url_prefix="/console/api")


def _same_origin(request: Request) -> bool:
    """A browser's Origin header, when sent, must be this host (login has no CSRF token yet)."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.host


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    """Log in with username and password; sets the session cookie."""
    if not _same_origin(request):
        return error(403, "bad_origin", "Yêu cầu đến từ trang khác bị từ chối.")
    body = json_body(request)
    if isinstance(body, HTTPResponse):
        return body
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or len(password) > 1024:
        return error(400, "invalid_login", "Hãy nhập tên đăng nhập và mật khẩu.")
    return await auth.login_response(request, username, password)  # throttled, bounded pool


@bp.post("/logout")
@logged_in()
async def logout(request: Request) -> HTTPResponse:
    """End the session."""
    identity = who(request)
    async with database(request).session() as session:
        await auth.logout(session, identity)
        await record(session, ChangeKind.SESSION,  # its live views close at once
                     detail={"counsellor_id": identity.counsellor_id})
    response = json({"ok": True})
    auth.clear_session_cookie(response, request, request.app.ctx.settings.cookie_secure)
    return response


@bp.get("/me")
@logged_in()
async def me(request: Request) -> HTTPResponse:
    """The logged-in user, the CSRF token and the label tables."""
    return json({"user": who(request).as_dict(), "labels": all_labels(),
                 "categories": list(CATEGORIES), "services": list(REFERRAL_SERVICES),
                 "steps": [s.value for s in CaseStep],
                 "referral_statuses": [s.value for s in ReferralStatus]})
