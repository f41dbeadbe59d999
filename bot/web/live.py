"""The web chat's live side: pushed changes (Server-Sent Events) and the child's typing.

`GET /api/chat/stream` (the id in X-Chat-User, the session in X-Chat-Session) subscribes to the
process's one change feed (`app.ctx.changes`, bot.changefeed) for this conversation only and
sends `change` when a message to the user or the case changed (the page then reads the new
messages) and `typing` when a counsellor types. No database work per open page while waiting.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty
from sqlalchemy import select

from bot import changefeed
from bot.changefeed import Change, ChangeFeed, ChangeKind, Predicate
from bot.storage.models import Conversation
from bot.web import sessions
from bot.web.chat_api import chat_holder, pipeline_of
from bot.web.errors import error, json_body

bp = Blueprint("chat_live", url_prefix="/api/chat")
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0  # then the page reconnects (and its session is checked again)
QUEUE_LIMIT = 50


def frame(event: str, data: dict[str, Any]) -> str:
    """One Server-Sent Events frame with JSON data on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def for_conversation(conversation_id: int) -> Predicate:
    """The changes a child's page wants: messages to them, their case, a counsellor typing."""

    def wanted(change: Change) -> bool:
        if change.kind == ChangeKind.RESET:
            return True
        if change.conversation_id != conversation_id:
            return False
        if change.kind == ChangeKind.MESSAGE:
            return change.detail.get("direction") != "in"
        if change.kind == ChangeKind.TYPING:
            return change.detail.get("who") == "counsellor"
        return change.kind == ChangeKind.CASE

    return wanted


def frame_for(change: Change) -> str:
    """What the page is told about a change (never message text: it reads that itself)."""
    if change.kind == ChangeKind.TYPING:
        return frame("typing", {"who": str(change.detail.get("who") or "")})
    return frame("change", {"kind": str(change.kind)})


@bp.get("/stream")
async def stream(request: Request) -> HTTPResponse | None:
    """Push this chat's changes until the page leaves (or STREAM_SECONDS pass)."""
    holder = await chat_holder(request, request.headers.get(sessions.USER_HEADER))
    if isinstance(holder, HTTPResponse):
        return holder
    if holder.conversation_id is None:
        return error(409, "no_conversation_yet", "send a first message before listening")
    feed: ChangeFeed = request.app.ctx.changes
    # subscribed before the answer starts: the page reads what is new once it sees the answer
    with_changes = feed.subscribe(for_conversation(holder.conversation_id), limit=QUEUE_LIMIT)
    async with with_changes as changes:
        response = await request.respond(
            content_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        await response.send("retry: 1000\n\n")
        ends = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < ends and not request.app.state.is_stopping:
            if changes.closed or (request.transport and request.transport.is_closing()):
                break
            change = await changes.next(HEARTBEAT_SECONDS)
            await response.send(": ping\n\n" if change is None else frame_for(change))
        await response.eof()
    return None


@bp.post("/typing")
async def typing(request: Request) -> HTTPResponse:
    """The child is typing: tell the counsellor's console (a case only; throttled)."""
    body = json_body(request)
    if isinstance(body, HTTPResponse):
        return body
    holder = await chat_holder(request, body.get("user_id"))
    if isinstance(holder, HTTPResponse):
        return holder
    conversation_id = holder.conversation_id
    if conversation_id is None:
        return empty()
    async with pipeline_of(request).db.session() as session:
        row = (await session.execute(
            select(Conversation.state, Conversation.active_case_id)
            .where(Conversation.id == conversation_id)
        )).first()
        in_case = row is not None and row.state != "bot"  # nobody watches a chat with the bot
        if row is not None and in_case and changefeed.typing_due(conversation_id, "user"):
            await changefeed.record(session, ChangeKind.TYPING, conversation_id=conversation_id,
                                    case_id=row.active_case_id, detail={"who": "user"})
    return empty()
