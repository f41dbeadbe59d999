"""Security headers on every answer of the gateway (pages, API, errors): set here and only here."""

from __future__ import annotations

from sanic import Request
from sanic.response import BaseHTTPResponse

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE_PREFIXES = ("/api/",)  # chat content is never kept by a browser or proxy cache


def served_over_https(request: Request, trusted_proxies: tuple[str, ...]) -> bool:
    """True when the request came over TLS, directly or through a trusted proxy that says so."""
    if request.scheme == "https":
        return True
    if request.ip not in trusted_proxies:
        return False
    forwarded = request.headers.get("x-forwarded-proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


def add_security_headers(request: Request, response: BaseHTTPResponse) -> None:
    """CSP, no framing, no referrer, nosniff; HSTS over HTTPS; no caching of chat content."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if served_over_https(request, request.app.ctx.settings.trusted_proxies):
        response.headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith(NO_STORE_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
