"""The message flow through POST /api/chat with Rasa down: store, screen, escalate, hand over."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.handoff import cases
from bot.storage.models import Alert, AuditEntry, Case, Counsellor, Message
from devtools.chat_client import ChatSessions

SESSIONS = ChatSessions()


async def chat(client: httpx.AsyncClient, user: str, text: str, **extra: Any) -> dict[str, Any]:
    return await SESSIONS.answer(client, user, text, **extra)


async def make_counsellor(app: Any, role: str = "counsellor") -> Counsellor:
    async with app.ctx.db.session() as session:
        counsellor = Counsellor(username=f"c-{role}", display_name="Cô Lan", password_hash="x",
                                role=role)
        session.add(counsellor)
    return counsellor


async def test_rasa_down_gets_apology_with_hotline_and_message_is_stored(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "kid-1", "xin chao")
    assert body["handoff"] == {"active": False, "case_id": None, "risk": "none", "category": None}
    assert "111" in body["replies"][0]["text"]
    async with running.app.ctx.db.session() as session:
        stored = (await session.scalars(select(Message).order_by(Message.id))).all()
    assert [(m.direction, m.text) for m in stored][0] == ("in", "xin chao")


async def test_disclosure_escalates_without_rasa_and_whole_handoff_works(serve) -> None:
    running = await serve()
    app = running.app
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "kid-2", "chu hang xom hay so vao cho kin cua em")
        handoff = body["handoff"]
        assert handoff["active"] is True and handoff["case_id"]
        assert handoff["category"] == "sexual_abuse"
        assert handoff["risk"] in ("high", "imminent")
        reply = body["replies"][0]["text"]
        assert "111" in reply and "không phải lỗi" in reply.lower()
        assert "bí mật" not in reply.lower()

        # waiting: the next message goes to the case, not to Rasa
        body = await chat(client, "kid-2", "em so lam")
        assert body["handoff"]["case_id"] == handoff["case_id"]

        counsellor = await make_counsellor(app)
        async with app.ctx.db.session() as session:
            case = await session.get(Case, handoff["case_id"])
            assert case is not None and case.status == "open"
            await cases.accept(session, case, counsellor)
            await cases.send_counsellor_message(session, case, counsellor, "Cô ở đây với em.")

        body = await chat(client, "kid-2", "chao co")
        assert body["replies"] == [] and body["handoff"]["active"] is True
        listed = (await SESSIONS.messages(client, "kid-2")).json()
        authors = [m["author"] for m in listed["messages"]]
        assert "counsellor" in authors
        last_id = listed["messages"][-1]["id"]
        assert (await SESSIONS.messages(client, "kid-2", after=last_id)).json()[
            "messages"] == []

        async with app.ctx.db.session() as session:
            case = await session.get(Case, handoff["case_id"])
            assert case is not None
            await cases.hand_back(session, case, counsellor)
            in_case = await session.scalar(
                select(func.count()).select_from(Message).where(
                    Message.case_id == case.id, Message.direction == "in"))
            actions = set((await session.scalars(select(AuditEntry.action))).all())
        assert in_case == 3  # the disclosure and both later messages belong to the case
        assert {"case_opened", "case_accepted", "message_sent", "handed_back"} <= actions

        body = await chat(client, "kid-2", "cam on")
        assert body["handoff"]["active"] is False
        assert "111" in body["replies"][0]["text"]  # back with the bot (which is down here)


async def test_request_for_a_real_person_escalates(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "kid-3", "cho em nói chuyện với người thật")
    assert body["handoff"]["active"] is True
    assert "111" in body["replies"][0]["text"]


async def test_duplicate_message_id_is_answered_once(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        first = await chat(client, "kid-4", "xin chao", message_id="m-1")
        second = await chat(client, "kid-4", "xin chao", message_id="m-1")
    assert first["replies"] and second["replies"] == []
    async with running.app.ctx.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "in"))
    assert count == 1


async def test_nobody_accepting_in_time_reminds_child_and_alerts_supervisors(serve) -> None:
    running = await serve(escalation_timeout=0.5)
    async with httpx.AsyncClient(base_url=running.url) as client:
        body = await chat(client, "kid-5", "e k muon song nua")
        assert body["handoff"]["category"] == "self_harm"
        assert body["handoff"]["risk"] in ("high", "imminent")
        for _ in range(40):
            texts = [m["text"] for m in
                     (await SESSIONS.messages(client, "kid-5")).json()["messages"]]
            if len(texts) >= 2:
                break
            await asyncio.sleep(0.25)
    assert len(texts) == 2 and "111" in texts[1]
    async with running.app.ctx.db.session() as session:
        alerts = (await session.scalars(select(Alert))).all()
    assert [a.kind for a in alerts] == ["no_counsellor_in_time"]
