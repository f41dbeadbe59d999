"""POST /api/chat through the real gateway and the real Rasa model, as a new user would."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from typing import Any

import httpx

from common.content import bot_text, faq_by_key, lesson_for
from common.content import hotline as content_hotline
from devtools.chat_client import ChatSessions
from devtools.gateway_process import GatewayProcess

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


def stored_triage(gateway: GatewayProcess) -> list[dict[str, Any]]:
    """The triage the gateway stored beside each message it received, oldest first."""
    with closing(sqlite3.connect(gateway.data_dir / "kidsafe.db")) as db:
        rows = db.execute("SELECT triage FROM messages WHERE direction = 'in' ORDER BY id")
        return [json.loads(triage) for (triage,) in rows if triage]


def test_greeting_offers_the_menu(gateway: GatewayProcess) -> None:
    body = chat(gateway, new_user(), "xin chao")
    assert body["handoff"]["active"] is False
    assert len(payloads(body)) >= 4  # lessons, quiz, parents' questions, hotline...


def test_lesson_on_body_safety_asks_the_age_then_runs_step_by_step(
    gateway: GatewayProcess,
) -> None:
    user = new_user()
    body = chat(gateway, user, "cho em hoc bai ve an toan co the")
    assert all_text(body) == bot_text("lesson_age")  # a new child: the age band first
    assert list(payloads(body)) == ["6–10 tuổi", "11–15 tuổi"]
    body = chat(gateway, user, payloads(body)["6–10 tuổi"])
    lesson = lesson_for("body_safety", "6-10")
    assert lesson is not None
    assert lesson.steps[0].text in all_text(body)
    for step in lesson.steps[1:]:
        assert payloads(body), "each step offers a button to go on"
        body = chat(gateway, user, next(iter(payloads(body).values())))
        assert step.text in all_text(body)
    body = chat(gateway, user, next(iter(payloads(body).values())))
    assert lesson.check.question in all_text(body)


def test_parents_questions_get_the_faq_answers(gateway: GatewayProcess) -> None:
    cases = {
        "Dấu hiệu trẻ bị xâm hại là gì?": "signs_of_abuse",
        "Dấu hiệu nào cho thấy con tôi có thể bị xâm hại?": "signs_of_abuse",
        "Quy tắc đồ lót là gì?": "underwear_rule",
        "Tôi nên dạy con quy tắc đồ lót như thế nào?": "underwear_rule",
    }
    for question, key in cases.items():
        body = chat(gateway, new_user(), question)
        answer = faq_by_key(key)
        assert answer is not None
        assert answer.answer[:80] in all_text(body), (question, all_text(body))
        assert body["handoff"]["active"] is False


def test_asking_what_111_is_gets_the_hotlines_and_how_to_call(gateway: GatewayProcess) -> None:
    body = chat(gateway, new_user(), "tong dai 111 la gi")
    said = all_text(body)
    hotline = content_hotline("111")
    assert hotline is not None
    assert said.startswith(bot_text("hotlines_intro")) and hotline.how_to_call in said
    assert body["handoff"]["active"] is False


def test_the_menu_button_for_a_person_opens_a_case(gateway: GatewayProcess) -> None:
    user = new_user()
    menu = chat(gateway, user, "xin chao")
    button = next(p for t, p in payloads(menu).items() if "người thật" in t)
    body = chat(gateway, user, button)
    assert body["handoff"]["active"] is True and body["handoff"]["case_id"]
    assert "111" in all_text(body)
    assert "tapped: talk to a person" in stored_triage(gateway)[-1]["reasons"]


def test_rasa_reading_a_typed_message_as_self_harm_turns_a_doubt_into_a_handoff(
    gateway: GatewayProcess,
) -> None:
    # No rule matches this tired child's words (typed without diacritics) and the learned signal
    # alone only doubts them; Rasa's NLU reads them as risk_self_harm, and the triage escalates
    # on that agreement. (The utterance is the model's: with each retraining, check that Rasa
    # still reads it with high confidence, e.g. with bench/rasa_parse.py.)
    body = chat(gateway, new_user(), "song met moi qua")
    assert body["triage"] == "escalate" and body["handoff"]["active"] is True
    assert body["handoff"]["category"] == "self_harm"
    assert "111" in all_text(body)
    reasons = stored_triage(gateway)[-1]["reasons"]
    assert not any(r.startswith("rules:") for r in reasons)
    assert any(r.startswith("rasa: risk_self_harm") for r in reasons)
    assert "rasa agrees with the doubt" in reasons


def test_a_typed_slash_command_is_not_obeyed(gateway: GatewayProcess) -> None:
    body = chat(gateway, new_user(), "/request_human")
    assert body["handoff"]["active"] is False  # not offered as a button: read as text
