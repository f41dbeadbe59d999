"""Headless Chromium at a phone's size (390×844): the child's page, end to end.

One welcome; a lesson and a quiz with buttons (old ones disabled, quiz options shown once); a
reload keeps both sides; a counsellor's message and typing are pushed; erase on the server;
quick exit. The gateway runs in-process with a fake Rasa; no request leaves the machine.
Screenshots: docs/chat-phone-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, Route, expect
from sqlalchemy import select

from bot.handoff import cases
from bot.storage.models import Message
from common.content import bot_text
from devtools.fakes.rasa import FakeRasa
from tests.web.support import as_counsellor, counsellor_for_the_case, counsellor_types

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"width": 390, "height": 844}
WAIT_MS = 15_000
PUSHED_WITHIN_MS = 1_000  # the brief's bound for a counsellor's message to reach the page
NEUTRAL = "https://www.google.com/search?q=thoi+tiet"
WELCOME = "Chào bạn! Mình là Bạn Nhỏ An Toàn. Bạn muốn làm gì nào?"
MENU = [{"title": "📚 Học bài", "payload": "/start_lesson"},
        {"title": "❓ Đố vui", "payload": "/start_quiz"}]
QUESTION = "❓ Câu đố số 1:\nAi được chạm vào vùng đồ lót của em?\nA. Người lạ\nB. Không ai cả"
OPTIONS = [{"title": "A. Người lạ", "payload": '/answer{"option":"a"}'},
           {"title": "B. Không ai cả", "payload": '/answer{"option":"b"}'}]
DISCLOSURE = "chú hàng xóm hay sờ vào chỗ kín của em"
REPLY = "Cô là Lan. Cô ở đây với em. Em đang ở đâu, có an toàn không?"


def script_rasa(rasa: FakeRasa) -> None:
    """The menu, a two-step lesson and a quiz question, as Rasa's actions send them."""
    rasa.answers(bot_text("web_greeting"), [{"text": WELCOME, "buttons": MENU}])
    rasa.answers("/start_lesson", [{"text": "Bài: Quy tắc đồ lót. Bước 1: ...", "buttons": [
        {"title": "➡️ Tiếp", "payload": "/next_step"}]}])
    rasa.answers("/next_step", [{"text": "Bước 2: Nói KHÔNG, chạy đi, kể lại.", "buttons": [
        {"title": "🏠 Menu", "payload": "/show_menu"}]}])
    rasa.answers("/show_menu", [{"text": "Bạn chọn một mục nhé.", "buttons": MENU}])
    rasa.answers("/start_quiz", [{"text": QUESTION, "buttons": OPTIONS}])
    rasa.answers('/answer{"option":"b"}', [{"text": "✅ Đúng rồi.", "buttons": MENU}])


async def keep_local(route: Route) -> None:
    """Only loopback is reached; the neutral site of the quick exit is a local stand-in."""
    url = route.request.url
    if url.startswith("http://127.0.0.1:"):
        await route.continue_()
    elif url.startswith(NEUTRAL):
        await route.fulfill(status=200, content_type="text/html; charset=utf-8",
                            body="<!doctype html><title>Thời tiết</title><p>Trời nắng</p>")
    else:
        await route.abort()


async def shot(page: Page, name: str) -> None:
    """Save a screenshot of the phone's screen to docs/."""
    DOCS.mkdir(exist_ok=True)
    await page.screenshot(path=str(DOCS / f"chat-phone-{name}.png"))


async def enabled_rows(page: Page) -> int:
    """How many rows of buttons can still be pressed."""
    return int(await page.locator(".buttons:not(.retired)").count())


async def assert_touch_friendly(page: Page) -> None:
    """Every visible control is at least 44 px tall with text of 16 px or more."""
    sizes = await page.eval_on_selector_all(
        "button:not([hidden]), input, a.hotline",
        """els => els.filter(e => e.offsetParent !== null).map(e => ({
            text: e.textContent || e.placeholder, height: e.getBoundingClientRect().height,
            font: parseFloat(getComputedStyle(e).fontSize)}))""")
    assert len(sizes) >= 6
    for size in sizes:
        assert size["height"] >= 44 and size["font"] >= 16, size


async def says(page: Page, text: str) -> None:
    """Type and send a message."""
    await page.get_by_test_id("chat-input").fill(text)
    await page.get_by_test_id("chat-send").click()


async def test_a_child_chats_learns_reloads_is_joined_erases_and_leaves_fast(
    serve, rasa: FakeRasa, browser: Any
) -> None:
    script_rasa(rasa)
    running = await serve(rasa_urls=(rasa.url,), quick_exit_url=NEUTRAL)
    app = running.app
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                        has_touch=True, locale="vi-VN", reduced_motion="reduce")
    await context.route("**/*", keep_local)
    page = await context.new_page()
    await page.goto(running.url + "/")
    log = page.get_by_test_id("chat-log")

    # one welcome, with the menu
    await expect(page.get_by_test_id("msg-bot")).to_have_count(1, timeout=WAIT_MS)
    await expect(page.get_by_test_id("quick-reply")).to_have_count(2)
    await expect(page.get_by_test_id("quick-exit")).to_be_visible()
    await assert_touch_friendly(page)
    assert await log.evaluate("e => getComputedStyle(e).scrollBehavior") == "auto"  # no motion
    await shot(page, "welcome")

    # a lesson with buttons: once answered, older buttons are disabled
    await page.get_by_role("button", name="📚 Học bài").click()
    await expect(log).to_contain_text("Bước 1", timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="❓ Đố vui")).to_be_disabled()
    await page.get_by_role("button", name="➡️ Tiếp").click()
    await expect(log).to_contain_text("Bước 2", timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="➡️ Tiếp")).to_be_disabled()
    assert await enabled_rows(page) == 1
    await page.get_by_role("button", name="🏠 Menu").click()
    quiz = page.get_by_role("button", name="❓ Đố vui")
    await expect(quiz).to_have_count(2, timeout=WAIT_MS)  # the menu again, the old one disabled
    await quiz.last.click()

    # a quiz question: its options once, as buttons
    await expect(page.get_by_role("button", name="B. Không ai cả")).to_be_visible(
        timeout=WAIT_MS)
    question = page.get_by_test_id("msg-bot").last
    await expect(question).to_contain_text("Ai được chạm")
    await expect(question).not_to_contain_text("Không ai cả")
    await assert_touch_friendly(page)
    await shot(page, "quiz")

    # a reload shows both sides, still one welcome, and only the newest buttons live
    await page.reload()
    await expect(page.get_by_test_id("msg-user")).to_have_count(5, timeout=WAIT_MS)
    said = await page.eval_on_selector_all("[data-testid=msg-user]",
                                           "els => els.map(e => e.lastChild.textContent)")
    assert said == [
        bot_text("web_greeting"), "📚 Học bài", "➡️ Tiếp", "🏠 Menu", "❓ Đố vui"]
    await expect(log.get_by_text(WELCOME)).to_have_count(1)
    await expect(page.get_by_role("button", name="B. Không ai cả")).to_be_enabled()
    assert await enabled_rows(page) == 1
    await expect(page.get_by_test_id("msg-bot").last).not_to_contain_text("Không ai cả")
    await page.get_by_role("button", name="B. Không ai cả").click()
    await expect(log).to_contain_text("Đúng rồi", timeout=WAIT_MS)

    # a disclosure: waiting, said honestly; then a counsellor joins, types and writes (pushed)
    await says(page, DISCLOSURE)
    banner = page.get_by_test_id("handoff-banner")
    await expect(banner).to_be_visible(timeout=WAIT_MS)
    await expect(banner).to_have_text(bot_text("web_waiting"))
    ids = await counsellor_for_the_case(app)
    await as_counsellor(app, ids, cases.accept)
    await expect(banner).to_have_text(bot_text("web_joined"), timeout=WAIT_MS)
    await as_counsellor(app, ids, counsellor_types)
    await expect(page.get_by_test_id("typing")).to_be_visible(timeout=WAIT_MS)
    await as_counsellor(app, ids, cases.send_counsellor_message, REPLY)
    await expect(page.get_by_test_id("msg-counsellor")).to_contain_text(
        REPLY, timeout=PUSHED_WITHIN_MS)
    await expect(page.get_by_test_id("typing")).to_be_hidden()
    await shot(page, "counsellor")

    # erase: inside the case the record stays; after it, the typed flow erases on the server
    await page.get_by_test_id("chat-erase").click()
    await expect(page.get_by_test_id("msg-system").last).to_contain_text(
        bot_text("web_erase_in_case"))
    await as_counsellor(app, ids, cases.close)
    await expect(banner).to_be_hidden(timeout=WAIT_MS)
    await page.get_by_test_id("chat-erase").click()
    await expect(log).to_contain_text(bot_text("erase_confirm")[:30], timeout=WAIT_MS)
    await page.locator(".buttons:not(.retired) button").first.click()  # the confirmation
    await expect(page.get_by_test_id("msg-bot").first).to_contain_text(
        bot_text("erase_done"), timeout=WAIT_MS)
    for gone in ("msg-user", "msg-counsellor", "msg-system"):
        await expect(page.get_by_test_id(gone)).to_have_count(0)
    async with app.ctx.db.session() as session:
        outside = (await session.scalars(select(Message.text).where(
            Message.case_id.is_(None), Message.text.is_not(None)).order_by(Message.id))).all()
    assert outside[0] == bot_text("erase_done") and len(outside) <= 2  # and maybe a review line
    shown = await page.get_by_test_id("msg-bot").all_inner_texts()
    await page.reload()
    await expect(page.get_by_test_id("msg-bot")).to_have_count(len(shown), timeout=WAIT_MS)
    assert await page.get_by_test_id("msg-bot").all_inner_texts() == shown
    assert await page.get_by_test_id("msg-counsellor").count() == 0
    await shot(page, "erased")

    # quick exit: away at once, no history entry back to the chat, nothing left in the tab
    await page.add_init_script("window.__kept = JSON.stringify(Object.assign({}, sessionStorage))")
    before = await page.evaluate("history.length")
    assert await page.evaluate("sessionStorage.length") == 1
    await page.get_by_test_id("quick-exit").click()
    await page.wait_for_url(NEUTRAL, timeout=WAIT_MS)
    assert await page.evaluate("history.length") == before
    await page.go_back()
    assert not page.url.startswith(running.url)  # Back does not lead to the chat
    await page.goto(running.url + "/")
    assert await page.evaluate("window.__kept") == "{}"
    await context.close()


async def test_buttons_can_be_reached_and_used_without_a_mouse(
    serve, rasa: FakeRasa, browser: Any
) -> None:
    script_rasa(rasa)
    running = await serve(rasa_urls=(rasa.url,), quick_exit_url=NEUTRAL)
    context = await browser.new_context(viewport=PHONE)
    await context.route("**/*", keep_local)
    page = await context.new_page()
    await page.goto(running.url + "/")
    await expect(page.get_by_test_id("quick-reply")).to_have_count(2, timeout=WAIT_MS)
    order = []
    for _ in range(6):
        await page.keyboard.press("Tab")
        order.append(await page.evaluate(
            "document.activeElement.dataset.testid || document.activeElement.id"))
    assert order[:4] == ["quick-exit", "hotline", "quick-reply", "quick-reply"]
    assert order[4:] == ["chat-input", "chat-send"]
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")  # the second menu button: the quiz
    await expect(page.get_by_role("button", name="A. Người lạ")).to_be_visible(timeout=WAIT_MS)
    await page.get_by_test_id("chat-input").focus()
    await page.keyboard.type("xin chao ban")
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("msg-user").last).to_contain_text("xin chao ban")
    assert await page.evaluate("document.documentElement.lang") == "vi"
    await context.close()


async def test_the_page_cannot_be_framed(serve, browser: Any) -> None:
    running = await serve()
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(running.url + "/static/chat/chat.css")  # same origin, not the chat itself
    async with page.expect_console_message(
        lambda m: "frame-ancestors" in m.text, timeout=WAIT_MS
    ):
        await page.evaluate("""url => { const f = document.createElement('iframe');
                                        f.src = url; f.id = 'framed'; document.body.append(f); }""",
                            running.url + "/")
    assert await page.frame_locator("#framed").get_by_test_id("chat-log").count() == 0
    await context.close()
