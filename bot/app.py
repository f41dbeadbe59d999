"""Sanic app factory: one blueprint per feature, settings loaded once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from bot import web
from bot.background import watch_bursts, watch_escalations
from bot.changefeed import ChangeFeed
from bot.health import bp as health_bp
from bot.pipeline import Pipeline
from bot.privacy import Privacy
from bot.rasa_client import RasaClient
from bot.rasa_tracker import RasaTrackerStore
from bot.recovery import answer_unanswered
from bot.retention import retention_loop
from bot.safety.learned import LearnedClassifier, LearnedUnavailable
from bot.settings import Settings, get_settings
from bot.storage.db import Database, protect_files
from bot.storage.encryption import use_keys
from bot.web.errors import error
from bot.web.logs import redact
from common.content import validate_all

log = logging.getLogger("kidsafe")


def create_app(settings: Settings | None = None, name: str = "kidsafe") -> Sanic:
    """Build the gateway: web chat, JSON API, health, console and channel webhooks."""
    settings = settings or get_settings()
    use_keys(settings.data_keys)  # message text is encrypted at rest with these
    protect_files(settings.data_dir, (settings.database_url, settings.rasa_tracker_url))
    validate_all()  # bad content fails loudly at start-up, naming the file and entry
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.KEEP_ALIVE_TIMEOUT = 30
    app.ctx.settings = settings
    app.blueprint(health_bp)
    web.register(app)  # the chat's page and API, and the security headers of every answer
    _register_optional_blueprints(app)

    @app.before_server_start
    async def open_services(app: Sanic) -> None:
        app.ctx.db = Database(settings.database_url)
        app.ctx.changes = ChangeFeed(app.ctx.db)  # one change feed per process (bot.changefeed)
        await app.ctx.changes.start()
        app.ctx.rasa = RasaClient(settings.rasa_urls, settings.rasa_timeout)
        app.ctx.privacy = Privacy(settings.pseudonym_secret)
        app.ctx.tracker = RasaTrackerStore(settings.rasa_tracker_url)
        app.ctx.learned, app.ctx.learned_problem = load_learned(settings.safety_model_dir)
        app.ctx.pipeline = Pipeline(
            app.ctx.db,
            app.ctx.rasa,
            app.ctx.privacy,
            settings.max_text_chars,
            app.ctx.tracker,
            learned=app.ctx.learned,
        )
        app.ctx.tasks = [
            asyncio.create_task(watch_escalations(app.ctx.db, settings.escalation_timeout)),
            asyncio.create_task(
                watch_bursts(app.ctx.db, settings.burst_cases, settings.burst_window)
            ),
            asyncio.create_task(
                retention_loop(app.ctx.db, app.ctx.tracker, settings.retention_days)
            ),
            asyncio.create_task(answer_unanswered(app.ctx.pipeline)),
        ]

    @app.after_server_stop
    async def close_services(app: Sanic) -> None:
        for task in app.ctx.tasks:
            task.cancel()
        await asyncio.gather(*app.ctx.tasks, return_exceptions=True)
        await app.ctx.changes.stop()
        if app.ctx.learned is not None:
            app.ctx.learned.close()
        await app.ctx.rasa.close()
        await app.ctx.tracker.close()
        await app.ctx.db.dispose()

    @app.exception(Exception)
    async def unexpected(request: Request, exc: Exception) -> HTTPResponse:
        status = getattr(exc, "status_code", 500)
        if status >= 500:
            log.exception("unhandled error on %s", redact(request.path))  # no chat id in logs
            return error(500, "internal_error", "something went wrong; please try again")
        return error(status, type(exc).__name__.lower(), str(exc) or "bad request")

    return app


def load_learned(directory: Path) -> tuple[LearnedClassifier | None, str | None]:
    """The learned safety signal, or why it cannot load (then /healthz is not 200)."""
    try:
        return LearnedClassifier.load(directory), None
    except LearnedUnavailable as exc:
        log.error("learned safety signal unavailable: %s", exc)
        return None, str(exc)


def _register_optional_blueprints(app: Sanic) -> None:
    """Console and channel blueprints, each one module."""
    from bot.features import register_features

    register_features(app)


def gateway_app() -> Sanic:
    """Zero-argument factory for the Sanic CLI (`sanic bot.app:gateway_app --factory`)."""
    return create_app()
