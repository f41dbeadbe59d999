"""Console pages (login and the console itself), static files and security headers."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Request
from sanic.response import BaseHTTPResponse, HTTPResponse, file, redirect

from bot.console.guard import current_identity, database
from bot.storage.audit import audit

STATIC = Path(__file__).resolve().parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

bp = Blueprint("console_pages", url_prefix="/console")
bp.static("/static", STATIC, name="console_static")


def add_security_headers(request: Request, response: BaseHTTPResponse) -> None:
    """Strict CSP (no inline script) and no caching of case data, on every console response."""
    if not request.path.startswith("/console"):
        return
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Content-Security-Policy"] = CSP  # stricter than the site's default
    if not request.path.startswith("/console/static/"):
        response.headers["Cache-Control"] = "no-store"


async def _page(name: str) -> HTTPResponse:
    return await file(STATIC / name, mime_type="text/html; charset=utf-8")


@bp.route("", methods=["GET", "HEAD"])
async def console_page(request: Request) -> HTTPResponse:
    """The console (queue, case, chat); the login page when not logged in."""
    return await _audited_page(request, "console.html", "console_viewed")


@bp.route("/reports", methods=["GET", "HEAD"])
async def reports_page(request: Request) -> HTTPResponse:
    """The office's figures with charts, printable (supervisors and admins)."""
    return await _audited_page(request, "reports.html", "reports_page_viewed", supervisors=True)


async def _audited_page(request: Request, page: str, action: str,
                        supervisors: bool = False) -> HTTPResponse:
    """A logged-in page, its viewing audited; else the login page (or the console)."""
    identity = await current_identity(request)
    if identity is None:
        return redirect("/console/login")
    if supervisors and not identity.is_supervisor:
        return redirect("/console")
    async with database(request).session() as session:
        audit(session, action, counsellor_id=identity.counsellor_id)
    return await _page(page)


@bp.route("/login", methods=["GET", "HEAD"])
async def login_page(request: Request) -> HTTPResponse:
    """The login form."""
    return await _page("login.html")
