"""Counsellor console at /console: login, live queue, cases, chat, notes, referrals, audit."""

from __future__ import annotations

from sanic import Sanic


def register(app: Sanic) -> None:
    """Register the console's pages, JSON API, event stream and security headers."""
    from bot.console import api, events, reviews_api, views

    app.blueprint(views.bp)
    app.blueprint(api.bp)
    app.blueprint(reviews_api.bp)
    app.blueprint(events.bp)
    app.register_middleware(views.add_security_headers, "response")
