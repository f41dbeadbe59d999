"""Telegram without Rasa: webhook authentication, de-duplication, non-text, wipe."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.storage.models import InboundReceipt, Message, OutboxItem
from common.content import message as text
from tests.channels.conftest import TG_SECRET, channel_settings, until
from tests.fakes.telegram import FakeTelegram, Updates


async def post(url: str, update: dict[str, Any], secret: str | None = TG_SECRET) -> int:
    """Post an update to the gateway's webhook as Telegram does."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(url + "/webhooks/telegram", json=update, headers=headers)
    return response.status_code


async def count(app: Any, model: Any) -> int:
    """Rows in a table."""
    async with app.ctx.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_webhook_set_at_start_with_secret(serve, telegram: FakeTelegram) -> None:
    running = await serve(**channel_settings(telegram))
    await until(lambda: telegram.webhook, what="setWebhook")
    assert telegram.webhook["url"] == "https://bot.example.org/webhooks/telegram"
    assert telegram.webhook["secret_token"] == TG_SECRET
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert [c.method for c in telegram.calls][:2] == ["getMe", "setWebhook"]


async def test_forged_or_missing_secret_is_rejected_and_nothing_stored(serve, telegram) -> None:
    running = await serve(**channel_settings(telegram))
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    updates = Updates()
    assert await post(running.url, updates.text("bố em đánh em"), secret="wrong") == 403
    assert await post(running.url, updates.text("xin chào"), secret=None) == 403
    assert await post(running.url, updates.text("x"), secret=TG_SECRET[:-1]) == 403
    for model in (Message, InboundReceipt, OutboxItem):
        assert await count(running.app, model) == 0
    assert telegram.sent() == []


async def test_duplicate_update_answered_once(serve, telegram: FakeTelegram) -> None:
    running = await serve(**channel_settings(telegram))
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    update = Updates(user_id=5001).text("chào bạn")
    for _ in range(3):
        assert await post(running.url, update) == 200
    await until(lambda: telegram.texts(5001), what="a reply")
    await running.app.ctx.outbox.claim_and_start()  # nothing more is queued
    assert telegram.texts(5001) == [text("rasa_down")]  # Rasa is down in this test: one apology
    assert await count(running.app, InboundReceipt) == 1
    assert any(c.params.get("action") == "typing" for c in telegram.calls_of("sendChatAction"))


async def test_sticker_gets_i_read_text_with_hotline(serve, telegram: FakeTelegram) -> None:
    running = await serve(**channel_settings(telegram))
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert await post(running.url, Updates(user_id=5002).sticker()) == 200
    texts = await until(lambda: telegram.texts(5002), what="a reply")
    assert texts == [text("non_text")]
    assert "111" in texts[0]


async def test_wipe_deletes_the_chat_and_keeps_the_record(serve, telegram) -> None:
    running = await serve(**channel_settings(telegram))
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    child = Updates(user_id=5003)
    first = child.text("bố em đánh em đau lắm")  # escalates by the safety screen, no Rasa
    assert await post(running.url, first) == 200
    await until(lambda: telegram.texts(5003), what="the escalation reply")
    assert await post(running.url, child.text("/xoa")) == 200
    await until(lambda: text("wipe_done") in telegram.texts(5003), what="wipe note")
    deleted = {m for chat, m in telegram.deleted if chat == 5003}
    replies = telegram.sent(5003)
    assert first["message"]["message_id"] in deleted  # the child's own message
    assert replies[0]["_message_id"] in deleted  # the bot's escalation reply
    assert replies[-1]["text"] == text("wipe_done")  # the note comes after the deletion
    assert replies[-1]["_message_id"] not in deleted
    async with running.app.ctx.db.session() as session:
        kept = await session.scalar(
            select(func.count()).select_from(Message).where(Message.case_id.is_not(None))
        )
    assert kept and kept >= 2  # the case record stays for the counsellor


async def test_long_reply_is_split(serve, telegram: FakeTelegram) -> None:
    from bot.channels.base import split_text

    parts = split_text(("Một câu rất dài. " * 600).strip(), 4096)
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == ("Một câu rất dài. " * 600).split()


async def test_full_escalation_ends_with_counsellor_reply(serve, telegram) -> None:
    from tests.channels.support import counsellor_replies, open_case_ids

    running = await serve(**channel_settings(telegram))
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    child = Updates(user_id=5004)
    assert await post(running.url, child.text("chú hàng xóm hay sờ vào chỗ kín của em")) == 200
    [reply] = await until(lambda: telegram.sent(5004), what="the escalation reply")
    assert "111" in reply["text"] and "không phải lỗi" in reply["text"].lower()
    assert [b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"]
            for b in row] == ["/xoa"]  # a way to wipe the chat right away
    [case_id] = await open_case_ids(running.app.ctx.db)
    await counsellor_replies(running.app.ctx.db, case_id, ["Chào em, cô là cô Lan đây."])
    await until(lambda: len(telegram.texts(5004)) == 3, what="the counsellor's reply")
    assert telegram.texts(5004)[1:] == [text("counsellor_joined"), "Chào em, cô là cô Lan đây."]
    assert await post(running.url, child.text("em sợ lắm")) == 200  # goes to the counsellor
    await asyncio.sleep(1.0)
    assert len(telegram.texts(5004)) == 3
    async with running.app.ctx.db.session() as session:
        last = await session.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert last is not None and last.text == "em sợ lắm" and last.case_id == case_id


async def test_long_polling_when_no_webhook_url(serve, telegram: FakeTelegram) -> None:
    overrides = channel_settings(telegram)
    overrides["telegram_webhook_url"] = ""
    telegram.updates.append(Updates(user_id=5005).sticker())
    running = await serve(**overrides)
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert await until(lambda: telegram.texts(5005), what="a reply") == [text("non_text")]
    assert telegram.calls_of("deleteWebhook") and telegram.calls_of("getUpdates")
    assert not telegram.calls_of("setWebhook")


async def test_out_of_order_and_repeated_updates_each_answered_once(serve, telegram) -> None:
    running = await serve(**channel_settings(telegram))
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    child = Updates(user_id=5006)
    first, second, third = child.text("một"), child.text("hai"), child.sticker()
    for update in (third, first, second, first, third, second):  # late, early, repeated
        assert await post(running.url, update) == 200
    await until(lambda: len(telegram.texts(5006)) >= 3, what="three replies")
    await asyncio.sleep(1.0)
    assert sorted(telegram.texts(5006)) == sorted([text("non_text"), *[text("rasa_down")] * 2])
    assert await count(running.app, InboundReceipt) == 3
    async with running.app.ctx.db.session() as session:
        stored = (await session.scalars(
            select(Message.platform_id).where(Message.direction == "in"))).all()
    assert len(stored) == len(set(stored)) == 3
