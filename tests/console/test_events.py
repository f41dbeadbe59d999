"""Live updates: the event stream pushes a new case and new messages without a reload."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import select

from bot.storage.models import AuditEntry, Case, Message
from tests.console.conftest import make_account, make_case


async def frames(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """Parse SSE frames (event name, JSON data) from a streaming response."""
    event, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            yield event, json.loads(data)
            event, data = "message", ""


async def next_frame(stream: AsyncIterator[tuple[str, Any]], wanted: str,
                     within: float = 5.0) -> Any:
    """The next frame of one kind, within a time limit."""

    async def find() -> Any:
        async for event, data in stream:
            if event == wanted:
                return data
        raise AssertionError("stream ended")

    return await asyncio.wait_for(find(), within)


async def test_stream_pushes_new_cases_and_transcript_changes(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    first = await make_case(app, "concern")
    client = console()
    await client.login("lan")
    async with client.http.stream("GET", f"/console/events?case={first}") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = frames(response)
        initial = await next_frame(stream, "queue")
        assert [c["id"] for c in initial["queue"]] == [first]
        state = await next_frame(stream, "case")
        assert state["id"] == first and state["can_accept"]
        assert [m["text"] for m in (await next_frame(stream, "messages"))["messages"]] == [
            "em sợ lắm"]

        loop = asyncio.get_running_loop()
        started = loop.time()
        urgent = await make_case(app, "imminent")
        pushed = await next_frame(stream, "queue")
        assert [c["id"] for c in pushed["queue"]] == [urgent, first]
        assert loop.time() - started < 1.5  # polled every 0.5 s

        async with app.ctx.db.session() as session:
            case = await session.get(Case, first)
            assert case is not None
            session.add(Message(conversation_id=case.conversation_id, case_id=first,
                                direction="in", author="user", text="<b>cứu em</b>"))
        fresh = await next_frame(stream, "messages")
        assert [m["text"] for m in fresh["messages"]] == ["<b>cứu em</b>"]

        assert (await client.post(f"/cases/{first}/accept")).status_code == 200
        accepted = await next_frame(stream, "case")
        assert accepted["status"] == "active" and accepted["mine"]
        await client.post("/logout")
        await next_frame(stream, "logout")

    async with app.ctx.db.session() as session:
        opened = (await session.scalars(
            select(AuditEntry.id).where(AuditEntry.action == "live_view_opened"))).all()
    assert len(opened) == 1


async def test_stream_needs_login_and_permission(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    await make_account(app, "minh")
    case_id = await make_case(app, "high")
    async with httpx.AsyncClient(base_url=running.url) as anonymous:
        assert (await anonymous.get("/console/events")).status_code == 401
    lan, minh = console(), console()
    await lan.login("lan")
    await minh.login("minh")
    await lan.post(f"/cases/{case_id}/accept")
    denied = await minh.http.get(f"/console/events?case={case_id}")
    assert denied.status_code == 403


async def test_stream_stops_when_the_browser_leaves(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    client = console()
    await client.login("lan")

    def connections() -> int:
        return sum("connection_task" in repr(t.get_coro()) for t in asyncio.all_tasks())

    async with client.http.stream("GET", "/console/events") as response:
        await next_frame(frames(response), "queue")
        assert connections() == 1  # the stream's handler runs in its connection's task
    await asyncio.sleep(1.2)  # the server notices the closed connection on its next tick
    assert connections() == 0
