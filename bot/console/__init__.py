"""Counsellor console at /console: live queue, cases and casework, supervision, reports."""

from __future__ import annotations

from sanic import Sanic


def register(app: Sanic) -> None:
    """Register the console's pages, JSON API, event stream and security headers."""
    from bot.console import (
        api,
        cases_api,
        events,
        queue_api,
        reports_api,
        reviews_api,
        supervisor_api,
        views,
    )
    from bot.handoff.canned import validate_canned

    validate_canned()  # bad canned responses fail loudly at start-up, like the rest of content
    for blueprint in (views.bp, api.bp, queue_api.bp, cases_api.bp, reviews_api.bp,
                      supervisor_api.bp, reports_api.bp, events.bp):
        app.blueprint(blueprint)
    # after the site-wide headers (bot.web.headers): the console's CSP is the stricter one
    app.register_middleware(views.add_security_headers, "response", priority=1)

    @app.after_server_start
    async def share_live_work(app: Sanic) -> None:
        from bot.console.shared import Shared

        app.ctx.console_shared = Shared(app.ctx.db, app.ctx.changes)

    @app.before_server_stop
    async def end_live_views(app: Sanic) -> None:
        app.ctx.changes.close_subscriptions()  # open streams answer their end at once
