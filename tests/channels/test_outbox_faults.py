"""The outbox through platform faults: 429 retry_after, 500s, in order, nothing lost or doubled,
and no token in logs or stored errors. (Rates and retry_after's wait: test_outbox_workers.py.)"""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.storage.models import OutboxItem
from common.content import bot_text
from tests.channels.conftest import channel_settings, settled, until, until_async
from tests.channels.support import counsellor_replies, open_case_ids
from tests.channels.test_telegram_transport import post
from tests.fakes.telegram import Updates

CHILD = 6001
WATCHED = 734102958  # a chat id long enough not to turn up by chance in a logged time or number


async def test_429_and_500_then_everything_delivered_in_order(serve, telegram) -> None:
    running = await serve(**channel_settings(telegram))
    app = running.app
    await until(lambda: app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert await post(running.url, Updates(user_id=CHILD).text("bố em đánh em đau lắm")) == 200
    await settled(app)
    [case_id] = await open_case_ids(app.ctx.db)

    telegram.fail("sendMessage", 429, times=1, retry_after=2)
    telegram.fail("sendMessage", 500, times=3)
    bodies = [f"Cô ở đây với em. Tin số {i}." for i in range(1, 7)]
    await counsellor_replies(app.ctx.db, case_id, bodies)
    await settled(app, within=60)

    assert telegram.texts(CHILD)[1:] == [bot_text("counsellor_joined"), *bodies]  # in order, once
    refused = [c for c in telegram.calls_of("sendMessage") if not c.params.get("_ok")]
    assert len(refused) == 4
    async with app.ctx.db.session() as session:
        items = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all()
    assert {i.status for i in items} == {"sent"}
    assert max(i.attempts for i in items) >= 4


async def test_tokens_never_in_logs_or_stored_errors(serve, telegram, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    running = await serve(**channel_settings(telegram))
    app = running.app
    await until(lambda: app.ctx.channels["telegram"].ready.is_set(), what="ready")
    telegram.stop()  # the platform is unreachable: connection refused on every call
    assert await post(running.url, Updates(user_id=WATCHED).text("xin chào")) == 200

    async def failed() -> str | None:
        async with app.ctx.db.session() as session:
            return await session.scalar(
                select(OutboxItem.last_error).where(OutboxItem.last_error.is_not(None))
            )

    error = await until_async(failed, what="the failed send recorded")
    assert telegram.token not in error
    assert telegram.token not in caplog.text
    assert str(WATCHED) not in caplog.text  # no chat id in clear either
