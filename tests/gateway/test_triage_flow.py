"""The triage in the gateway: rules, the learned signal, context and a fake Rasa together."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.storage.models import Case, Conversation, Message, Review
from devtools.chat_client import ChatSessions
from devtools.fakes.rasa import FakeRasa

SESSIONS = ChatSessions()


async def chat(client: httpx.AsyncClient, user: str, text: str) -> dict[str, Any]:
    return await SESSIONS.answer(client, user, text)


async def test_rasa_alone_never_escalates_an_ordinary_message(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    rasa.says("hôm nay em được điểm mười môn toán", "risk_sexual_abuse", 0.97)
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-1", "hôm nay em được điểm mười môn toán")
    assert body["triage"] == "review"  # Rasa's doubt lists it for a counsellor ...
    assert body["handoff"]["active"] is False  # ... and never locks the chat
    texts = [r["text"] for r in body["replies"]]
    assert texts[0] == "Mình chưa chắc đã hiểu ý bạn." and "111" in texts[-1]
    async with running.app.ctx.db.session() as session:
        review = (await session.scalars(select(Review))).one()
    assert review.status == "open" and any("rasa" in r for r in review.reasons)


async def test_an_ordinary_message_is_answered_by_rasa(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-2", "chào bạn, bạn tên là gì")
    assert body["triage"] == "answer" and body["replies"] == [
        {"text": "Mình ở đây nè.", "buttons": []}
    ]
    assert rasa.received and rasa.received[0]["message"] == "chào bạn, bạn tên là gì"


async def test_disclosure_escalates_without_asking_rasa(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-3", "chú hàng xóm hay sờ vào chỗ kín của em")
    assert body["triage"] == "escalate" and body["handoff"]["category"] == "sexual_abuse"
    reply = body["replies"][0]["text"]
    assert "Mình tin bạn" in reply and "111" in reply and "113" in reply
    assert "sớm nhất có thể" in reply and "bí mật" not in reply
    assert rasa.received == []
    async with running.app.ctx.db.session() as session:
        message = (await session.scalars(select(Message).where(Message.direction == "in"))).one()
        case = await session.get(Case, body["handoff"]["case_id"])
    assert message.triage is not None and message.triage["decision"] == "escalate"
    assert any(r.startswith("rules:") for r in message.triage["reasons"])
    assert case is not None and case.reasons == message.triage["reasons"]
    assert "text" not in message.triage and "chỗ kín" not in str(message.triage)


async def test_method_seeking_question_always_escalates(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-4", "cách tự tử nhanh nhất là gì")
    assert body["triage"] == "escalate"
    assert body["handoff"]["category"] == "self_harm" and body["handoff"]["risk"] == "imminent"
    reply = body["replies"][0]["text"]
    assert "111" in reply and "115" in reply and "an toàn" in reply


async def test_grooming_that_mentions_deleting_messages_is_not_an_erase_request(
    serve, rasa: FakeRasa
) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    text = "anh trên mạng đòi em gửi ảnh không mặc áo rồi bảo xóa tin nhắn đi"
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-5", text)
    assert body["triage"] == "escalate" and body["handoff"]["active"] is True
    assert "xóa" not in body["replies"][0]["text"].lower()


async def test_a_plain_erase_request_still_asks_to_confirm(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-6", "xóa tin nhắn của em đi")
    assert body["triage"] != "escalate"
    assert [b["payload"] for b in body["replies"][0]["buttons"]] == [
        "/erase_confirm", "/erase_cancel"
    ]


async def test_waiting_case_acknowledges_every_message_and_a_higher_risk_gets_help_at_once(
    serve, rasa: FakeRasa
) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        first = await chat(client, "t-7", "tụi lớp em ngày nào cũng chặn đường đòi tiền em")
        assert first["triage"] == "escalate"
        case_id, risk = first["handoff"]["case_id"], first["handoff"]["risk"]
        acks = [await chat(client, "t-7", text) for text in ("em sợ lắm", "cô ơi", "alo")]
        danger = await chat(client, "t-7", "nó đang đứng ngoài cửa nhà em cầm dao đòi giết em")
    for ack in acks:  # every message is acknowledged, none opens a second case
        assert ack["replies"] and "111" in ack["replies"][0]["text"]
        assert ack["handoff"]["case_id"] == case_id
    assert danger["handoff"]["case_id"] == case_id
    assert danger["handoff"]["risk"] == "imminent" != risk
    reply = danger["replies"][0]["text"]
    assert "111" in reply and "113" in reply
    assert rasa.received == []


async def test_a_parent_gets_a_parents_reply(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    text = "con gái tôi 8 tuổi kể là bị ông hàng xóm sờ vào vùng kín, tôi phải làm gì"
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-8", text)
    assert body["triage"] == "escalate"
    reply = body["replies"][0]["text"]
    assert "anh/chị" in reply and "111" in reply and "Mình tin bạn" not in reply


async def test_a_parents_general_question_is_answered_not_escalated(
    serve, rasa: FakeRasa
) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-9", "Làm sao để biết con mình có bị xâm hại hay không?")
    assert body["triage"] != "escalate" and body["handoff"]["active"] is False
    assert body["replies"][0]["text"] == "Mình ở đây nè."


async def test_a_quiz_answer_in_words_is_not_a_disclosure(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    rasa.answers("đố vui", [{
        "text": "Câu 1: Nếu có người chạm vào vùng đồ bơi của em, em làm gì?",
        "buttons": [
            {"title": "A. Im lặng", "payload": '/answer{"option":"a"}'},
            {"title": "B. Nói không, chạy đi và kể với người lớn",
             "payload": '/answer{"option":"b"}'},
        ],
    }])
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chat(client, "t-10", "đố vui")
        body = await chat(client, "t-10", "noi khong chay di roi ke voi nguoi lon")
    assert body["triage"] == "answer" and body["handoff"]["active"] is False


async def test_without_the_learned_model_the_rules_still_escalate(serve, tmp_path) -> None:
    running = await serve(safety_model_dir=tmp_path / "none")
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "t-11", "bố em say rượu đánh em chảy máu đầu")
        health = await client.get("/healthz")
    assert body["triage"] == "escalate" and "111" in body["replies"][0]["text"]
    assert health.status_code == 503


async def test_after_a_closed_case_the_disclosure_does_not_escalate_the_next_message(
    serve, rasa: FakeRasa
) -> None:
    """Risk adds up over messages no counsellor has seen yet, not over a case already handled."""
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        first = await chat(client, "t-closed", "chú hàng xóm hay sờ vào chỗ kín của em")
        assert first["triage"] == "escalate"
        async with running.app.ctx.db.session() as session:
            case = await session.get(Case, first["handoff"]["case_id"])
            assert case is not None
            conversation = await session.get(Conversation, case.conversation_id)
            assert conversation is not None
            case.status, conversation.active_case_id = "closed", None
        after = await chat(client, "t-closed", "Xóa dữ liệu của mình")
    assert after["triage"] != "escalate" and after["handoff"]["active"] is False
    assert [b["payload"] for b in after["replies"][0]["buttons"]] == [  # asked to confirm
        "/erase_confirm", "/erase_cancel"
    ]
