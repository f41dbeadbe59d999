"""The office's figures: GET /console/api/reports/summary and /export.csv (supervisor, admin)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, text

from bot.console import auth, reports
from bot.console.guard import database, logged_in, who
from bot.console.health import VIETNAM
from bot.storage.audit import audit
from bot.storage.models import utcnow
from bot.web.errors import error

bp = Blueprint("console_reports", url_prefix="/console/api/reports")


def _period(request: Request) -> reports.Period | HTTPResponse:
    today = utcnow().astimezone(VIETNAM).date()
    try:
        return reports.parse_period(request.args.get("from"), request.args.get("to"), today)
    except reports.BadPeriod as exc:
        return error(400, "invalid_period", f"Khoảng thời gian không hợp lệ: {exc}.")


async def _report(request: Request, action: str) -> tuple[reports.Period, dict] | HTTPResponse:
    """The period's figures, the read audited as `action`; or the 400 for a bad period."""
    period = _period(request)
    if isinstance(period, HTTPResponse):
        return period
    async with database(request).session() as session:
        report = await reports.summary(session, period)
        audit(session, action, counsellor_id=who(request).counsellor_id,
              first=period.first.isoformat(), last=period.last.isoformat())
    return period, report


@bp.get("/summary")
@logged_in(roles=auth.SUPERVISORS)
async def summary(request: Request) -> HTTPResponse:
    """Aggregate, anonymous figures of a period (?from=YYYY-MM-DD&to=YYYY-MM-DD)."""
    found = await _report(request, "report_viewed")
    return found if isinstance(found, HTTPResponse) else json(found[1])


@bp.get("/export.csv")
@logged_in(roles=auth.SUPERVISORS)
async def export(request: Request) -> HTTPResponse:
    """The same figures as CSV (section, key, label, value)."""
    found = await _report(request, "report_exported")
    if isinstance(found, HTTPResponse):
        return found
    period, report = found
    name = f"bao-cao-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return text("\ufeff" + reports.csv_text(report, period),  # BOM: Excel reads UTF-8
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'})
