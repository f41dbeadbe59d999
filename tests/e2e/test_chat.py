"""POST /api/chat through the real gateway and the real Rasa model, as a new user would."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from common.content import faq_by_key, lesson_for
from tests.support.chat import ChatSessions
from tests.support.gateway import GatewayProcess

SESSIONS = ChatSessions()


def chat(gateway: GatewayProcess, user: str, text: str) -> dict[str, Any]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        return SESSIONS.answer_sync(client, user, text)


def all_text(body: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in body["replies"])


def payloads(body: dict[str, Any]) -> dict[str, str]:
    return {b["title"]: b["payload"] for r in body["replies"] for b in r["buttons"]}


def new_user() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_greeting_offers_the_menu(gateway: GatewayProcess) -> None:
    body = chat(gateway, new_user(), "xin chao")
    assert body["handoff"]["active"] is False
    assert len(payloads(body)) >= 4  # lessons, quiz, parents' questions, hotline...


def test_lesson_on_body_safety_runs_step_by_step(gateway: GatewayProcess) -> None:
    user = new_user()
    body = chat(gateway, user, "cho em hoc bai ve an toan co the")
    lesson = lesson_for("body_safety", "6-10")
    assert lesson is not None
    if lesson.steps[0].text not in all_text(body):  # the bot asks the age band first
        age_buttons = [p for t, p in payloads(body).items() if "6" in t and "10" in t]
        assert age_buttons, f"expected the lesson or an age question, got {all_text(body)!r}"
        body = chat(gateway, user, age_buttons[0])
    assert lesson.steps[0].text in all_text(body)
    for step in lesson.steps[1:]:
        assert payloads(body), "each step offers a button to go on"
        body = chat(gateway, user, next(iter(payloads(body).values())))
        assert step.text in all_text(body)
    body = chat(gateway, user, next(iter(payloads(body).values())))
    assert lesson.check.question in all_text(body)


def test_parents_questions_get_the_faq_answers(gateway: GatewayProcess) -> None:
    cases = {
        "Dấu hiệu trẻ bị xâm hại là gì?": ("signs_of_abuse", "signs_of_sexual_abuse",
                                          "what_is_child_abuse_types"),
        "tong dai 111 la gi": ("what_is_111",),
        "Quy tắc đồ lót là gì?": ("underwear_rule",),
    }
    for question, keys in cases.items():
        body = chat(gateway, new_user(), question)
        text = all_text(body)
        answers = [faq_by_key(k) for k in keys]
        assert any(a is not None and a.answer[:80] in text for a in answers), (question, text)
        assert body["handoff"]["active"] is False


def test_rasa_handoff_signal_escalates_through_the_menu_button(gateway: GatewayProcess) -> None:
    user = new_user()
    menu = chat(gateway, user, "xin chao")
    button = next(p for t, p in payloads(menu).items() if "người thật" in t)
    body = chat(gateway, user, button)
    assert body["handoff"]["active"] is True and body["handoff"]["case_id"]
    assert "111" in all_text(body)


def test_a_typed_slash_command_is_not_obeyed(gateway: GatewayProcess) -> None:
    body = chat(gateway, new_user(), "/request_human")
    assert body["handoff"]["active"] is False  # not offered as a button: read as text
