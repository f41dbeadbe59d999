"""Headless Chromium: a counsellor finds a doubtful chat on "Cần xem", reads it and takes it over.

The review comes from the real pipeline (a fake Rasa in doubt); a screenshot of the list and the
review is saved to docs/console-review.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from devtools.fakes.rasa import FakeRasa
from tests.console.conftest import PASSWORD, make_account

pytestmark = pytest.mark.browser
DOUBTFUL = "hôm nay em được điểm mười môn toán <b>vui ghê</b>"
SHOT = Path(__file__).resolve().parents[2] / "docs" / "console-review.png"


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """A fake Rasa confident that the message is a risk (so the triage is at least in doubt)."""
    fake = FakeRasa().start()
    fake.says(DOUBTFUL, "risk_online_abuse", 0.99)
    yield fake
    fake.stop()


async def test_counsellor_reads_and_takes_over_a_review(serve, rasa, browser) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    await make_account(running.app, "thu")
    async with httpx.AsyncClient(base_url=running.url) as http:
        body = (await http.post("/api/chat", json={"user_id": "b-1", "text": DOUBTFUL})).json()
    if body["triage"] == "escalate":
        pytest.fail("the learned signal escalated this message on its own; pick another text")
    assert body["triage"] == "review"

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.goto(running.url + "/console")
    await page.get_by_test_id("login-username").fill("thu")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await expect(page).to_have_url(re.compile(r"/console$"))
    item = page.get_by_test_id("reviews").locator("[data-testid=review-item]")
    await expect(item).to_have_count(1, timeout=10_000)
    await expect(page.get_by_test_id("reviews-count")).to_have_text("1")
    await page.get_by_test_id("tab-reviews").click()  # the list beside the queue
    await expect(item.first).to_contain_text(DOUBTFUL)  # shown as text, not HTML
    await item.first.click()
    panel = page.get_by_test_id("review-panel")
    await expect(panel).to_be_visible()
    await expect(page.get_by_test_id("review-reasons")).to_contain_text("Rasa")
    await expect(page.get_by_test_id("review-transcript")).to_contain_text(DOUBTFUL)
    assert await page.get_by_test_id("review-transcript").locator("b").count() == 0
    SHOT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOT), full_page=True)

    await page.get_by_test_id("review-take").click()
    await expect(page.get_by_test_id("case-panel")).to_be_visible(timeout=10_000)
    await expect(page.get_by_test_id("case-reasons")).to_contain_text("Rasa")
    await expect(item).to_have_count(0, timeout=10_000)
