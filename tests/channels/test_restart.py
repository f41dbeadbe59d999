"""The gateway killed (SIGKILL) with messages in the outbox: all delivered after the restart."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.outbox import pending_items
from bot.storage.db import Database
from bot.storage.models import OutboxItem
from common.content import bot_text
from devtools.gateway_process import GatewayProcess
from tests.channels.conftest import TG_SECRET, until, until_async
from tests.channels.support import counsellor_replies, open_case_ids
from tests.fakes.telegram import FakeTelegram, Updates
from tests.gateway.conftest import UNREACHABLE_RASA

CHILD = 7001
READY = "/"  # the chat page answers without Rasa (health needs Rasa)


async def drained(db: Database) -> bool:
    """True when no outbox item is waiting to be sent (or retried)."""
    return await pending_items(db) == 0


def gateway(tmp_path: Path, telegram: FakeTelegram, port: int | None = None) -> GatewayProcess:
    """A gateway process wired to the fake Telegram, Rasa down."""
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram",
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "OUTBOX_POLL_SECONDS": "0.1",
        "RASA_TIMEOUT": "1",
    }
    return GatewayProcess(tmp_path / "gw", UNREACHABLE_RASA, env=env, port=port)


async def test_sigkill_with_pending_outbox_then_all_delivered(tmp_path: Path, telegram) -> None:
    process = gateway(tmp_path, telegram)
    await asyncio.to_thread(process.start, READY)
    db = Database(f"sqlite+aiosqlite:///{process.data_dir / 'kidsafe.db'}")
    try:
        await until(lambda: telegram.webhook, what="setWebhook")
        telegram.fail_forever("sendMessage", 500)
        update = Updates(user_id=CHILD).text("bố em đánh em đau lắm")
        async with httpx.AsyncClient() as client:
            response = await client.post(
                process.url + "/webhooks/telegram", json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
            )
        assert response.status_code == 200
        case_ids = await until_async(lambda: open_case_ids(db), what="the disclosure's case")
        bodies = [f"Tin của cô số {i}" for i in range(1, 6)]
        await counsellor_replies(db, case_ids[0], bodies)
        await until(lambda: len(telegram.calls_of("sendMessage")) >= 3, what="failed attempts")

        process.stop(signal.SIGKILL)  # a crash: nothing was delivered
        assert telegram.texts(CHILD) == []
        telegram.heal()

        restarted = gateway(tmp_path, telegram, port=process.port)
        await asyncio.to_thread(restarted.start, READY)
        try:
            # the restarted outbox has nothing left to send: everything it will ever send is sent
            await until_async(lambda: drained(db), within=60, what="delivery after restart")
            delivered = telegram.texts(CHILD)
            assert delivered[1:] == [bot_text("counsellor_joined"), *bodies]  # in order, none twice
            assert "111" in delivered[0]
            async with db.session() as session:
                statuses = (await session.scalars(select(OutboxItem.status))).all()
            assert set(statuses) == {"sent"}
        finally:
            await asyncio.to_thread(restarted.stop)
    finally:
        await asyncio.to_thread(process.stop)
        await db.dispose()
        log = (process.log_path.read_text(errors="replace") if process.log_path.exists() else "")
        assert telegram.token not in log, "the bot token leaked into the log"
