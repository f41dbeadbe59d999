"""Supervisors' and admins' routes: queue health, coalesced alerts, accounts and last logins."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy import func, select

from bot.console import auth, health, queries
from bot.console.guard import database, logged_in, who
from bot.handoff import alerts as alert_rules
from bot.storage.audit import actor_of, audit
from bot.storage.models import Alert, AuditEntry, Counsellor, as_utc
from bot.web.errors import error

bp = Blueprint("console_supervisor", url_prefix="/console/api")
ADMINS = frozenset({"admin"})


@bp.get("/supervisor/health")
@logged_in(roles=auth.SUPERVISORS)
async def queue_health(request: Request) -> HTTPResponse:
    """Waiting, waiting over 5 minutes, high-risk waiting, who is online, time-outs today."""
    identity = who(request)
    async with database(request).session() as session:
        figures = await health.queue_health(session)
        audit(session, "supervision_viewed", counsellor_id=identity.counsellor_id)
    return json(figures)


@bp.get("/alerts")
@logged_in(roles=auth.SUPERVISORS)
async def alerts(request: Request) -> HTTPResponse:
    """Supervisor alerts not yet acknowledged (one per kind and case or channel, counted)."""
    identity = who(request)
    async with database(request).session() as session:
        rows = await queries.open_alerts(session)
        audit(session, "alerts_viewed", counsellor_id=identity.counsellor_id)
    return json({"alerts": rows})


@bp.post("/alerts/<alert_id:int>/ack")
@logged_in(roles=auth.SUPERVISORS)
async def acknowledge(request: Request, alert_id: int) -> HTTPResponse:
    """A supervisor acknowledges an alert."""
    identity = who(request)
    async with database(request).session() as session:
        alert = await session.get(Alert, alert_id)
        supervisor = await session.get(Counsellor, identity.counsellor_id)
        if alert is None or supervisor is None:
            return error(404, "not_found", "Không tìm thấy cảnh báo.")
        await alert_rules.acknowledge(session, alert, supervisor)
    return json({"ok": True})


@bp.get("/accounts")
@logged_in(roles=ADMINS)
async def accounts(request: Request) -> HTTPResponse:
    """Every console account, its role, whether it is active, and its last login."""
    identity = who(request)
    async with database(request).session() as session:
        rows = (await session.scalars(select(Counsellor).order_by(Counsellor.username))).all()
        logins = dict((await session.execute(  # for logins recorded before last_login_at existed
            select(AuditEntry.actor, func.max(AuditEntry.at))
            .where(AuditEntry.action == "login").group_by(AuditEntry.actor))).all())
        audit(session, "accounts_viewed", counsellor_id=identity.counsellor_id)
    return json({"accounts": [
        {"id": c.id, "username": c.username, "display_name": c.display_name, "role": c.role,
         "active": c.active, "created_at": as_utc(c.created_at).isoformat(),
         "last_login_at": _latest(c.last_login_at, logins.get(actor_of(c.id)))}
        for c in rows]})


def _latest(*moments: object) -> str | None:
    known = [as_utc(m) for m in moments if m is not None]  # type: ignore[arg-type]
    return max(known).isoformat() if known else None
