"""Server-Sent Events at /console/events: queue, case, transcript and alert changes.

Each stream polls the database (every 0.5 s), so it works with several worker processes.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from bot.console import queries
from bot.console.auth import COOKIE, Identity, identify
from bot.console.guard import LOGIN_REQUIRED, database
from bot.storage.audit import audit
from bot.storage.models import Case, utcnow
from bot.web.errors import error

bp = Blueprint("console_events", url_prefix="/console")
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
STREAM_SECONDS = 300.0  # the browser reconnects by itself; the session is re-checked meanwhile


def frame(event: str, data: Any) -> str:
    """One SSE frame (JSON data on a single line)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class Snapshot:
    """What a stream last sent, so that only changes are pushed."""

    def __init__(self, after: int) -> None:
        self.queue: Any = None
        self.case: Any = None
        self.alerts: Any = None
        self.after = after


async def _tick(request: Request, identity: Identity, case_id: str | None,
                seen: Snapshot) -> tuple[list[str], bool]:
    """The frames to push now, and whether the session is still valid."""
    frames: list[str] = []
    async with database(request).session() as session:
        current = await identify(session, request.cookies.get(COOKIE))
        if current is None or current.counsellor_id != identity.counsellor_id:
            return [frame("logout", {})], False
        data = await queries.queue(session, identity)
        if data != seen.queue:
            seen.queue = data
            frames.append(frame("queue", {**data, "now": utcnow().isoformat()}))
        if identity.is_supervisor:
            alerts = await queries.open_alerts(session)
            if alerts != seen.alerts:
                seen.alerts = alerts
                frames.append(frame("alerts", {"alerts": alerts}))
        if case_id is not None:
            case = await session.get(Case, case_id)
            if case is None or not queries.can_view(case, identity):
                return [*frames, frame("case_gone", {"id": case_id})], True
            state = await queries.case_state(session, case, identity)
            if state != seen.case:
                seen.case = state
                frames.append(frame("case", state))
            messages = await queries.transcript(session, case.conversation_id, seen.after)
            if messages:
                seen.after = messages[-1]["id"]
                frames.append(frame("messages", {"case_id": case_id, "messages": messages}))
    return frames, True


@bp.get("/events")
async def events(request: Request) -> HTTPResponse | None:
    """Push queue changes (and one case's transcript with ?case=) until the client leaves."""
    async with database(request).session() as session:
        identity = await identify(session, request.cookies.get(COOKIE))
        if identity is None:
            return error(401, "login_required", LOGIN_REQUIRED)
        case_id = (request.args.get("case") or "")[:16] or None
        if case_id is not None:
            case = await session.get(Case, case_id)
            if case is None or not queries.can_view(case, identity):
                audit(session, "access_denied", counsellor_id=identity.counsellor_id,
                      case_id=case.id if case else None, path=request.path)
                return error(403, "forbidden", "Bạn không có quyền xem ca này.")
        audit(session, "live_view_opened", counsellor_id=identity.counsellor_id, case_id=case_id)
    try:
        after = max(0, int(request.args.get("after", "0")))
    except ValueError:
        after = 0
    response = await request.respond(
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    await response.send("retry: 1000\n\n")
    seen = Snapshot(after)
    started = last_beat = time.monotonic()
    while time.monotonic() - started < STREAM_SECONDS:
        if request.app.state.is_stopping or (request.transport and request.transport.is_closing()):
            break
        frames, valid = await _tick(request, identity, case_id, seen)
        if frames:
            await response.send("".join(frames))
            last_beat = time.monotonic()
        if not valid:
            break
        if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
            await response.send(": ping\n\n")
            last_beat = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)
    await response.eof()
    return None
