"""The child's page is told at once when a counsellor writes or types; the child's typing is
recorded for the console only inside a case."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.changefeed import ChangeKind, record
from bot.handoff import cases
from bot.storage.models import Change, Conversation
from devtools.chat_client import SESSION_HEADER, ChatSessions
from tests.web.support import as_counsellor, counsellor_for_the_case, counsellor_types

WAIT = 10.0  # a condition that never comes fails the test after this long


async def frames(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of each Server-Sent Events frame; ':' comments are skipped."""
    event, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and data:
            yield event, data
            event, data = "message", ""


async def next_frame(stream: AsyncIterator[tuple[str, str]]) -> tuple[str, str]:
    """The next frame of a stream, waited for with a bound."""
    return await asyncio.wait_for(anext(stream), WAIT)


async def frame_until(stream: AsyncIterator[tuple[str, str]], wanted: tuple[str, str]) -> int:
    """Read frames until `wanted` comes (bounded); how many other frames came before it."""
    others = 0
    while await next_frame(stream) != wanted:
        others += 1
    return others


def stream_headers(chats: ChatSessions, user: str) -> dict[str, str]:
    """The page's headers: the id and the session, nothing in the URL."""
    return {"X-Chat-User": user, **chats.headers(user)}


async def a_case(app: Any, client: httpx.AsyncClient, chats: ChatSessions,
                 user: str) -> tuple[str, int]:
    """A child's disclosure opens a case; a counsellor account to answer it (their ids)."""
    await chats.answer(client, user, "chu hang xom hay so vao cho kin cua em")
    return await counsellor_for_the_case(app)


async def test_the_stream_needs_the_session(serve, chats: ChatSessions) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.post(client, "kid-l0", "xin chao")
        no_id = await client.get("/api/chat/stream")
        no_session = await client.get("/api/chat/stream", headers={"X-Chat-User": "kid-l0"})
        wrong = await client.get("/api/chat/stream", headers={
            "X-Chat-User": "kid-l0", SESSION_HEADER: "sai"})
    assert [no_id.status_code, no_session.status_code, wrong.status_code] == [400, 401, 401]


async def test_a_counsellor_message_and_typing_are_pushed_to_the_child(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    app = running.app
    async with httpx.AsyncClient(base_url=running.url, timeout=None) as client:
        ids = await a_case(app, client, chats, "kid-l1")
        async with client.stream("GET", "/api/chat/stream",
                                 headers=stream_headers(chats, "kid-l1")) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = frames(response)
            await as_counsellor(app, ids, cases.accept)
            await frame_until(stream, ("change", '{"kind": "message"}'))  # "joined" notice
            await as_counsellor(app, ids, counsellor_types)
            await frame_until(stream, ("typing", '{"who": "counsellor"}'))
            await as_counsellor(app, ids, cases.send_counsellor_message, "Cô ở đây với em.")
            await frame_until(stream, ("change", '{"kind": "message"}'))
        shown = (await client.get("/api/chat/messages",
                                  headers=stream_headers(chats, "kid-l1"))).json()
    assert shown["messages"][-1]["author"] == "counsellor"
    assert shown["counsellor"] == "joined"


async def test_another_chat_changing_is_not_pushed(serve, chats: ChatSessions) -> None:
    running = await serve()
    app = running.app
    async with httpx.AsyncClient(base_url=running.url, timeout=None) as client:
        await chats.answer(client, "kid-l2", "xin chao")
        async with app.ctx.db.session() as session:
            mine = await session.scalar(select(Conversation.id).order_by(Conversation.id))
        async with client.stream("GET", "/api/chat/stream",
                                 headers=stream_headers(chats, "kid-l2")) as response:
            stream = frames(response)
            await counsellor_typing(app, mine)  # whatever came before it is read past
            await frame_until(stream, ("typing", '{"who": "counsellor"}'))
            await chats.answer(client, "kid-l3", "xin chao")  # someone else's chat
            async with app.ctx.db.session() as session:  # the child's own typing: not echoed
                await record(session, ChangeKind.TYPING, conversation_id=mine,
                             detail={"who": "user"})
            await counsellor_typing(app, mine)
            assert await frame_until(stream, ("typing", '{"who": "counsellor"}')) == 0


async def counsellor_typing(app: Any, conversation_id: int | None) -> None:
    """A counsellor types in a conversation (the change the console records)."""
    async with app.ctx.db.session() as session:
        await record(session, ChangeKind.TYPING, conversation_id=conversation_id,
                     detail={"who": "counsellor"})


async def typing_rows(app: Any) -> int:
    """How many typing changes are recorded."""
    async with app.ctx.db.session() as session:
        return int(await session.scalar(
            select(func.count()).select_from(Change).where(Change.kind == "typing")) or 0)


async def test_the_childs_typing_is_recorded_inside_a_case_only(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    app = running.app
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.answer(client, "kid-l4", "xin chao")
        body, headers = {"user_id": "kid-l4"}, chats.headers("kid-l4")
        with_bot = await client.post("/api/chat/typing", json=body, headers=headers)
        assert with_bot.status_code == 204 and await typing_rows(app) == 0
        refused = await client.post("/api/chat/typing", json={"user_id": "kid-l4"})
        assert refused.status_code == 401
        await a_case(app, client, chats, "kid-l4")
        in_case = await client.post("/api/chat/typing", json=body, headers=headers)
        again = await client.post("/api/chat/typing", json=body, headers=headers)  # throttled
    assert in_case.status_code == again.status_code == 204
    async with app.ctx.db.session() as session:
        rows = (await session.scalars(select(Change).where(Change.kind == "typing"))).all()
    assert [(r.detail, r.case_id is not None) for r in rows] == [({"who": "user"}, True)]
