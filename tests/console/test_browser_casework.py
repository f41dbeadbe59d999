"""Headless Chromium: a shift with 1,000 open cases (issue 10, "Done when").

A counsellor with 1,000 waiting cases finds a child's new high-risk case on top as soon as the
change feed pushes it (the child writes through the real POST /api/chat), works it through
111's steps with a risk assessment, a canned reply, a referral and a transfer to a colleague,
who hands it back with a closing message and closes it; a supervisor opens the reports page
and its CSV, whose counts match the cases this test created. Screenshots go to docs/.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from bot.console.health import VIETNAM
from bot.console.reports import hide_small
from bot.storage.models import utcnow
from common.taxonomy import CATEGORIES
from devtools.seed_cases import seed_open_cases
from tests.console.conftest import PASSWORD, Child, make_account

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"
DISCLOSURE = "em không muốn sống nữa, tối nay em sẽ uống hết thuốc ngủ của mẹ"
WAIT = 20_000
SEEDED = 1000


async def logged_in(browser: Any, url: str, username: str) -> Page:
    """A console page, logged in."""
    page = await browser.new_page(viewport={"width": 1440, "height": 900}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")  # a console in Vietnam
    await page.goto(url + "/console")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page).to_have_url(re.compile(r"/console$"))
    await expect(page.get_by_test_id("live-status")).to_contain_text("Trực tuyến", timeout=WAIT)
    return page


async def child_reads(child: Child, text: str, within: float = 20.0) -> None:
    """Wait until the child's page would show a message containing `text`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not any(text in (m["text"] or "") for m in (await child.inbox())["messages"]):
        assert loop.time() < deadline, f"the child never got {text!r}"
        await asyncio.sleep(0.1)


async def test_a_shift_with_a_thousand_open_cases(serve, browser) -> None:
    running = await serve(escalation_timeout=3600.0)
    app = running.app
    ids = {username: await make_account(app, username, role=role) for username, role in (
        ("lan", "counsellor"), ("minh", "counsellor"), ("hoa", "supervisor"))}
    seeded = await seed_open_cases(app.ctx.db, SEEDED)

    lan = await logged_in(browser, running.url, "lan")
    queue = lan.get_by_test_id("queue").locator("[data-testid=queue-item]")
    await expect(queue).to_have_count(50, timeout=WAIT)  # a page, not a thousand rows
    await expect(lan.get_by_test_id("page-info")).to_contain_text(f"{SEEDED} ca")
    mine_box = await lan.locator("#mine-title").bounding_box()
    queue_box = await lan.get_by_test_id("queue").bounding_box()
    assert mine_box and queue_box and mine_box["y"] < queue_box["y"]  # "Ca của tôi" first

    # the child writes through the real app; the feed pushes the case: it lands on top
    child = Child(running.url, "shift-child")
    answer = await child.says(DISCLOSURE)
    assert answer["handoff"]["active"] and answer["triage"] == "escalate", answer
    assert "111" in " ".join(r["text"] for r in answer["replies"])
    case_id = answer["handoff"]["case_id"]
    await expect(queue.first).to_have_attribute("data-case-id", case_id, timeout=WAIT)
    await expect(queue.first).to_contain_text("MỚI")
    await expect(queue.first).to_contain_text(DISCLOSURE[:40])  # the escaped preview
    await expect(lan.get_by_test_id("page-info")).to_contain_text(f"{SEEDED + 1} ca")
    await expect(lan).to_have_title(re.compile(r"Ca mới"))
    await lan.screenshot(path=str(DOCS / "console-queue.png"))

    # received → assessed → plan → referral, with a canned reply on the way
    await queue.first.click()
    await expect(lan.get_by_test_id("transcript")).to_contain_text(DISCLOSURE, timeout=WAIT)
    await lan.get_by_test_id("accept").click()
    await expect(lan.get_by_test_id("accept")).to_be_hidden(timeout=WAIT)
    canned = lan.get_by_test_id("canned-select")
    await canned.select_option("first_contact_child")
    first_contact = await lan.get_by_test_id("reply-input").input_value()
    assert first_contact.startswith("Chào bạn, mình là tư vấn viên")
    await lan.get_by_test_id("reply-send").click()
    await child_reads(child, first_contact)
    await expect(lan.get_by_test_id("transcript")).to_contain_text(first_contact, timeout=WAIT)

    await lan.get_by_test_id("assess-kind").select_option("self_harm")
    for question, value in (("thoughts", "yes"), ("plan", "yes"), ("means", "no"),
                            ("timeframe", "today")):
        await lan.get_by_test_id(f"q-{question}").select_option(value)
    await lan.get_by_test_id("assess-save").click()
    meta = lan.get_by_test_id("case-meta")
    await expect(meta).to_contain_text("Nguy hiểm tức thời", timeout=WAIT)
    await expect(lan.get_by_test_id("assessments")).to_contain_text("định làm trong hôm nay")
    await lan.get_by_test_id("step-select").select_option("plan")
    await lan.get_by_test_id("step-note").fill("Giữ trẻ an toàn: cất thuốc, gọi người lớn tin cậy")
    await lan.get_by_test_id("step-save").click()
    await lan.get_by_test_id("referral-select").select_option("health")
    await lan.get_by_test_id("referral-note").fill("Trạm y tế xã, hẹn gặp sáng mai")
    await lan.get_by_test_id("referral-save").click()
    await expect(lan.get_by_test_id("referrals")).to_contain_text("Y tế", timeout=WAIT)
    await expect(meta).to_contain_text("Đã chuyển tuyến")
    steps = lan.get_by_test_id("steps")
    for step in ("Tiếp nhận", "Đánh giá", "Lập kế hoạch", "Chuyển tuyến"):
        await expect(steps).to_contain_text(step)
    await expect(steps).to_contain_text("Cô Lan")
    await lan.set_viewport_size({"width": 1440, "height": 1500})
    await lan.evaluate("window.scrollTo(0, 0)")
    await lan.screenshot(path=str(DOCS / "console-case.png"))

    # transfer to a colleague, who accepts; the case leaves lan's sight
    await lan.get_by_test_id("transfer-open").click()
    await lan.get_by_test_id("transfer-to").select_option(str(ids["minh"]))
    await lan.get_by_test_id("transfer-note-input").fill("Hết ca trực, trẻ đang chờ y tế")
    await lan.get_by_test_id("transfer-send").click()
    await expect(lan.get_by_test_id("transfer-note")).to_contain_text("Cô Minh", timeout=WAIT)
    minh = await logged_in(browser, running.url, "minh")
    offered = minh.get_by_test_id("mine").locator("[data-testid=mine-item]")
    await expect(offered).to_have_count(1, timeout=WAIT)
    await offered.first.click()
    await minh.get_by_test_id("transfer-accept").click()
    await expect(minh.get_by_test_id("case-meta")).to_contain_text("Cô Minh", timeout=WAIT)
    await expect(lan.get_by_test_id("case-error")).to_contain_text("không còn quyền",
                                                                   timeout=WAIT)

    # a follow-up, then hand back with a closing message and a confirmation, then close
    tomorrow = (utcnow().astimezone(VIETNAM) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M")
    await minh.get_by_test_id("followup-at").fill(tomorrow)
    await minh.get_by_test_id("followup-note").fill("Gọi lại hỏi trẻ đã gặp y tế chưa")
    await minh.get_by_test_id("followup-save").click()
    await expect(minh.get_by_test_id("followups")).to_contain_text(case_id, timeout=WAIT)
    await minh.get_by_test_id("handback").click()
    closing = await minh.get_by_test_id("closing-input").input_value()
    assert "111" in closing
    await minh.get_by_test_id("closing-send").click()
    await expect(minh.get_by_test_id("handback-dialog")).to_contain_text("xác nhận")
    await minh.get_by_test_id("closing-confirm").check()
    await minh.get_by_test_id("closing-send").click()
    await expect(minh.get_by_test_id("accept")).to_have_text("Tiếp tục trò chuyện",
                                                             timeout=WAIT)
    await child_reads(child, closing)
    assert (await child.inbox())["handoff"]["active"] is False
    await minh.get_by_test_id("close-case").click()
    await minh.get_by_test_id("closing-confirm").check()
    await minh.get_by_test_id("closing-send").click()
    await expect(minh.get_by_test_id("case-meta")).to_contain_text("Đã đóng", timeout=WAIT)
    await expect(minh.get_by_test_id("accept")).to_be_hidden()  # never "Nhận ca" again
    await child.close()

    # the office's figures: the page, its charts and its CSV match what this test created
    hoa = await logged_in(browser, running.url, "hoa")
    await hoa.goto(running.url + "/console/reports")
    today = utcnow().astimezone(VIETNAM).date()
    first = seeded.oldest.astimezone(VIETNAM).date() if seeded.oldest else today
    await hoa.get_by_test_id("report-from").fill(first.isoformat())
    await hoa.get_by_test_id("report-to").fill(today.isoformat())
    await hoa.get_by_test_id("report-show").click()
    await expect(hoa.locator("body[data-ready=yes]")).to_have_count(1, timeout=WAIT)
    expected = expected_report(seeded, answer["handoff"]["category"])
    await expect(hoa.get_by_test_id("k-total")).to_have_text(str(SEEDED + 1))
    await expect(hoa.get_by_test_id("k-timeouts")).to_have_text(str(seeded.timeouts))
    assert await hoa.get_by_test_id("k-p50").inner_text() != "–"  # one human reply measured
    await expect(hoa.get_by_test_id("table-service")).to_contain_text("<5")
    await hoa.screenshot(path=str(DOCS / "console-reports.png"), full_page=True)
    async with hoa.expect_download() as download:
        await hoa.get_by_test_id("report-csv").click()
    saved = await (await download.value).path()
    rows = list(csv.reader(io.StringIO(await asyncio.to_thread(
        Path(saved).read_text, encoding="utf-8-sig"))))
    found = {(section, key): value for section, key, _label, value in rows[1:]}
    for (section, key), value in expected.items():
        assert found[(section, key)] == str(value), (section, key, found[(section, key)], value)
    assert not any(case_id in ",".join(row) for row in rows)  # no ids, aggregates only


def expected_report(seeded: Any, new_category: str) -> dict[tuple[str, str], Any]:
    """The CSV's figures for the seeded cases plus the child's case (imminent, web)."""
    by_category = {c: seeded.by_category[c] for c in CATEGORIES}
    by_category[new_category] += 1
    by_risk = {r: seeded.by_risk[r] for r in ("concern", "high", "imminent")}
    by_risk["imminent"] += 1
    by_channel = dict(seeded.by_channel)
    by_channel["web"] += 1
    figures: dict[tuple[str, str], Any] = {
        ("cases", "total"): SEEDED + 1, ("timeouts", "total"): seeded.timeouts,
        ("referrals", "total"): "<5", ("referrals.by_service", "health"): "<5",
        ("referrals.by_service", "police"): 0, ("referrals.by_status", "made"): "<5",
        ("reviews", "total"): 0, ("reviews", "taken"): 0, ("reviews", "dismissed"): 0,
    }
    for section, counts in (("by_category", by_category), ("by_risk", by_risk),
                            ("by_channel", by_channel)):
        for key, count in counts.items():
            figures[(f"cases.{section}", key)] = hide_small(count)
    return figures
