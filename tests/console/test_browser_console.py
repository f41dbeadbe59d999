"""Headless Chromium on the console alone (gateway in-process, no Rasa needed).

A supervisor sees a new case arrive live, the title alert, the timeout alert, and the child's
HTML shown as text.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.console.conftest import PASSWORD, make_account, make_case

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>em sợ'


async def test_supervisor_sees_new_case_alert_and_escaped_text_live(serve, browser) -> None:
    running = await serve(escalation_timeout=1.0)
    await make_account(running.app, "hoa", role="supervisor")
    page = await browser.new_page()
    await page.goto(running.url + "/console")
    await page.get_by_test_id("login-username").fill("hoa")
    await page.get_by_test_id("login-password").fill("wrong-password-here")
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("login-error")).to_contain_text("không thành công")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page).to_have_url(re.compile(r"/console$"))
    await expect(page.get_by_test_id("live-status")).to_contain_text("Trực tuyến")
    await expect(page.get_by_test_id("queue-count")).to_have_text("0")

    case_id = await make_case(running.app, "imminent", text=HOSTILE)
    item = page.get_by_test_id("queue").locator("[data-testid=queue-item]")
    await expect(item).to_have_count(1, timeout=5_000)  # no reload
    await expect(item.first).to_have_attribute("data-case-id", case_id)
    await expect(page).to_have_title(re.compile(r"\(\d\) (Ca mới|Cảnh báo)"), timeout=5_000)

    alert = page.get_by_test_id("alerts").locator("[data-testid=alert]")
    await expect(alert).to_have_count(1, timeout=10_000)  # nobody accepted within 1 s
    await expect(alert.first).to_contain_text(case_id)

    await item.first.click()
    hostile = page.get_by_test_id("transcript").locator("[data-author=user]").first
    await expect(hostile).to_contain_text(HOSTILE)
    assert await page.get_by_test_id("transcript").locator("img, script").count() == 0
    assert await page.evaluate("window.__pwned === undefined")

    await alert.first.get_by_role("button", name="Đã xem").click()
    await expect(alert).to_have_count(0, timeout=5_000)
    await expect(page.get_by_test_id("alerts")).to_be_hidden()
