"""Reports for the office: the JSON contract, small counts hidden, the CSV, periods, who may see."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.console import reports
from bot.console.views import STATIC
from bot.storage.models import Case, Conversation, Message, Referral, Review, User
from tests.console.conftest import make_account

DAY = date(2026, 3, 2)  # a Monday
VENDOR = STATIC / "vendor"


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of a Vietnam day (UTC+7), as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC) - timedelta(
        hours=7)


async def case_of(app: Any, n: int, opened: datetime, *, category: str = "bullying",
                  risk: str = "concern", channel: str = "web", replied_after: float | None = None,
                  timed_out: bool = False) -> str:
    """A case opened at `opened`, with a counsellor's first reply `replied_after` seconds later."""
    async with app.ctx.db.session() as session:
        user = User(channel=channel, pseudonym=f"r{n}")
        session.add(user)
        await session.flush()
        conversation = Conversation(user_id=user.id, channel=channel)
        session.add(conversation)
        await session.flush()
        case = Case(conversation_id=conversation.id, channel=channel, risk=risk,
                    risk_rank={"concern": 1, "high": 2, "imminent": 3}[risk], category=category,
                    source="triage", status="closed", opened_at=opened,
                    timeout_alerted_at=opened if timed_out else None)
        session.add(case)
        await session.flush()
        if replied_after is not None:
            for extra in (0.0, 30.0):  # only the first counsellor message counts
                session.add(Message(conversation_id=conversation.id, case_id=case.id,
                                    direction="out", author="counsellor", text="chào em",
                                    created_at=opened + timedelta(seconds=replied_after + extra)))
        return case.id


async def test_the_summary_keeps_the_contract_and_hides_small_counts(running, console) -> None:
    app = running.app
    await make_account(app, "hoa", role="supervisor")
    waits = [10, 20, 30, 40, 50, 60]
    for n, wait in enumerate(waits):  # six self-harm cases, high, on the web, Monday
        await case_of(app, n, at(DAY, 9, n), category="self_harm", risk="high",
                      replied_after=wait, timed_out=n < 5)
    for n in range(3):  # three bullying cases on Telegram, the next Monday
        await case_of(app, 10 + n, at(DAY + timedelta(days=7), 23, 59), channel="telegram")
    await case_of(app, 20, at(DAY - timedelta(days=1), 23, 59))  # the day before: outside
    await case_of(app, 21, at(DAY + timedelta(days=8), 0, 0))  # the day after: outside
    first = await case_of(app, 22, at(DAY, 0, 0), category="other", risk="imminent")
    async with app.ctx.db.session() as session:
        session.add(Referral(case_id=first, counsellor_id=1, service="police", status="done",
                             created_at=at(DAY, 10)))
        for status in ("taken", "taken", "dismissed", "open", "dismissed", "dismissed"):
            conversation = await session.get(Conversation, 1)
            assert conversation is not None
            session.add(Review(conversation_id=conversation.id, channel="web", status=status,
                               created_at=at(DAY, 11)))
    client = console()
    await client.login("hoa")
    period = f"?from={DAY.isoformat()}&to={(DAY + timedelta(days=7)).isoformat()}"
    body = (await client.get("/reports/summary" + period)).json()

    assert set(body) == {"cases", "first_response_seconds", "timeouts", "referrals", "reviews"}
    assert {"total", "by_category", "by_risk", "by_channel"} <= set(body["cases"])
    assert set(body["first_response_seconds"]) == {"p50", "p95"}
    assert "by_service" in body["referrals"] and set(body["reviews"]) == {
        "total", "taken", "dismissed"}
    assert body["cases"]["total"] == 10
    assert body["cases"]["by_category"]["self_harm"] == 6
    assert body["cases"]["by_category"]["bullying"] == "<5"  # three: hidden
    assert body["cases"]["by_category"]["other"] == "<5"
    assert body["cases"]["by_category"]["trafficking"] == 0  # none is not hidden
    assert body["cases"]["by_risk"] == {"concern": "<5", "high": 6, "imminent": "<5"}
    assert body["cases"]["by_channel"] == {"telegram": "<5", "web": 7}
    assert body["cases"]["by_week"] == {"2026-W10": 7, "2026-W11": "<5"}
    assert body["first_response_seconds"] == {"p50": 35.0, "p95": 57.5}
    assert body["timeouts"] == 5
    assert body["referrals"]["by_service"] == {"police": "<5", "health": 0,
                                               "social_affairs": 0, "school": 0}
    assert body["referrals"]["by_status"]["done"] == "<5"
    assert body["reviews"] == {"total": 6, "taken": "<5", "dismissed": "<5"}
    assert not re.search(r"C[0-9A-F]{10}", str(body))  # no case ids

    exported = await client.get("/reports/export.csv" + period)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "key", "label", "value"]
    found = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert found[("period", "from")] == DAY.isoformat()
    assert found[("cases", "total")] == "10" and found[("timeouts", "total")] == "5"
    assert found[("cases.by_category", "bullying")] == "<5"
    assert found[("cases.by_risk", "high")] == "6"
    assert found[("first_response_seconds", "p95")] == "57.5"
    assert ["cases.by_risk", "high", "Cao", "6"] in rows  # a label a person reads
    assert not re.search(r"C[0-9A-F]{10}", exported.text)


async def test_reports_are_for_supervisors_and_admins_and_refuse_bad_periods(
    running, console
) -> None:
    app = running.app
    for name, role in (("lan", "counsellor"), ("hoa", "supervisor"), ("ad", "admin")):
        await make_account(app, name, role=role)
    lan, hoa, ad = console(), console(), console()
    for client, name in ((lan, "lan"), (hoa, "hoa"), (ad, "ad")):
        await client.login(name)
    assert (await lan.get("/reports/summary")).status_code == 403
    assert (await lan.get("/reports/export.csv")).status_code == 403
    page = await lan.http.get("/console/reports", follow_redirects=False)
    assert page.status_code == 302 and page.headers["location"] == "/console"
    assert (await ad.get("/reports/summary")).status_code == 200  # the last 30 days
    for bad in ("?from=2026-13-01", "?from=2026-03-02&to=2026-03-01",
                "?from=2020-01-01&to=2026-01-01", "?to=yesterday"):
        refused = await hoa.get("/reports/summary" + bad)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_period"
    shown = await hoa.http.get("/console/reports")
    assert shown.status_code == 200
    csp = shown.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_charting_library_is_the_vendored_file_its_readme_names() -> None:
    table = (VENDOR / "README.md").read_text(encoding="utf-8")
    library = (VENDOR / "chart.umd.js").read_bytes()
    assert hashlib.sha256(library).hexdigest() in table
    assert library.startswith(b"/*!\n * Chart.js v4.") and b"MIT License" in library[:300]
    assert (VENDOR / "chart.js.LICENSE.md").exists()
    page = (STATIC / "reports.html").read_text(encoding="utf-8")
    assert '<script src="/console/static/vendor/chart.umd.js" defer></script>' in page
    assert "<script>" not in page and "cdn" not in page.lower()
    assert "@media print" in (STATIC / "reports.css").read_text(encoding="utf-8")


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, "<5"), (4, "<5"), (5, 5), (1001, 1001)])
def test_counts_under_five_are_hidden(count: int, shown: Any) -> None:
    assert reports.hide_small(count) == shown


def test_percentiles_weeks_and_periods() -> None:
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([7.0], 0.95) == 7.0
    assert reports.percentile([10, 20, 30, 40], 0.5) == 25.0
    assert reports.week_of(date(2026, 12, 31)) == "2026-W53"
    period = reports.parse_period("2026-03-01", "2026-03-02", date(2026, 3, 5))
    assert period.start == datetime(2026, 2, 28, 17, tzinfo=UTC)  # midnight in Vietnam
    assert period.end == datetime(2026, 3, 2, 17, tzinfo=UTC)
    assert period.weeks() == ["2026-W09", "2026-W10"]
    default = reports.parse_period(None, None, date(2026, 3, 5))
    assert (default.first, default.last) == (date(2026, 2, 4), date(2026, 3, 5))
