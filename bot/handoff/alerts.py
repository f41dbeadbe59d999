"""Supervisor alerts, coalesced: one open alert per kind and case (or subject), counted.

A flood of time-outs or a burst of new cases is one line on the supervisor's screen with a
count, never hundreds of rows. A burst of cases from one source (many new pseudonyms on one
channel in a short window) is flagged, never refused: a school's shared connection may carry
many real children.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.changefeed import ChangeKind, record
from bot.handoff.states import AlertKind
from bot.storage.audit import audit
from bot.storage.models import Alert, Case, Conversation, Counsellor, User, utcnow


def alert_key(kind: AlertKind | str, case_id: str | None = None, subject: str = "") -> str:
    """The de-duplication key of an open alert."""
    return f"{kind}:{case_id or subject}"[:64]


async def _open_alert(session: AsyncSession, key: str) -> Alert | None:
    return await session.scalar(
        select(Alert).where(Alert.dedupe_key == key, Alert.acknowledged_at.is_(None))
        .with_for_update())


async def raise_alert(session: AsyncSession, kind: AlertKind, *, case_id: str | None = None,
                      subject: str = "", count: int | None = None) -> Alert:
    """Raise an alert, or count it again on the one already open (`count` sets the count)."""
    key, now = alert_key(kind, case_id, subject), utcnow()
    alert = await _open_alert(session, key)
    if alert is None:
        fresh = Alert(case_id=case_id, kind=kind.value, subject=subject, dedupe_key=key,
                      count=count or 1, created_at=now, updated_at=now)
        if await _inserted(session, fresh):
            await _changed(session, fresh, "raised")
            return fresh
        alert = await _open_alert(session, key)  # another worker opened it meanwhile
        assert alert is not None
    alert.count = count if count is not None else alert.count + 1
    alert.updated_at = now
    await _changed(session, alert, "counted")
    return alert


async def _inserted(session: AsyncSession, alert: Alert) -> bool:
    """Insert an alert unless its open key exists (PostgreSQL: a savepoint; SQLite writes are
    serialised, so a plain insert cannot race)."""
    if session.get_bind().dialect.name == "sqlite":
        session.add(alert)
        await session.flush()
        return True
    try:
        async with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return False
    return True


async def acknowledge(session: AsyncSession, alert: Alert, supervisor: Counsellor) -> None:
    """A supervisor has seen the alert (the next one of its kind opens a new line)."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        audit(session, "alert_acknowledged", counsellor_id=supervisor.id,
              case_id=alert.case_id, alert_id=alert.id)
        await _changed(session, alert, "acknowledged")


async def _changed(session: AsyncSession, alert: Alert, event: str) -> None:
    await record(session, ChangeKind.ALERT, case_id=alert.case_id,
                 detail={"event": event, "kind": alert.kind})


async def new_cases_by_channel(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Cases opened since `since` by users first seen since then, per channel."""
    rows = await session.execute(
        select(Case.channel, func.count(Case.id))
        .join(Conversation, Conversation.id == Case.conversation_id)
        .join(User, User.id == Conversation.user_id)
        .where(Case.opened_at >= since, User.created_at >= since)
        .group_by(Case.channel))
    return {channel: int(n) for channel, n in rows.all()}


async def flag_bursts(session: AsyncSession, threshold: int, window: timedelta,
                      now: datetime | None = None) -> list[str]:
    """Flag each channel where at least `threshold` new users opened cases within `window`.

    The alert's count is the number of such cases in the window (set, not added, so several
    workers running this agree); the cases themselves stay in the queue like any other.
    """
    moment = now or utcnow()
    flagged: list[str] = []
    for channel, count in (await new_cases_by_channel(session, moment - window)).items():
        if count < threshold:
            continue
        open_alert = await _open_alert(session, alert_key(AlertKind.CASE_BURST, None, channel))
        if open_alert is not None and open_alert.count >= count:
            continue
        if open_alert is None:
            audit(session, "case_burst_flagged", channel=channel, cases=count,
                  window_seconds=int(window.total_seconds()))
        await raise_alert(session, AlertKind.CASE_BURST, subject=channel, count=count)
        flagged.append(channel)
    return flagged
