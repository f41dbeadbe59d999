"""Queue health for supervisors, live: waiting, waiting long, high risk, who is online and busy,
time-outs today, and every high-risk conversation (for a supervisor to follow and whisper)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import queue
from bot.handoff.states import CaseStatus
from bot.storage.models import Case, Counsellor, as_utc, utcnow

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time
ONLINE = timedelta(seconds=75)
HIGH_RISK_LIMIT = 100


def start_of_day(moment: datetime, zone: timezone = VIETNAM) -> datetime:
    """Midnight of the moment's day in Vietnam, as UTC."""
    local = as_utc(moment).astimezone(zone)
    return datetime.combine(local.date(), time(0), zone).astimezone(UTC)


async def counsellors_online(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """Counsellors and supervisors with the console open now, and how many cases each holds."""
    rows = (await session.execute(
        select(Counsellor.id, Counsellor.display_name, Counsellor.role, func.count(Case.id))
        .outerjoin(Case, and_(Case.counsellor_id == Counsellor.id,
                              Case.status != CaseStatus.CLOSED))
        .where(Counsellor.active.is_(True), Counsellor.last_seen_at >= now - ONLINE)
        .group_by(Counsellor.id).order_by(func.count(Case.id).desc()))).all()
    return [{"id": i, "name": name, "role": role, "load": int(load)}
            for i, name, role, load in rows]


async def queue_health(session: AsyncSession, now: datetime | None = None) -> dict[str, Any]:
    """The supervisor's live figures and list (no message text, no child identifiers)."""
    moment = now or utcnow()
    timeouts = await session.scalar(
        select(func.count(Case.id)).where(Case.timeout_alerted_at >= start_of_day(moment)))
    high = (await session.scalars(
        select(Case).where(Case.status != CaseStatus.CLOSED, Case.risk_rank >= queue.HIGH,
                           Case.archived_at.is_(None))
        .order_by(*queue.ordered(moment)).limit(HIGH_RISK_LIMIT))).all()
    built = await queue.items(session, high, moment)
    return {
        **await queue.counts(session, moment),
        "timeouts_today": int(timeouts or 0),
        "online": await counsellors_online(session, moment),
        "high_risk": [built[c.id] for c in high],
        "now": moment.isoformat(),
    }
