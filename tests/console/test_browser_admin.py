"""Headless Chromium: the admin sees the console's accounts and their last login."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.console.conftest import PASSWORD, make_account

pytestmark = pytest.mark.browser


async def test_the_admin_sees_accounts_and_last_logins(serve, browser) -> None:
    running = await serve()
    await make_account(running.app, "ad", role="admin")
    await make_account(running.app, "vang")
    page = await browser.new_page()
    await page.goto(running.url + "/console")
    await page.get_by_test_id("login-username").fill("ad")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page).to_have_url(re.compile(r"/console$"))
    rows = page.get_by_test_id("accounts-rows").locator("[data-testid=account]")
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="vang")).to_contain_text("Chưa đăng nhập")
    await expect(rows.filter(has_text="Quản trị")).to_contain_text(re.compile(r"\d{1,2}:\d{2}"))
    await expect(page.get_by_test_id("reports-link")).to_be_visible()
