"""Telegram end to end with the real Rasa: greeting, a lesson with buttons, an FAQ answer."""

from __future__ import annotations

from typing import Any

import pytest

from common.content import bot_text, load_lessons
from tests.channels.conftest import channel_settings, settled, until
from tests.channels.test_telegram_transport import post
from tests.fakes.telegram import FakeTelegram, Updates


def buttons(params: dict[str, Any]) -> list[dict[str, str]]:
    """The inline keyboard buttons of a sent message."""
    markup = params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def settle(running: Any, telegram: FakeTelegram, chat: int, before: int) -> list[dict]:
    """Wait until the gateway has answered and sent everything; return the chat's new messages."""
    await settled(running.app, within=60)
    return telegram.sent(chat)[before:]


@pytest.fixture
async def gateway(serve, telegram, rasa_stack):  # type: ignore[no-untyped-def]
    """A gateway with Telegram on the fake and the real Rasa."""
    running = await serve(
        rasa_urls=(rasa_stack.rasa_url,), rasa_timeout=15.0, **channel_settings(telegram)
    )
    await until(lambda: running.app.ctx.channels["telegram"].ready.is_set(), what="ready")
    return running


async def test_greeting_lesson_with_buttons_and_faq(gateway, telegram: FakeTelegram) -> None:
    chat = Updates(user_id=8001)
    assert await post(gateway.url, chat.text("/start")) == 200
    [welcome] = await settle(gateway, telegram, 8001, 0)
    assert welcome["text"] == bot_text("welcome")
    payloads = [b["callback_data"] for b in buttons(welcome)]
    assert "/start_lesson" in payloads and "/xoa" in payloads

    step_texts = {step.text.strip()[:40] for lesson in load_lessons() for step in lesson.steps}
    sent = len(telegram.sent(8001))
    assert await post(gateway.url, chat.callback("/start_lesson")) == 200
    replies = await settle(gateway, telegram, 8001, sent)
    answered = telegram.calls_of("answerCallbackQuery")
    assert answered and answered[-1].params["callback_query_id"].startswith("cq")
    lesson_seen = False
    for _ in range(4):  # follow the first button: age band, topic, next step...
        offered = [b for r in replies for b in buttons(r) if b["callback_data"] != "/xoa"]
        if any(s in r["text"] for r in replies for s in step_texts):
            lesson_seen = True
            break
        assert offered, f"a lesson reply offers buttons: {[r['text'][:60] for r in replies]}"
        sent = len(telegram.sent(8001))
        assert await post(gateway.url, chat.callback(offered[0]["callback_data"])) == 200
        replies = await settle(gateway, telegram, 8001, sent)
    assert lesson_seen, "a lesson step was delivered"

    sent = len(telegram.sent(8001))
    question = "Dấu hiệu nào cho thấy trẻ có thể đang bị xâm hại?"
    assert await post(gateway.url, chat.text(question)) == 200
    answer = await settle(gateway, telegram, 8001, sent)
    assert any("Không có một dấu hiệu duy nhất" in r["text"] for r in answer)
