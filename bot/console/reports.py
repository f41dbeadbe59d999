"""Figures for the child-protection office: aggregates only, small counts hidden.

For a period of days (Vietnam time, both ends included): cases by category, risk, channel and
ISO week; time from escalation (the case opening) to the first counsellor message, p50 and
p95 in seconds; time-outs; referrals by service and status; reviews taken and dismissed.

No message text, no ids of cases, children or counsellors. Any count from 1 to 4 is the
string "<5" (in the JSON and the CSV alike); 0 stays 0. Totals are shown as they are, so a
reader could sometimes subtract: the office gets the figures of a period, never a list.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import labels
from bot.console.health import VIETNAM
from bot.handoff.states import REFERRAL_SERVICES, ReferralStatus
from bot.storage.models import Case, Message, Referral, Review, as_utc
from common.taxonomy import CATEGORIES

SMALL = 5
HIDDEN = "<5"
MAX_DAYS = 366
CASE_RISKS = ("concern", "high", "imminent")
Count = int | str


class BadPeriod(ValueError):
    """A period the reports cannot use."""


@dataclass(frozen=True)
class Period:
    """Days from `first` to `last`, both included, in Vietnam time."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first moment of the period, UTC."""
        return datetime.combine(self.first, time(0), VIETNAM).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period, UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(0), VIETNAM).astimezone(UTC)

    def weeks(self) -> list[str]:
        """Every ISO week the period touches, in order."""
        found: list[str] = []
        day = self.first
        while day <= self.last:
            if week_of(day) not in found:
                found.append(week_of(day))
            day += timedelta(days=1)
        return found


def week_of(day: date) -> str:
    """An ISO week label, e.g. 2026-W49."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_period(raw_from: str | None, raw_to: str | None, today: date) -> Period:
    """The period from ?from=YYYY-MM-DD&to=YYYY-MM-DD (default: the last 30 days)."""
    try:
        last = date.fromisoformat(raw_to) if raw_to else today
        first = date.fromisoformat(raw_from) if raw_from else last - timedelta(days=29)
    except ValueError:
        raise BadPeriod("dates must be YYYY-MM-DD") from None
    if first > last:
        raise BadPeriod("'from' is after 'to'")
    if (last - first).days >= MAX_DAYS:
        raise BadPeriod(f"at most {MAX_DAYS} days")
    return Period(first, last)


def hide_small(count: int) -> Count:
    """A count for the office: 1 to 4 become "<5"."""
    return HIDDEN if 0 < count < SMALL else count


def percentile(values: Sequence[float], share: float) -> float | None:
    """The share-th percentile (linear between ranks), None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * share
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 1)


def _tally(keys: Iterable[str], rows: Iterable[tuple[Any, int]],
           missing: str | None = None) -> dict[str, int]:
    """Counts per key: every expected key (0 when absent), plus any other key found."""
    result = dict.fromkeys(keys, 0)
    for key, count in rows:
        name = str(key) if key is not None else missing
        if name is not None:
            result[name] = result.get(name, 0) + int(count)
    return result


async def _grouped(session: AsyncSession, column: Any, *where: Any) -> list[tuple[Any, int]]:
    model = column.class_
    rows = await session.execute(select(column, func.count(model.id)).where(*where)
                                 .group_by(column))
    return [(key, int(n)) for key, n in rows.all()]


async def figures(session: AsyncSession, period: Period) -> dict[str, Any]:
    """The raw figures of a period (counts not yet hidden)."""
    in_period = and_(Case.opened_at >= period.start, Case.opened_at < period.end)
    opened = [as_utc(at) for at in (await session.scalars(
        select(Case.opened_at).where(in_period))).all()]
    weeks = _tally(period.weeks(), ((week_of(at.astimezone(VIETNAM).date()), 1)
                                    for at in opened))
    first_reply = (select(Message.case_id, func.min(Message.created_at).label("at"))
                   .where(Message.author == "counsellor", Message.case_id.is_not(None))
                   .group_by(Message.case_id).subquery())
    waits = [(as_utc(replied) - as_utc(started)).total_seconds() for started, replied in
             (await session.execute(select(Case.opened_at, first_reply.c.at)
                                    .join(first_reply, first_reply.c.case_id == Case.id)
                                    .where(in_period))).all()]
    referral_period = and_(Referral.created_at >= period.start, Referral.created_at < period.end)
    review_period = and_(Review.created_at >= period.start, Review.created_at < period.end)
    reviews = _tally(("open", "taken", "dismissed"),
                     await _grouped(session, Review.status, review_period))
    return {
        "cases": {
            "total": len(opened),
            "by_category": _tally(CATEGORIES, await _grouped(session, Case.category, in_period),
                                  missing="other"),
            "by_risk": _tally(CASE_RISKS, await _grouped(session, Case.risk, in_period)),
            "by_channel": _tally((), await _grouped(session, Case.channel, in_period)),
            "by_week": weeks,
        },
        "first_response_seconds": {"p50": percentile([w for w in waits if w >= 0], 0.5),
                                   "p95": percentile([w for w in waits if w >= 0], 0.95)},
        "timeouts": int(await session.scalar(select(func.count(Case.id)).where(
            in_period, Case.timeout_alerted_at.is_not(None))) or 0),
        "referrals": {
            "total": int(await session.scalar(
                select(func.count(Referral.id)).where(referral_period)) or 0),
            "by_service": _tally(REFERRAL_SERVICES,
                                 await _grouped(session, Referral.service, referral_period)),
            "by_status": _tally(tuple(ReferralStatus),
                                await _grouped(session, Referral.status, referral_period)),
        },
        "reviews": {"total": sum(reviews.values()), "taken": reviews["taken"],
                    "dismissed": reviews["dismissed"]},
    }


def hidden(value: Any) -> Any:
    """The figures with every count hidden below 5 (percentiles and dates untouched)."""
    if isinstance(value, Mapping):
        return {k: (v if k == "first_response_seconds" else hidden(v)) for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return hide_small(value)


async def summary(session: AsyncSession, period: Period) -> dict[str, Any]:
    """The report as the office sees it (DESIGN.md, Contracts)."""
    return hidden(await figures(session, period))


SECTION_LABELS = {
    "by_category": labels.CATEGORY, "by_risk": labels.RISK, "by_channel": labels.CHANNEL,
    "by_service": labels.SERVICE, "by_status": labels.REFERRAL_STATUS,
}


def csv_text(report: Mapping[str, Any], period: Period) -> str:
    """The report as CSV (section, key, label, value), one figure a line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "key", "label", "value"])
    writer.writerow(["period", "from", "", period.first.isoformat()])
    writer.writerow(["period", "to", "", period.last.isoformat()])
    for section, value in report.items():
        _rows(writer, section, value)
    return out.getvalue()


def _rows(writer: Any, section: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        writer.writerow([section, "total", "", "" if value is None else value])
        return
    names = SECTION_LABELS.get(section.rsplit(".", 1)[-1], {})
    for key, inner in value.items():
        if isinstance(inner, Mapping):
            _rows(writer, f"{section}.{key}", inner)
        else:
            writer.writerow([section, key, names.get(key, ""), "" if inner is None else inner])
