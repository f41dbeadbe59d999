"""A chat belongs to whoever holds its session: without it nothing is stored or shown."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.storage.models import Conversation, InboundReceipt, Message, User
from devtools.chat_client import SESSION_HEADER, ChatSessions

COUNTED = (Message, InboundReceipt, User, Conversation)


async def row_counts(app: Any) -> dict[str, int]:
    """How many rows each table that a chat writes to has."""
    async with app.ctx.db.session() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in COUNTED
        }


async def test_first_answer_gives_a_session_and_later_calls_need_it(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        first = (await chats.post(client, "kid-s1", "xin chao")).json()
        assert len(first["session"]) >= 40
        later = await chats.post(client, "kid-s1", "em o day")
        assert later.status_code == 200 and "session" not in later.json()
        before = await row_counts(running.app)
        refused = [
            await client.post("/api/chat", json={"user_id": "kid-s1", "text": "lay tin"}),
            await client.post("/api/chat", json={"user_id": "kid-s1", "text": "lay tin"},
                              headers={SESSION_HEADER: "doan-bua"}),
            await client.post("/api/chat", json={"user_id": "kid-s1", "text": "lay tin",
                                                 "message_id": "m-9"},
                              headers={SESSION_HEADER: first["session"] + "x"}),
        ]
        assert await row_counts(running.app) == before  # nothing stored
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert {r.json()["error"]["code"] for r in refused} == {"chat_session_required"}


async def test_messages_are_shown_only_to_the_session_holder(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.post(client, "kid-s2", "xin chao")
        secret = chats.secrets["kid-s2"]
        by_path = "/api/chat/kid-s2/messages"
        refusals = [
            await client.get(by_path),
            await client.get(by_path, headers={SESSION_HEADER: "sai"}),
            await client.get("/api/chat/someone-else/messages", headers={SESSION_HEADER: secret}),
            await client.get("/api/chat/never-seen/messages"),
            await client.get("/api/chat/messages", headers={"X-Chat-User": "kid-s2"}),
            await client.get("/api/chat/messages",
                             headers={"X-Chat-User": "kid-s2", SESSION_HEADER: secret[:-1]}),
        ]
        shown = await chats.messages(client, "kid-s2")
        by_header = await client.get("/api/chat/messages",
                                     headers={"X-Chat-User": "kid-s2", SESSION_HEADER: secret})
    assert [r.status_code for r in refusals] == [401] * 6
    assert all("messages" not in r.json() for r in refusals)
    assert shown.status_code == 200 and shown.json()["messages"]
    assert by_header.json() == shown.json()  # the page's form: no id in the URL


async def test_only_the_hash_of_the_session_is_stored(serve, chats: ChatSessions) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.post(client, "kid-s3", "xin chao")
    secret = chats.secrets["kid-s3"]
    async with running.app.ctx.db.session() as session:
        stored = (await session.scalars(select(User.session_hash))).all()
    assert stored == [hashlib.sha256(secret.encode()).hexdigest()]
    database = Path(running.app.ctx.settings.database_url.split("///", 1)[1])
    files = sorted(database.parent.glob(database.name + "*"))  # with the write-ahead log
    stored_bytes = await asyncio.to_thread(lambda: b"".join(f.read_bytes() for f in files))
    assert secret.encode() not in stored_bytes and len(stored_bytes) > 0


async def test_two_first_messages_at_once_give_one_session(serve) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        answers = await asyncio.gather(*[
            client.post("/api/chat", json={"user_id": "kid-race", "text": f"tin {i}"})
            for i in range(4)
        ])
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200, 401, 401, 401]
    assert sum("session" in r.json() for r in answers) == 1


async def test_a_web_message_id_is_kept_as_a_keyed_hash_and_still_deduplicates(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        first = await chats.answer(client, "kid-s4", "xin chao", message_id="m-1")
        again = await chats.answer(client, "kid-s4", "xin chao", message_id="m-1")
        other = await chats.answer(client, "kid-s5", "xin chao", message_id="m-1")
    assert first["replies"] and again["replies"] == [] and other["replies"]
    async with running.app.ctx.db.session() as session:
        receipts = (await session.scalars(select(InboundReceipt.platform_id))).all()
        stored = (await session.scalars(select(Message.platform_id))).all()
    assert len(receipts) == 2 and all(len(r) == 32 for r in receipts)
    assert not any("kid-s4" in (p or "") or "m-1" in (p or "") for p in [*receipts, *stored])


async def test_history_has_both_sides_with_tapped_buttons_by_their_title(
    serve, rasa, chats: ChatSessions
) -> None:
    rasa.answers("xin chao", [{"text": "Chào bạn!", "buttons": [
        {"title": "📚 Học bài", "payload": "/start_lesson"}]}])
    rasa.answers("/start_lesson", [{"text": "Bài 1: Quy tắc đồ lót."}])
    running = await serve(rasa_urls=(rasa.url,))
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.answer(client, "kid-h", "xin chao")
        await chats.answer(client, "kid-h", "/start_lesson")
        theirs = (await chats.messages(client, "kid-h")).json()["messages"]
        both = (await chats.messages(client, "kid-h", mine=True)).json()
        later = (await chats.messages(client, "kid-h", after=both["messages"][1]["id"],
                                      mine=True)).json()["messages"]
    assert [m["author"] for m in theirs] == ["bot", "bot"]
    assert [(m["author"], m["text"]) for m in both["messages"]] == [
        ("user", "xin chao"), ("bot", "Chào bạn!"), ("user", "📚 Học bài"),
        ("bot", "Bài 1: Quy tắc đồ lót."),
    ]
    assert [m["text"] for m in later] == ["📚 Học bài", "Bài 1: Quy tắc đồ lót."]
    assert both["counsellor"] == "none" and both["handoff"]["active"] is False
