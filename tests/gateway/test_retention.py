"""Retention deletes old text outside cases and keeps counts; users can erase their data."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from bot.retention import purge
from bot.storage.models import AuditEntry, Case, Message, utcnow
from devtools.chat_client import ChatSessions

SESSIONS = ChatSessions()


async def test_retention_blanks_old_text_outside_cases_and_keeps_case_text(serve) -> None:
    running = await serve()
    db = running.app.ctx.db
    async with httpx.AsyncClient(base_url=running.url) as client:
        await SESSIONS.post(client, "plain", "xin chao")
        await SESSIONS.post(client, "risky", "bo em danh em dau lam")
    async with db.session() as session:
        await session.execute(update(Message).values(created_at=utcnow() - timedelta(days=40)))
    async with db.session() as session:
        total_before = await session.scalar(select(func.count()).select_from(Message))
        report = await purge(session, days=30)
    async with db.session() as session:
        rows = (await session.execute(select(Message.case_id, Message.text))).all()
        total_after = await session.scalar(select(func.count()).select_from(Message))
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert total_after == total_before  # counts remain
    assert report.messages_purged == sum(1 for case_id, _ in rows if case_id is None)
    assert all(text is None for case_id, text in rows if case_id is None)
    assert all(text for case_id, text in rows if case_id is not None)  # case data stays
    assert "retention_run" in actions


async def test_archived_case_text_is_purged_after_retention(serve) -> None:
    running = await serve()
    db = running.app.ctx.db
    async with httpx.AsyncClient(base_url=running.url) as client:
        await SESSIONS.post(client, "risky", "bo em danh em dau lam")
    async with db.session() as session:
        await session.execute(update(Message).values(created_at=utcnow() - timedelta(days=40)))
        await session.execute(update(Case).values(status="closed", archived_at=utcnow()))
    async with db.session() as session:
        await purge(session, days=30)
        texts = (await session.scalars(select(Message.text))).all()
    assert texts and all(t is None for t in texts)


async def test_user_can_erase_their_messages_after_confirming(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await SESSIONS.post(client, "e1", "em thich hoc ve")
        asked = (await SESSIONS.post(client, "e1", "xoá hết dữ liệu của em đi")).json()
        payloads = [b["payload"] for b in asked["replies"][0]["buttons"]]
        assert "/erase_confirm" in payloads
        done = (await SESSIONS.post(client, "e1", "/erase_confirm")).json()
    assert "111" in done["replies"][0]["text"]
    async with running.app.ctx.db.session() as session:
        texts = (await session.scalars(select(Message.text).order_by(Message.id))).all()
    assert "em thich hoc ve" not in texts
    assert texts[-1] == done["replies"][0]["text"]  # only the confirmation remains


async def test_erase_confirm_typed_without_being_offered_is_not_obeyed(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await SESSIONS.post(client, "e2", "em thich hoc ve")
        typed = await SESSIONS.post(client, "e2", "/erase_confirm")
    assert typed.status_code == 200  # answered (as an ordinary message), not refused
    async with running.app.ctx.db.session() as session:
        texts = (await session.scalars(select(Message.text))).all()
    assert "em thich hoc ve" in texts
