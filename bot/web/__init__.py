"""Web chat: the page at /, its JSON API (sessions, messages, live stream), security headers."""

from __future__ import annotations

from sanic import Sanic


def register(app: Sanic) -> None:
    """Register the chat's blueprints and the app-wide security headers."""
    from bot.web import chat_api, headers, live, logs, pages

    for blueprint in (chat_api.bp, live.bp, pages.bp):
        app.blueprint(blueprint)
    app.register_middleware(headers.add_security_headers, "response")
    logs.install()
