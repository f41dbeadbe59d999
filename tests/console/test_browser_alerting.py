"""Headless Chromium: a new high-risk case sounds (Web Audio) and notifies (Notification API);
both can be turned off, and the choice is remembered by the browser."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.console.conftest import PASSWORD, make_account, make_case

pytestmark = pytest.mark.browser
SECRET_TEXT = "em bị đánh ở nhà"

# Count what the page asks the browser for (Chromium headless plays and shows nothing).
RECORDER = """
window.__notes = [];
window.__tones = 0;
const RealNotification = window.Notification;
class Recorded extends RealNotification {
  constructor(title, options) { super(title, options); window.__notes.push([title, options.body]); }
}
Object.defineProperty(Recorded, 'permission', { get: () => RealNotification.permission });
Recorded.requestPermission = () => RealNotification.requestPermission();
window.Notification = Recorded;
const realOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__tones += 1;
  return realOscillator.call(this);
};
"""


async def test_sound_and_notification_for_new_urgent_cases_can_be_turned_off(
    serve, browser
) -> None:
    running = await serve()
    await make_account(running.app, "lan")
    context = await browser.new_context()
    await context.grant_permissions(["notifications"], origin=running.url)
    await context.add_init_script(RECORDER)
    page = await context.new_page()
    await page.goto(running.url + "/console")
    await page.get_by_test_id("login-username").fill("lan")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page).to_have_url(re.compile(r"/console$"))
    await expect(page.get_by_test_id("live-status")).to_contain_text("Trực tuyến")
    sound, notify = page.get_by_test_id("sound-toggle"), page.get_by_test_id("notify-toggle")
    await expect(sound).to_have_text("🔔 Âm báo: bật")  # sound on by default
    await notify.click()
    await expect(notify).to_have_text("Thông báo: bật")
    await page.reload()
    await expect(notify).to_have_text("Thông báo: bật")  # remembered by this browser
    await expect(page.get_by_test_id("live-status")).to_contain_text("Trực tuyến")
    await page.get_by_test_id("tab-queue").click()  # a click lets the page play sound

    case_id = await make_case(running.app, "imminent", text=SECRET_TEXT)
    await expect(page.get_by_test_id("queue").locator("[data-testid=queue-item]")).to_have_count(1)
    await page.wait_for_function("window.__notes.length === 1 && window.__tones > 0")
    title, body = (await page.evaluate("window.__notes"))[0]
    assert "nguy cơ" in title and case_id in body
    assert SECRET_TEXT not in title + body  # no message text on a desktop notification

    await sound.click()
    await notify.click()
    await expect(sound).to_have_text("🔔 Âm báo: tắt")
    await expect(notify).to_have_text("Thông báo: tắt")
    tones = await page.evaluate("window.__tones")
    second = await make_case(running.app, "high")
    await expect(page.get_by_test_id("queue").locator(f"[data-case-id={second}]")).to_be_visible()
    assert await page.evaluate("window.__notes.length") == 1
    assert await page.evaluate("window.__tones") == tones
    await context.close()
