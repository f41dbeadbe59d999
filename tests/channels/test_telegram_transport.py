"""Telegram without Rasa: webhook authentication, storing before answering, de-duplication,
photos and captions, the wipe through the pipeline, and where the wipe button is offered."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.storage.models import InboundReceipt, Message, OutboxItem
from common.content import bot_text
from tests.channels.conftest import TG_SECRET, channel_settings, settled, until, until_async
from tests.channels.support import counsellor_replies, open_case_ids
from tests.fakes.telegram import FakeTelegram, Updates

REFUSE_MESSAGES = """CREATE TRIGGER refuse_messages BEFORE INSERT ON messages
BEGIN SELECT RAISE(ABORT, 'the database refuses writes'); END"""


async def post(url: str, update: dict[str, Any], secret: str | None = TG_SECRET) -> int:
    """Post an update to the gateway's webhook as Telegram does."""
    return (await post_raw(url, json.dumps(update).encode(), secret)).status_code


async def post_raw(url: str, body: bytes, secret: str | None = TG_SECRET) -> httpx.Response:
    """Post a raw JSON body to the Telegram webhook."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with httpx.AsyncClient() as client:
        return await client.post(url + "/webhooks/telegram", content=body, headers=headers)


async def count(app: Any, model: Any) -> int:
    """Rows in a table."""
    async with app.ctx.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def ready(serve: Any, telegram: FakeTelegram) -> Any:
    """A gateway with the Telegram channel connected to the fake."""
    running = await serve(**channel_settings(telegram))
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    return running


def wipe_offered(params: dict[str, Any]) -> bool:
    """True when a sent message carries the wipe button."""
    rows = (params.get("reply_markup") or {}).get("inline_keyboard", [])
    return any(b.get("callback_data") == "/xoa" for row in rows for b in row)


async def test_webhook_set_at_start_with_secret(serve, telegram: FakeTelegram) -> None:
    running = await serve(**channel_settings(telegram))
    await until(lambda: telegram.webhook, what="setWebhook")
    assert telegram.webhook["url"] == "https://bot.example.org/webhooks/telegram"
    assert telegram.webhook["secret_token"] == TG_SECRET
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert [c.method for c in telegram.calls][:2] == ["getMe", "setWebhook"]


async def test_forged_or_missing_secret_is_rejected_and_nothing_stored(serve, telegram) -> None:
    running = await ready(serve, telegram)
    updates = Updates()
    assert await post(running.url, updates.text("bố em đánh em"), secret="wrong") == 403
    assert await post(running.url, updates.text("xin chào"), secret=None) == 403
    assert await post(running.url, updates.text("x"), secret=TG_SECRET[:-1]) == 403
    for model in (Message, InboundReceipt, OutboxItem):
        assert await count(running.app, model) == 0
    assert telegram.sent() == []


async def test_update_is_stored_before_the_webhook_answers(serve, telegram) -> None:
    running = await ready(serve, telegram)
    child = Updates(user_id=5010)
    assert await post(running.url, child.text("chào bạn")) == 200
    # no waiting: the 200 came after the message was stored
    assert await count(running.app, InboundReceipt) == 1
    assert await count(running.app, Message) >= 1


async def test_update_the_database_refused_gets_503_and_is_kept_when_sent_again(
    serve, make_settings, telegram: FakeTelegram
) -> None:
    settings = make_settings(**channel_settings(telegram))  # the gateway's database, migrated
    database = settings.database_url.split(":///", 1)[1]
    with closing(sqlite3.connect(database, timeout=120)) as connection:
        connection.execute(REFUSE_MESSAGES)  # before the gateway opens it
    running = await ready(serve, telegram)
    update = Updates(user_id=5011).text("bố em đánh em đau lắm")
    assert await post(running.url, update) == 503  # not stored: Telegram sends it again
    assert await count(running.app, InboundReceipt) == 0
    with closing(sqlite3.connect(database, timeout=120)) as connection:
        connection.execute("DROP TRIGGER refuse_messages")

    async def resent() -> bool:
        return await post(running.url, update) == 200  # Telegram's retries

    await until_async(resent, within=120, what="the update stored when sent again")
    await settled(running.app)
    [reply] = telegram.texts(5011)
    assert "111" in reply
    assert len(await open_case_ids(running.app.ctx.db)) == 1


async def test_lone_surrogate_is_refused_with_400_and_nothing_stored(serve, telegram) -> None:
    running = await ready(serve, telegram)
    body = json.dumps(Updates(user_id=5012).text("em \ud800 sợ")).encode()  # "\ud800" escaped
    response = await post_raw(running.url, body)
    assert response.status_code == 400 and "surrogate" in response.json()["error"]
    await settled(running.app)
    assert await count(running.app, Message) == 0
    assert telegram.sent() == []


async def test_duplicate_update_answered_once(serve, telegram: FakeTelegram) -> None:
    running = await ready(serve, telegram)
    update = Updates(user_id=5001).text("chào bạn")
    for _ in range(3):
        assert await post(running.url, update) == 200
    await settled(running.app)
    assert telegram.texts(5001) == [bot_text("rasa_down")]  # Rasa is down in this test: one apology
    assert await count(running.app, InboundReceipt) == 1
    assert any(c.params.get("action") == "typing" for c in telegram.calls_of("sendChatAction"))


async def test_sticker_gets_i_read_text_with_hotline(serve, telegram: FakeTelegram) -> None:
    running = await ready(serve, telegram)
    assert await post(running.url, Updates(user_id=5002).sticker()) == 200
    await settled(running.app)
    assert telegram.texts(5002) == [bot_text("non_text")]
    assert "111" in telegram.texts(5002)[0]


async def test_photo_caption_is_triaged_and_a_bare_photo_is_not_text(serve, telegram) -> None:
    running = await ready(serve, telegram)
    assert await post(running.url, Updates(user_id=5013).photo("bố em đánh em đau lắm")) == 200
    assert await post(running.url, Updates(user_id=5014).photo()) == 200
    await settled(running.app)
    [escalation] = telegram.sent(5013)
    assert "111" in escalation["text"] and wipe_offered(escalation)
    assert len(await open_case_ids(running.app.ctx.db)) == 1  # the caption opened a case
    assert telegram.texts(5014) == [bot_text("non_text")]
    async with running.app.ctx.db.session() as session:
        photos = (await session.execute(
            select(Message.kind, Message.text, Message.triage)
            .where(Message.direction == "in").order_by(Message.id))).all()
    assert [(kind, body) for kind, body, _ in photos] == [
        ("image", "bố em đánh em đau lắm"), ("image", None)]
    assert photos[0].triage["decision"] == "escalate"


async def test_wipe_goes_through_the_pipeline_and_keeps_the_record(serve, telegram) -> None:
    running = await ready(serve, telegram)
    child = Updates(user_id=5003)
    first = child.text("bố em đánh em đau lắm")  # escalates by the safety screen, no Rasa
    assert await post(running.url, first) == 200
    await settled(running.app)
    wipe = child.text("/xoa")
    assert await post(running.url, wipe) == 200
    assert await post(running.url, wipe) == 200  # delivered twice: wiped once
    await settled(running.app)
    deleted = {m for chat, m in telegram.deleted if chat == 5003}
    replies = telegram.sent(5003)
    assert first["message"]["message_id"] in deleted  # the child's own message
    assert replies[0]["_message_id"] in deleted  # the bot's escalation reply
    assert [r["text"] for r in replies[1:]] == [bot_text("wipe_done")]  # after the deletion, once
    assert replies[-1]["_message_id"] not in deleted and not wipe_offered(replies[-1])
    assert len(telegram.calls_of("deleteMessages")) == 1
    [case_id] = await open_case_ids(running.app.ctx.db)
    async with running.app.ctx.db.session() as session:
        rows = (await session.execute(
            select(Message.text, Message.case_id, Message.triage).order_by(Message.id))).all()
    assert [r.text for r in rows] == [
        "bố em đánh em đau lắm", replies[0]["text"], "/xoa", bot_text("wipe_done")]
    assert all(r.case_id == case_id for r in rows)  # the case record stays for the counsellor
    assert rows[2].triage is not None  # the wipe request was triaged like every message


async def test_wipe_button_follows_the_kind_of_reply_not_its_text(serve, telegram) -> None:
    running = await ready(serve, telegram)
    child = Updates(user_id=5015)
    assert await post(running.url, child.text("chào bạn")) == 200  # Rasa down: an apology
    await settled(running.app)
    assert await post(running.url, child.text("bố em đánh em đau lắm")) == 200
    await settled(running.app)
    assert await post(running.url, child.text("em sợ lắm")) == 200  # waiting: acknowledged
    await settled(running.app)
    [case_id] = await open_case_ids(running.app.ctx.db)
    await counsellor_replies(running.app.ctx.db, case_id, ["Nếu cần gấp, em gọi 111 nhé."])
    await settled(running.app)
    apology, escalation, ack, joined, counsellor = telegram.sent(5015)
    assert "111" in apology["text"] and not wipe_offered(apology)  # a plain answer
    assert wipe_offered(escalation) and wipe_offered(ack) and wipe_offered(joined)
    assert "111" in counsellor["text"] and not wipe_offered(counsellor)  # the counsellor's words


async def test_long_reply_is_split() -> None:
    from bot.channels.base import split_text

    parts = split_text(("Một câu rất dài. " * 600).strip(), 4096)
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert " ".join(parts).split() == ("Một câu rất dài. " * 600).split()


async def test_full_escalation_ends_with_counsellor_reply(serve, telegram) -> None:
    running = await ready(serve, telegram)
    child = Updates(user_id=5004)
    assert await post(running.url, child.text("chú hàng xóm hay sờ vào chỗ kín của em")) == 200
    await settled(running.app)
    [reply] = telegram.sent(5004)
    assert "111" in reply["text"] and "không phải lỗi" in reply["text"].lower()
    assert [b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"]
            for b in row] == ["/xoa"]  # a way to wipe the chat right away
    [case_id] = await open_case_ids(running.app.ctx.db)
    await counsellor_replies(running.app.ctx.db, case_id, ["Chào em, cô là cô Lan đây."])
    await settled(running.app)
    assert telegram.texts(5004)[1:] == [bot_text("counsellor_joined"), "Chào em, cô là cô Lan đây."]
    assert await post(running.url, child.text("em sợ lắm")) == 200  # goes to the counsellor
    await settled(running.app)
    assert len(telegram.texts(5004)) == 3  # no bot reply while the counsellor has the chat
    async with running.app.ctx.db.session() as session:
        last = await session.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert last is not None and last.text == "em sợ lắm" and last.case_id == case_id


async def test_long_polling_when_no_webhook_url(serve, telegram: FakeTelegram) -> None:
    overrides = channel_settings(telegram)
    overrides["telegram_webhook_url"] = ""
    telegram.updates.append(Updates(user_id=5005).sticker())
    running = await serve(**overrides)
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    assert await until(lambda: telegram.texts(5005), what="a reply") == [bot_text("non_text")]
    assert telegram.calls_of("deleteWebhook") and telegram.calls_of("getUpdates")
    assert not telegram.calls_of("setWebhook")


async def test_out_of_order_and_repeated_updates_each_answered_once(serve, telegram) -> None:
    running = await ready(serve, telegram)
    child = Updates(user_id=5006)
    first, second, third = child.text("một"), child.text("hai"), child.sticker()
    for update in (third, first, second, first, third, second):  # late, early, repeated
        assert await post(running.url, update) == 200
    await settled(running.app)
    expected = [bot_text("non_text"), bot_text("rasa_down"), bot_text("rasa_down")]
    assert sorted(telegram.texts(5006)) == sorted(expected)
    assert await count(running.app, InboundReceipt) == 3
    async with running.app.ctx.db.session() as session:
        stored = (await session.scalars(
            select(Message.platform_id).where(Message.direction == "in"))).all()
    assert len(stored) == len(set(stored)) == 3
