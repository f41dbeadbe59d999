"""The outbox through platform faults: 429 retry_after, 500s, in order, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import time

from bot.storage.models import OutboxItem
from common.content import message as text
from tests.channels.conftest import channel_settings, until
from tests.channels.support import counsellor_replies, open_case_ids
from tests.channels.test_telegram_transport import count, post
from tests.fakes.telegram import FakeTelegram, Updates

CHILD = 6001


async def test_429_and_500_then_everything_delivered_in_order(serve, telegram) -> None:
    running = await serve(**channel_settings(telegram))
    app = running.app
    await until(lambda: app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert await post(running.url, Updates(user_id=CHILD).text("bố em đánh em đau lắm")) == 200
    await until(lambda: telegram.texts(CHILD), what="the escalation reply")
    [case_id] = await open_case_ids(app.ctx.db)

    telegram.fail("sendMessage", 429, times=1, retry_after=2)
    telegram.fail("sendMessage", 500, times=3)
    bodies = [f"Cô ở đây với em. Tin số {i}." for i in range(1, 7)]
    await counsellor_replies(app.ctx.db, case_id, bodies)

    expected = [text("counsellor_joined"), *bodies]
    delivered = await until(
        lambda: telegram.texts(CHILD)[1:] if len(telegram.texts(CHILD)) == 8 else None,
        within=40, what="all counsellor messages",
    )
    assert delivered == expected  # in order, none twice
    calls = telegram.calls_of("sendMessage")
    limited = next(i for i, c in enumerate(calls) if c.params.get("_ok") is None)
    assert calls[limited + 1].at - calls[limited].at >= 1.9  # retry_after honoured
    from sqlalchemy import select

    for _ in range(50):  # the last item is marked sent just after the platform answered
        async with app.ctx.db.session() as session:
            items = (await session.scalars(select(OutboxItem).order_by(OutboxItem.id))).all()
        if {i.status for i in items} == {"sent"}:
            break
        await asyncio.sleep(0.1)
    assert {i.status for i in items} == {"sent"}
    assert max(i.attempts for i in items) >= 4


async def test_per_chat_rate_about_one_a_second(serve, telegram: FakeTelegram) -> None:
    running = await serve(**channel_settings(telegram))
    app = running.app
    await until(lambda: app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert await post(running.url, Updates(user_id=CHILD + 1).text("bố em đánh em")) == 200
    await until(lambda: telegram.texts(CHILD + 1), what="the escalation reply")
    [case_id] = await open_case_ids(app.ctx.db)
    started = time.monotonic()
    await counsellor_replies(app.ctx.db, case_id, [f"m{i}" for i in range(6)])
    await until(lambda: len(telegram.texts(CHILD + 1)) == 8, within=30, what="delivery")
    # a burst of 3, then one a second: the 7 messages need at least ~4 seconds
    assert time.monotonic() - started >= 3.5
    assert await count(app, OutboxItem) == 8


async def test_tokens_never_in_logs_or_stored_errors(serve, telegram, caplog) -> None:
    import logging

    from sqlalchemy import select

    caplog.set_level(logging.DEBUG)
    running = await serve(**channel_settings(telegram))
    app = running.app
    await until(lambda: app.ctx.channels["telegram"].ready.is_set(), what="ready")
    telegram.stop()  # the platform is unreachable: connection refused on every call
    assert await post(running.url, Updates(user_id=CHILD + 2).text("xin chào")) == 200

    async def failed() -> str | None:
        async with app.ctx.db.session() as session:
            return await session.scalar(
                select(OutboxItem.last_error).where(OutboxItem.last_error.is_not(None))
            )

    error = None
    for _ in range(100):
        error = await failed()
        if error:
            break
        await asyncio.sleep(0.1)
    assert error, "the failed send was recorded"
    assert telegram.token not in error
    assert telegram.token not in caplog.text
    assert str(CHILD + 2) not in caplog.text  # no chat id in clear either
