"""The queue at scale: filters, search by case id, pages, new high-risk cases on top, previews.

Order (DESIGN.md: risk, then waiting time), with one addition: waiting cases of high or
imminent risk opened in the last few minutes come first, newest first, so a counsellor sees a
new urgent case at once even when hundreds wait (the sound and notification point there).
Items carry no personal data but a short preview of the child's last message (plain text, the
page shows it with textContent), and they are the same for every user: the page knows who it
is. Each item is built once per change and sent to every live view allowed to see it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.console.auth import Identity
from bot.handoff.states import CaseStatus
from bot.safety.explain import in_vietnamese
from bot.storage.models import Case, Counsellor, Message, as_utc, utcnow
from common.taxonomy import CATEGORIES, RISK_LEVELS, RiskLevel

NEW_WINDOW = timedelta(minutes=5)
LONG_WAIT = timedelta(minutes=5)
PREVIEW = 90
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MINE_LIMIT = 100
SCOPES = ("unassigned", "waiting", "mine", "all")
HIGH = RiskLevel.HIGH.rank


class BadFilter(ValueError):
    """A query parameter the queue does not understand."""


@dataclass(frozen=True)
class QueueFilter:
    """What the counsellor asked to see."""

    scope: str = "unassigned"
    risk: str | None = None
    category: str | None = None
    channel: str | None = None
    search: str | None = None
    page: int = 1
    size: int = PAGE_SIZE


def _one_of(args: Mapping[str, str], name: str, allowed: Sequence[str]) -> str | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise BadFilter(name)
    return value


def _number(args: Mapping[str, str], name: str, default: int, top: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise BadFilter(name)
    return int(raw)


def parse_filter(args: Mapping[str, str]) -> QueueFilter:
    """The filter from query parameters (scope, risk, category, channel, q, page, size)."""
    search = "".join(ch for ch in (args.get("q") or "").upper() if ch.isalnum())[:16] or None
    channel = (args.get("channel") or "").strip() or None
    if channel is not None and (len(channel) > 20 or not channel.replace("_", "").isalnum()):
        raise BadFilter("channel")
    return QueueFilter(
        scope=_one_of(args, "scope", SCOPES) or "unassigned",
        risk=_one_of(args, "risk", RISK_LEVELS),
        category=_one_of(args, "category", CATEGORIES),
        channel=channel,
        search=search,
        page=_number(args, "page", 1, 100_000),
        size=_number(args, "size", PAGE_SIZE, MAX_PAGE_SIZE),
    )


def _waiting() -> ColumnElement[bool]:
    return and_(Case.status == CaseStatus.OPEN, Case.counsellor_id.is_(None))


def _new(now: datetime) -> ColumnElement[bool]:
    return and_(_waiting(), Case.risk_rank >= HIGH, Case.opened_at >= now - NEW_WINDOW)


def _mine(who: Identity) -> ColumnElement[bool]:
    return and_(or_(Case.counsellor_id == who.counsellor_id,
                    Case.transfer_to_id == who.counsellor_id),
                Case.status != CaseStatus.CLOSED)


def _conditions(who: Identity, wanted: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions of a filter, limited to what this user may see."""
    conditions: list[ColumnElement[bool]] = []
    if not who.is_supervisor:
        conditions += [Case.archived_at.is_(None), or_(_waiting(), _mine(who))]
    if wanted.search:
        conditions.append(Case.id.contains(wanted.search))  # any status, when visible
    elif wanted.scope == "unassigned":
        conditions.append(_waiting())
    elif wanted.scope == "waiting":
        conditions += [_waiting(), Case.opened_at <= now - LONG_WAIT]
    elif wanted.scope == "mine":
        conditions.append(_mine(who))
    else:
        conditions += [Case.status != CaseStatus.CLOSED, Case.archived_at.is_(None)]
    if wanted.risk:
        conditions.append(Case.risk == wanted.risk)
    if wanted.category:
        conditions.append(Case.category == wanted.category)
    if wanted.channel:
        conditions.append(Case.channel == wanted.channel)
    return conditions


def ordered(now: datetime) -> tuple[Any, ...]:
    """New urgent cases first (newest first), then risk, then the longest wait."""
    new = _new(now)
    return (case((new, 0), else_=1), Case.risk_rank.desc(),
            case((new, Case.opened_at), else_=None).desc(),
            case((new, None), else_=Case.opened_at).asc(), Case.id)


async def page(session: AsyncSession, who: Identity, wanted: QueueFilter) -> dict[str, Any]:
    """One page of the queue with its total, and the user's own cases (always first)."""
    now = utcnow()
    conditions = _conditions(who, wanted, now)
    total = int(await session.scalar(select(func.count(Case.id)).where(*conditions)) or 0)
    rows = (await session.scalars(
        select(Case).where(*conditions).order_by(*ordered(now))
        .offset((wanted.page - 1) * wanted.size).limit(wanted.size))).all()
    mine = (await session.scalars(
        select(Case).where(_mine(who)).order_by(*ordered(now)).limit(MINE_LIMIT))).all()
    built = await items(session, [*rows, *mine], now)
    return {
        "items": [built[c.id] for c in rows],
        "mine": [built[c.id] for c in mine],
        "total": total,
        "page": wanted.page,
        "size": wanted.size,
        "counts": await counts(session, now),
        "now": now.isoformat(),
    }


async def counts(session: AsyncSession, now: datetime | None = None) -> dict[str, int]:
    """Queue health in numbers: waiting, waiting over 5 minutes, high-risk waiting."""
    moment = now or utcnow()
    long_wait = moment - LONG_WAIT
    row = (await session.execute(
        select(
            func.count(Case.id),
            func.coalesce(func.sum(case((Case.opened_at <= long_wait, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Case.risk_rank >= HIGH, 1), else_=0)), 0),
        ).where(_waiting()))).one()
    return {"waiting": int(row[0]), "waiting_long": int(row[1]), "high_waiting": int(row[2])}


async def _previews(session: AsyncSession, case_ids: list[str]) -> dict[str, tuple[str, Any]]:
    """The child's last message in each case: a short plain-text preview and its time."""
    if not case_ids:
        return {}
    last = (select(func.max(Message.id)).where(Message.case_id.in_(case_ids),
                                               Message.direction == "in")
            .group_by(Message.case_id))
    rows = await session.execute(
        select(Message.case_id, Message.text, Message.kind, Message.created_at)
        .where(Message.id.in_(last)))
    return {str(case_id): (preview_of(body, kind), at) for case_id, body, kind, at in rows.all()}


def preview_of(body: str | None, kind: str = "text") -> str:
    """A message shortened for a list: one line, at most PREVIEW characters."""
    if body is None:
        return "[đã xóa]" if kind == "text" else f"[{kind}]"
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in body).split())
    return line if len(line) <= PREVIEW else line[: PREVIEW - 1].rstrip() + "…"


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


async def names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Display names of accounts."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Counsellor.id, Counsellor.display_name).where(Counsellor.id.in_(ids)))
    return {row[0]: row[1] for row in rows.all()}


async def items(session: AsyncSession, cases: Sequence[Case],
                now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Queue items by case id (the same for every user)."""
    moment = now or utcnow()
    previews = await _previews(session, list({c.id for c in cases}))
    who = await names(session, {i for c in cases for i in (c.counsellor_id, c.transfer_to_id)
                                if i is not None})
    result: dict[str, dict[str, Any]] = {}
    for c in cases:
        preview, preview_at = previews.get(c.id, ("", None))
        opened = as_utc(c.opened_at)
        result[c.id] = {
            "id": c.id,
            "risk": c.risk,
            "risk_rank": c.risk_rank,
            "category": c.category,
            "status": c.status,
            "step": c.step,
            "channel": c.channel,
            "source": c.source,
            "opened_at": opened.isoformat(),
            "accepted_at": _iso(c.accepted_at),
            "closed_at": _iso(c.closed_at),
            "archived_at": _iso(c.archived_at),
            "counsellor_id": c.counsellor_id,
            "counsellor_name": who.get(c.counsellor_id) if c.counsellor_id else None,
            "transfer_to_id": c.transfer_to_id,
            "transfer_to_name": who.get(c.transfer_to_id) if c.transfer_to_id else None,
            "alerted": c.timeout_alerted_at is not None,
            "reasons": in_vietnamese(c.reasons or [])[:4],
            "reason_codes": list(c.reasons or [])[:4],
            "preview": preview,
            "preview_at": _iso(preview_at),
            "new": (c.status == CaseStatus.OPEN and c.counsellor_id is None
                    and c.risk_rank >= HIGH and opened >= moment - NEW_WINDOW),
        }
    return result


async def item(session: AsyncSession, case_id: str) -> dict[str, Any] | None:
    """One case as a queue item (None when it no longer exists)."""
    found = await session.get(Case, case_id)
    if found is None:
        return None
    return (await items(session, [found]))[found.id]
