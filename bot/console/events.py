"""Server-Sent Events at /console/events: what changed, item by item, from the change feed.

Each open console subscribes to the process's one change feed (bot.changefeed) and, when
something changes, is sent only that: a queue item (`item`, or `item_gone` when it left the
user's sight), the queue's counts, a review row, the coalesced alerts and queue health
(supervisors), and for the case on screen (?case=) its state, its new messages and the child
typing. Items, rows, alerts and figures are computed once per process for all views
(bot.console.shared). While nothing changes a view costs nothing but a heartbeat; its session
is re-checked every 30 s (and at once when it logs out), which also marks its user online.

Frames: hello, item, item_gone, counts, review, alerts, health, case, case_gone, messages,
typing, whisper, reset (reload everything), logout.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy import update

from bot.changefeed import Change, ChangeFeed, ChangeKind, Subscription
from bot.console import access, queries, transcripts
from bot.console.auth import COOKIE, Identity, identify
from bot.console.guard import LOGIN_REQUIRED, database
from bot.console.shared import Shared
from bot.storage.audit import audit
from bot.storage.models import Case, Counsellor, utcnow
from bot.web.errors import error

bp = Blueprint("console_events", url_prefix="/console")
HEARTBEAT_SECONDS = 15.0
CHECK_SECONDS = 30.0
STREAM_SECONDS = 300.0  # the browser reconnects by itself
BATCH = 200


def frame(event: str, data: Any) -> str:
    """One SSE frame (JSON data on a single line)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class ItemFields:
    """A queue item seen through the access rules' eyes."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.status = str(item["status"])
        self.counsellor_id: int | None = item["counsellor_id"]
        self.transfer_to_id: int | None = item["transfer_to_id"]
        self.archived_at: object = item["archived_at"]


@dataclass
class Watched:
    """The case on this view's screen, if any."""

    case_id: str | None = None
    conversation_id: int | None = None
    after: int = 0


@dataclass
class View:
    """One open console: who, what it watches, and when its session was last checked."""

    identity: Identity
    watched: Watched
    checked: float = field(default_factory=time.monotonic)

    def wants(self, change: Change) -> bool:
        """The feed's filter for this view."""
        kind = change.kind
        if kind in (ChangeKind.CASE, ChangeKind.REVIEW, ChangeKind.RESET):
            return True
        if kind == ChangeKind.ALERT:
            return self.identity.is_supervisor
        if kind == ChangeKind.SESSION:
            return change.detail.get("counsellor_id") == self.identity.counsellor_id
        watched = change.conversation_id is not None and (
            change.conversation_id == self.watched.conversation_id)
        if kind == ChangeKind.TYPING:
            return watched and change.detail.get("who") == "user"
        if kind == ChangeKind.MESSAGE:
            return watched or (change.detail.get("direction") == "in" and bool(change.case_id))
        return False


def shared_of(request: Request) -> Shared:
    """The process's shared computations (made when the server starts)."""
    shared: Shared = request.app.ctx.console_shared
    return shared


async def _drain(changes: Subscription, first: Change) -> list[Change]:
    batch = [first]
    while len(batch) < BATCH:
        more = await changes.next(0)
        if more is None:
            break
        batch.append(more)
    return batch


async def _frames(request: Request, view: View, batch: list[Change]) -> tuple[list[str], bool]:
    """The frames for a batch of changes, and whether the view goes on."""
    shared, who = shared_of(request), view.identity
    out: list[str] = []
    if any(c.kind == ChangeKind.RESET for c in batch):
        return [frame("reset", {})], True
    if any(c.kind == ChangeKind.SESSION for c in batch) and not await _still_valid(request, view):
        return [frame("logout", {})], False
    newest = max(c.id for c in batch)
    case_ids = list(dict.fromkeys(c.case_id for c in batch if c.case_id and (
        c.kind == ChangeKind.CASE
        or (c.kind == ChangeKind.MESSAGE and c.detail.get("direction") == "in"))))
    for case_id in case_ids:
        item = await shared.item(case_id, newest)
        if item is not None and access.can_view(ItemFields(item), who):
            out.append(frame("item", item))
        else:
            out.append(frame("item_gone", {"id": case_id}))
    if any(c.kind == ChangeKind.CASE for c in batch):
        out.append(frame("counts", await shared.counts(newest)))
        if who.is_supervisor:
            out.append(frame("health", await shared.health(newest)))
    for review_id in dict.fromkeys(int(c.detail.get("review_id") or 0) for c in batch
                                   if c.kind == ChangeKind.REVIEW):
        row = await shared.review(review_id, newest) if review_id else None
        if row is not None:
            out.append(frame("review", row))
    if who.is_supervisor and any(c.kind == ChangeKind.ALERT for c in batch):
        out.append(frame("alerts", {"alerts": await shared.alerts(newest)}))
    out += await _watched_frames(request, view, batch)
    return out, True


async def _watched_frames(request: Request, view: View, batch: list[Change]) -> list[str]:
    """The case on screen: its state, new messages, the child typing, a whisper."""
    watched, who = view.watched, view.identity
    if watched.case_id is None:
        return []
    mine = [c for c in batch if c.conversation_id == watched.conversation_id
            or c.case_id == watched.case_id]
    if not mine:
        return []
    out: list[str] = []
    async with database(request).session() as session:
        case = await session.get(Case, watched.case_id)
        if case is None or not access.can_view(case, who):
            watched.case_id = watched.conversation_id = None
            return [frame("case_gone", {"id": case.id if case else None})]
        if any(c.kind == ChangeKind.CASE and c.case_id == case.id for c in mine):
            out.append(frame("case", await queries.case_state(session, case, who)))
        for change in mine:
            if change.kind == ChangeKind.CASE and change.detail.get("event") == "whisper" and (
                change.detail.get("to") == who.counsellor_id
            ):
                out.append(frame("whisper", {"case_id": case.id}))
        if any(c.kind == ChangeKind.MESSAGE for c in mine):
            messages = await transcripts.case_messages(session, case, watched.after)
            if messages:
                watched.after = messages[-1]["id"]
                out.append(frame("messages", {"case_id": case.id, "messages": messages}))
    if any(c.kind == ChangeKind.TYPING for c in mine):
        out.append(frame("typing", {"case_id": watched.case_id, "who": "user"}))
    return out


async def _still_valid(request: Request, view: View) -> bool:
    """Re-check the session; mark the user online (last seen now)."""
    view.checked = time.monotonic()
    async with database(request).session() as session:
        current = await identify(session, request.cookies.get(COOKIE))
        if current is None or current.counsellor_id != view.identity.counsellor_id:
            return False
        await session.execute(update(Counsellor).where(Counsellor.id == current.counsellor_id)
                              .values(last_seen_at=utcnow()))
    return True


async def _open(request: Request) -> View | HTTPResponse:
    """Check the session and the watched case (refusals audited); the view to serve."""
    async with database(request).session() as session:
        identity = await identify(session, request.cookies.get(COOKIE))
        if identity is None:
            return error(401, "login_required", LOGIN_REQUIRED)
        watched = Watched()
        case_id = (request.args.get("case") or "")[:16] or None
        if case_id is not None:
            case = await session.get(Case, case_id)
            if case is None or not access.can_view(case, identity):
                audit(session, "access_denied", counsellor_id=identity.counsellor_id,
                      case_id=case.id if case else None, path=request.path)
                return error(403, "forbidden", "Bạn không có quyền xem ca này.")
            watched = Watched(case.id, case.conversation_id, _after(request))
        audit(session, "live_view_opened", counsellor_id=identity.counsellor_id, case_id=case_id)
        await session.execute(update(Counsellor).where(Counsellor.id == identity.counsellor_id)
                              .values(last_seen_at=utcnow()))
    return View(identity, watched)


def _after(request: Request) -> int:
    raw = request.args.get("after", "0")
    return int(raw) if raw.isdigit() and len(raw) < 16 else 0


@bp.get("/events")
async def events(request: Request) -> HTTPResponse | None:
    """Push what changes until the browser leaves (it reconnects after STREAM_SECONDS)."""
    view = await _open(request)
    if isinstance(view, HTTPResponse):
        return view
    feed: ChangeFeed = request.app.ctx.changes
    async with feed.subscribe(view.wants) as changes:  # before the answer: nothing missed
        response = await request.respond(
            content_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        await response.send("retry: 1000\n\n" + frame("hello", {"now": utcnow().isoformat()}))
        started = time.monotonic()
        while time.monotonic() - started < STREAM_SECONDS and not changes.closed:
            change = await changes.next(HEARTBEAT_SECONDS)
            if change is None:
                if changes.closed:
                    break
                beat = ": ping\n\n"
                if view.identity.is_supervisor:
                    figures = await shared_of(request).health(feed.last_id or 0)
                    beat += frame("health", figures)
                await response.send(beat)
            else:
                out, going_on = await _frames(request, view, await _drain(changes, change))
                if out:
                    await response.send("".join(out))
                if not going_on:
                    break
            due = time.monotonic() - view.checked >= CHECK_SECONDS
            if due and not await _still_valid(request, view):
                await response.send(frame("logout", {}))
                break
        await response.eof()
    return None
