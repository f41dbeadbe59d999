"""Live updates: the event stream sends what changed, item by item, from the shared change feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from bot.changefeed import ChangeKind, record
from bot.storage.models import AuditEntry, Case, Message
from tests.console.conftest import Console, make_account, make_case

WITHIN = 10.0


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
                     within: float = WITHIN, where: Any = None) -> Any:
    """The next frame of one kind (and matching `where`), within a time limit."""

    async def find() -> Any:
        async for event, data in stream:
            if event == wanted and (where is None or where(data)):
                return data
        raise AssertionError("stream ended")

    return await asyncio.wait_for(find(), within)


@asynccontextmanager
async def live(client: Console, query: str = "") -> AsyncIterator[AsyncIterator[tuple[str, Any]]]:
    """An open event stream (after its hello frame)."""
    async with client.http.stream("GET", "/console/events" + query) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = frames(response)
        await next_frame(stream, "hello")
        yield stream


async def test_stream_sends_the_changed_item_the_transcript_and_logout(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    first = await make_case(app, "concern")
    client = console()
    await client.login("lan")
    seen = (await client.get(f"/cases/{first}")).json()["messages"][-1]["id"]
    async with live(client, f"?case={first}&after={seen}") as stream:
        urgent = await make_case(app, "imminent")
        item = await next_frame(stream, "item")
        assert item["id"] == urgent and item["new"] and item["preview"] == "em sợ lắm"
        assert "text" not in item  # an item, never a transcript or the whole queue
        counts = await next_frame(stream, "counts")
        assert counts["waiting"] == 2 and counts["high_waiting"] == 1

        async with app.ctx.db.session() as session:
            case = await session.get(Case, first)
            assert case is not None
            session.add(Message(conversation_id=case.conversation_id, case_id=first,
                                direction="in", author="user", text="<b>cứu em</b>"))
            await record(session, ChangeKind.MESSAGE, conversation_id=case.conversation_id,
                         case_id=first, detail={"direction": "in", "author": "user"})
        fresh = await next_frame(stream, "messages")
        assert [m["text"] for m in fresh["messages"]] == ["<b>cứu em</b>"]

        assert (await client.post(f"/cases/{first}/accept")).status_code == 200
        accepted = await next_frame(stream, "case", where=lambda c: c["status"] == "active")
        assert accepted["mine"] and accepted["can_chat"] and not accepted["can_accept"]
        await client.post("/logout")
        await next_frame(stream, "logout", within=5.0)  # at once, not at the next check

    async with app.ctx.db.session() as session:
        opened = (await session.scalars(
            select(AuditEntry.id).where(AuditEntry.action == "live_view_opened"))).all()
    assert len(opened) == 1


async def test_an_item_taken_by_another_counsellor_leaves_the_view(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    await make_account(app, "minh")
    case_id = await make_case(app, "high")
    lan, minh = console(), console()
    await lan.login("lan")
    await minh.login("minh")
    async with live(minh) as stream:
        assert (await lan.post(f"/cases/{case_id}/accept")).status_code == 200
        gone = await next_frame(stream, "item_gone")
        assert gone == {"id": case_id}  # minh may no longer see it: not even as an item
    async with live(lan) as stream:
        await lan.post(f"/cases/{case_id}/notes", {"text": "gọi lại lúc 8 giờ"})
        item = await next_frame(stream, "item")
        assert item["id"] == case_id and item["counsellor_name"] == "Cô Lan"


async def test_fifty_views_share_one_feed_and_one_computation_per_change(
    running, console
) -> None:
    app = running.app
    await make_account(app, "lan")
    client = console()
    await client.login("lan")
    feed = app.ctx.changes
    async with asyncio.TaskGroup() as group:
        streams = []
        opened: list[Any] = []

        async def open_one() -> None:
            manager = live(client)
            opened.append(manager)
            streams.append(await manager.__aenter__())

        for _ in range(50):
            group.create_task(open_one())
    try:
        assert feed.subscribers == 50
        shared = app.ctx.console_shared
        before = shared.computed
        case_id = await make_case(app, "high")
        got = await asyncio.gather(*(next_frame(s, "item") for s in streams))
        assert {g["id"] for g in got} == {case_id}
        # the item and the counts were computed once for all fifty views, not fifty times
        assert shared.computed - before <= 2 + 2  # (a second read if one view came late)
    finally:
        for manager in opened:
            await manager.__aexit__(None, None, None)
    await _until(lambda: feed.subscribers == 0)


async def test_supervisors_get_coalesced_alerts_and_health(running, console) -> None:
    from bot.handoff.alerts import raise_alert
    from bot.handoff.states import AlertKind

    app = running.app
    await make_account(app, "hoa", role="supervisor")
    case_id = await make_case(app, "imminent")
    client = console()
    await client.login("hoa")
    async with live(client) as stream:
        for _ in range(3):
            async with app.ctx.db.session() as session:
                await raise_alert(session, AlertKind.NO_COUNSELLOR_IN_TIME, case_id=case_id)
        alerts = await next_frame(stream, "alerts",
                                  where=lambda d: d["alerts"] and d["alerts"][0]["count"] == 3)
        assert len(alerts["alerts"]) == 1  # one line, counted three times
        await client.post(f"/cases/{case_id}/notes", {"text": "đang gọi 111"})
        health = await next_frame(stream, "health")
        assert health["waiting"] == 1 and health["high_waiting"] == 1
        assert [c["id"] for c in health["high_risk"]] == [case_id]
        assert [c["name"] for c in health["online"]] == ["Cô Hoa"]


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


async def test_stream_stops_and_unsubscribes_when_the_browser_leaves(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    client = console()
    await client.login("lan")
    async with live(client):
        assert app.ctx.changes.subscribers == 1
    await _until(lambda: app.ctx.changes.subscribers == 0)

    def connections() -> int:
        return sum("connection_task" in repr(t.get_coro()) for t in asyncio.all_tasks())

    await _until(lambda: connections() == 0)


async def _until(condition: Any, within: float = WITHIN) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
