"""Channels: each enabled adapter's webhook, start/stop hooks, and the outbox worker."""

from __future__ import annotations

import asyncio
import logging

from sanic import Sanic

from bot.channels.base import ChannelAdapter, Sender
from bot.settings import Settings

log = logging.getLogger("kidsafe.channels")


def enabled_adapters(settings: Settings) -> list[ChannelAdapter]:
    """The channels whose credentials are set; adding a channel is adding a module here."""
    adapters: list[ChannelAdapter] = []
    if settings.telegram_bot_token:
        from bot.channels.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(settings))
    if settings.zalo_app_id and settings.zalo_oa_secret_key:
        from bot.channels.zalo_oa import ZaloOAAdapter

        adapters.append(ZaloOAAdapter(settings))
    if settings.zalo_bot_token:
        from bot.channels.zalo_bot import ZaloBotAdapter

        adapters.append(ZaloBotAdapter(settings))
    return adapters


def register(app: Sanic) -> None:
    """Register the webhooks of the enabled channels and run the outbox worker."""
    # Bot API URLs contain the bot token: httpx logs them at INFO, python-telegram-bot at DEBUG.
    for name, level in (("httpx", logging.WARNING), ("telegram", logging.INFO)):
        logger = logging.getLogger(name)
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    settings: Settings = app.ctx.settings
    adapters = enabled_adapters(settings)
    for adapter in adapters:
        app.blueprint(adapter.blueprint())
    app.ctx.channels = {adapter.name: adapter for adapter in adapters}
    app.ctx.outbox_wake = lambda: None

    @app.after_server_start
    async def start_channels(app: Sanic) -> None:
        from bot.outbox import OutboxWorker

        senders: dict[str, Sender] = {}
        for adapter in adapters:
            await adapter.start(app)
            senders[adapter.name] = adapter.sender()
        worker = OutboxWorker(
            app.ctx.db, app.ctx.privacy, senders, poll_seconds=settings.outbox_poll_seconds
        )
        app.ctx.outbox = worker
        app.ctx.outbox_wake = worker.wake
        app.ctx.tasks.append(asyncio.create_task(worker.run()))
        if adapters:
            log.info("channels enabled: %s", ", ".join(a.name for a in adapters))

    @app.before_server_stop
    async def stop_channels(app: Sanic) -> None:
        for adapter in adapters:
            try:
                await adapter.stop(app)
            except Exception as exc:  # stopping one channel must not block the others
                log.warning("stopping %s: %s", adapter.name, type(exc).__name__)
