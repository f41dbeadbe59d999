"""The queue, the people a case can go to, canned responses and follow-up reminders."""

from __future__ import annotations

from datetime import timedelta

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy import and_, func, select

from bot.console import queue
from bot.console.guard import database, logged_in, who
from bot.handoff.canned import load_canned
from bot.handoff.states import CaseStatus
from bot.storage.audit import audit
from bot.storage.models import Case, Counsellor, FollowUp, as_utc, utcnow
from bot.web.errors import error

bp = Blueprint("console_queue", url_prefix="/console/api")
ONLINE = timedelta(seconds=75)
REMIND_AHEAD = timedelta(hours=24)


@bp.get("/queue")
@logged_in()
async def get_queue(request: Request) -> HTTPResponse:
    """One page of the queue (filters: scope, risk, category, channel, q; page, size)."""
    identity = who(request)
    try:
        wanted = queue.parse_filter({k: request.args.get(k, "") for k in request.args})
    except queue.BadFilter as exc:
        return error(400, f"invalid_{exc}", "Bộ lọc không hợp lệ.")
    async with database(request).session() as session:
        data = await queue.page(session, identity, wanted)
        audit(session, "queue_viewed", counsellor_id=identity.counsellor_id)
    return json(data)


@bp.get("/counsellors")
@logged_in()
async def counsellors(request: Request) -> HTTPResponse:
    """Active counsellors and supervisors a case can be transferred to: online, load."""
    now = utcnow()
    async with database(request).session() as session:
        rows = (await session.execute(
            select(Counsellor.id, Counsellor.display_name, Counsellor.role,
                   Counsellor.last_seen_at, func.count(Case.id))
            .outerjoin(Case, and_(Case.counsellor_id == Counsellor.id,
                                  Case.status != CaseStatus.CLOSED))
            .where(Counsellor.active.is_(True), Counsellor.role != "admin")
            .group_by(Counsellor.id).order_by(Counsellor.display_name))).all()
    return json({"counsellors": [
        {"id": i, "name": name, "role": role, "load": int(load),
         "online": seen is not None and as_utc(seen) >= now - ONLINE}
        for i, name, role, seen, load in rows]})


@bp.get("/canned")
@logged_in()
async def canned(request: Request) -> HTTPResponse:
    """The canned responses (content/canned_responses.yml), for the composer."""
    return json({"canned": [c.as_dict() for c in load_canned()]})


@bp.get("/follow-ups")
@logged_in()
async def follow_ups(request: Request) -> HTTPResponse:
    """Follow-ups not done and due within a day: the user's own (every one for supervisors)."""
    identity = who(request)
    now = utcnow()
    query = (select(FollowUp, Case.risk).join(Case, Case.id == FollowUp.case_id)
             .where(FollowUp.done_at.is_(None), FollowUp.due_at <= now + REMIND_AHEAD,
                    Case.status != CaseStatus.CLOSED)
             .order_by(FollowUp.due_at).limit(100))
    if not identity.is_supervisor:
        query = query.where(Case.counsellor_id == identity.counsellor_id)
    async with database(request).session() as session:
        rows = (await session.execute(query)).all()
    return json({"now": now.isoformat(), "follow_ups": [
        {"id": f.id, "case_id": f.case_id, "risk": risk, "note": f.note,
         "due_at": as_utc(f.due_at).isoformat(), "due": as_utc(f.due_at) <= now}
        for f, risk in rows]})
