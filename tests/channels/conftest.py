"""Fixtures for channel tests: platform fakes and a gateway wired to them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from devtools.fakes.rasa import FakeRasa
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo import FakeZaloBot, FakeZaloOA
from tests.gateway.conftest import make_app, make_settings, serve  # noqa: F401 - fixtures

T = TypeVar("T")
TG_SECRET = "tg-webhook-secret-for-tests"
ZALO_APP_ID = "zalo-app-1"
ZALO_SECRET = "zalo-oa-secret"
ZALO_BOT_SECRET = "zalo-bot-secret-for-tests"


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API."""
    fake = FakeTelegram().start()
    yield fake
    fake.stop()  # idempotent: a test may have stopped it already


@pytest.fixture
def zalo() -> Iterator[FakeZaloOA]:
    """A fake Zalo OA API and OAuth server."""
    fake = FakeZaloOA(app_secret=ZALO_SECRET).start()
    yield fake
    fake.stop()


@pytest.fixture
def zalo_bot() -> Iterator[FakeZaloBot]:
    """A fake Zalo Bot Platform API."""
    fake = FakeZaloBot().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    """A scripted fake Rasa on loopback."""
    fake = FakeRasa().start()
    yield fake
    fake.stop()


def channel_settings(
    telegram: FakeTelegram | None = None,
    zalo: FakeZaloOA | None = None,
    zalo_bot: FakeZaloBot | None = None,
) -> dict[str, Any]:
    """Settings overrides that point the channels at the fakes."""
    values: dict[str, Any] = {"outbox_poll_seconds": 0.1}
    if telegram is not None:
        values.update(
            telegram_bot_token=telegram.token,
            telegram_webhook_secret=TG_SECRET,
            telegram_webhook_url="https://bot.example.org/webhooks/telegram",
            telegram_api_base_url=telegram.base_url,
        )
    if zalo is not None:
        values.update(
            zalo_app_id=ZALO_APP_ID,
            zalo_oa_secret_key=ZALO_SECRET,
            zalo_oa_access_token=zalo.access_token,
            zalo_oa_refresh_token=zalo.refresh_token,
            zalo_oa_api_base_url=zalo.url,
            zalo_oauth_base_url=zalo.url,
        )
    if zalo_bot is not None:
        values.update(
            zalo_bot_token=zalo_bot.token,
            zalo_bot_webhook_secret=ZALO_BOT_SECRET,
            zalo_bot_api_base_url=zalo_bot.base_url,
        )
    return values


async def settled(app: Any, within: float = 30.0) -> None:
    """Wait until each channel has answered what it stored and the outbox has sent everything.

    Counting after this (not after a sleep) also catches a late or duplicate message.
    """

    async def quiet() -> None:
        for adapter in app.ctx.channels.values():
            await adapter.background.idle()
        await app.ctx.outbox.idle()

    await asyncio.wait_for(quiet(), within)


async def until(check: Callable[[], Any], within: float = 20.0, what: str = "condition") -> Any:
    """Wait (without blocking the loop) until check() is truthy; return its value."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def until_async(check: Callable[[], Awaitable[T]], within: float = 20.0,
                      what: str = "condition") -> T:
    """Wait (without blocking the loop) until an async check gives a truthy value; return it."""
    deadline = time.monotonic() + within
    while not (value := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return value
