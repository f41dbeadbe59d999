"""Headless Chromium: a child escalates in the web chat, a counsellor takes the chat and hands back.

Real gateway process, real Rasa (the `rasa_stack` fixture), account made with the CLI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from devtools.gateway_process import ROOT, GatewayProcess

pytestmark = [pytest.mark.browser, pytest.mark.rasa]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "mat-khau-tu-van-2024"
DISCLOSURE = "chú hàng xóm hay sờ vào chỗ kín của em"
HOSTILE = '<img src=x onerror="document.title=\'XSS\'"><b>em sợ</b>'
REPLY = "Cô là Lan, tư vấn viên. Cảm ơn em đã kể. Em đang ở đâu, có an toàn không?"
SCREENSHOT = ROOT / "docs" / "console.png"
WAIT_MS = 30_000
READY = "/healthz"  # 200 once the gateway, its database and Rasa are ready


@pytest.fixture
def gateway(tmp_path: Path, rasa_stack: Any) -> Iterator[GatewayProcess]:
    """The real gateway on its own SQLite database, talking to the real Rasa."""
    process = GatewayProcess(tmp_path / "gateway", rasa_stack.rasa_url,
                             env={"ESCALATION_TIMEOUT": "600"})
    process.start(wait_for=READY)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make browser`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def create_counsellor(gateway: GatewayProcess) -> None:
    """Create the account the documented way: `python -m bot.cli create-user`."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "create-user", "--username", "lan", "--role",
         "counsellor", "--display-name", "Cô Lan", "--password-stdin"],
        input=PASSWORD + "\n", env=gateway.env, cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def older_lower_risk_case(gateway: GatewayProcess) -> str:
    """Another child asked for a person earlier: a waiting case of lower risk."""
    response = httpx.post(gateway.url + "/api/chat", timeout=30.0,
                          json={"user_id": "earlier-child",
                                "text": "cho em nói chuyện với người thật"})
    handoff = response.json()["handoff"]
    assert handoff["active"] and handoff["risk"] == "concern", handoff
    return str(handoff["case_id"])


def child_case_id(gateway: GatewayProcess, child: Page) -> str:
    """The case of the child's web chat (its id is in the handoff state)."""
    chat = child.evaluate("JSON.parse(sessionStorage.getItem('kidsafe-chat'))")  # this tab's
    state = httpx.get(f"{gateway.url}/api/chat/messages", timeout=10.0, headers={
        "X-Chat-User": chat["userId"], "X-Chat-Session": chat["session"]}).json()
    assert state["handoff"]["active"], state
    return str(state["handoff"]["case_id"])


def child_says(child: Page, text: str) -> None:
    """Type and send one message in the web chat."""
    child.get_by_test_id("chat-input").fill(text)
    child.get_by_test_id("chat-send").click()


def test_child_escalates_counsellor_replies_and_hands_back(
    gateway: GatewayProcess, browser: Browser
) -> None:
    create_counsellor(gateway)
    earlier = older_lower_risk_case(gateway)

    counsellor = browser.new_context(viewport={"width": 1366, "height": 860}).new_page()
    counsellor.goto(gateway.url + "/console")
    expect(counsellor).to_have_url(re.compile(r"/console/login$"))
    counsellor.get_by_test_id("login-username").fill("lan")
    counsellor.get_by_test_id("login-password").fill(PASSWORD)
    counsellor.get_by_test_id("login-submit").click()
    expect(counsellor).to_have_url(re.compile(r"/console$"))
    queue = counsellor.get_by_test_id("queue").locator("[data-testid=queue-item]")
    expect(queue).to_have_count(1, timeout=WAIT_MS)
    base_title = counsellor.title()

    child = browser.new_context().new_page()
    child.goto(gateway.url + "/")
    expect(child.get_by_test_id("msg-bot").first).to_be_visible(timeout=WAIT_MS)  # greeting
    child_says(child, DISCLOSURE)
    expect(child.get_by_test_id("handoff-banner")).to_be_visible(timeout=WAIT_MS)
    expect(child.get_by_test_id("chat-log")).to_contain_text("111")
    case_id = child_case_id(gateway, child)

    # the new case appears without a reload, FIRST (higher risk than the older case)
    expect(queue).to_have_count(2, timeout=WAIT_MS)
    expect(queue.first).to_have_attribute("data-case-id", case_id)
    expect(queue.nth(1)).to_have_attribute("data-case-id", earlier)
    expect(counsellor).to_have_title(re.compile(r"Ca mới"), timeout=5_000)

    queue.first.click()
    expect(counsellor).to_have_title(base_title)  # the alert stops once the counsellor acts
    transcript = counsellor.get_by_test_id("transcript")
    expect(transcript).to_contain_text(DISCLOSURE, timeout=WAIT_MS)
    counsellor.get_by_test_id("accept").click()
    expect(counsellor.get_by_test_id("accept")).to_be_hidden(timeout=WAIT_MS)
    expect(child.get_by_test_id("msg-system").last).to_be_visible(timeout=WAIT_MS)  # joined

    counsellor.get_by_test_id("reply-input").fill(REPLY)
    counsellor.get_by_test_id("reply-send").click()
    expect(child.get_by_test_id("msg-counsellor")).to_contain_text(REPLY, timeout=WAIT_MS)

    # the child's text is shown as text in the console, never run as HTML
    child_says(child, HOSTILE)
    hostile = transcript.locator("[data-testid=transcript-msg][data-author=user]").last
    expect(hostile).to_contain_text(HOSTILE, timeout=WAIT_MS)
    assert transcript.locator("img, b").count() == 0
    assert "XSS" not in counsellor.title()

    counsellor.get_by_test_id("category-select").select_option("sexual_abuse")
    counsellor.get_by_test_id("category-save").click()
    counsellor.get_by_test_id("referral-select").select_option("social_affairs")
    counsellor.get_by_test_id("referral-note").fill("Báo cán bộ bảo vệ trẻ em cấp xã")
    counsellor.get_by_test_id("referral-save").click()
    expect(counsellor.get_by_test_id("referrals")).to_contain_text("Bảo trợ", timeout=WAIT_MS)
    counsellor.get_by_test_id("note-input").fill("Trẻ khoảng 9 tuổi, ở cùng bà. Gọi lại tối nay.")
    counsellor.get_by_test_id("note-save").click()
    expect(counsellor.get_by_test_id("notes")).to_contain_text("ở cùng bà", timeout=WAIT_MS)
    expect(counsellor.get_by_test_id("case-meta")).to_contain_text("Đã chuyển tuyến")

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    counsellor.evaluate("window.scrollTo(0, 0)")  # the sticky case list at the top of the shot
    counsellor.screenshot(path=str(SCREENSHOT), full_page=True)

    bot_before = child.get_by_test_id("msg-bot").count()
    counsellor.get_by_test_id("handback").click()  # asks for a closing message, then confirm
    assert "111" in counsellor.get_by_test_id("closing-input").input_value()
    counsellor.get_by_test_id("closing-confirm").check()
    counsellor.get_by_test_id("closing-send").click()
    expect(child.get_by_test_id("handoff-banner")).to_be_hidden(timeout=WAIT_MS)
    child_says(child, "xin chào")
    child.wait_for_function(
        "n => document.querySelectorAll('[data-testid=msg-bot]').length > n", arg=bot_before,
        timeout=WAIT_MS)
    assert child.get_by_test_id("msg-bot").last.inner_text().strip()
    expect(transcript).to_contain_text("xin chào", timeout=WAIT_MS)  # the console still sees it
