"""The "Cần xem" list: a doubtful message is listed, read (audited), taken over or dismissed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.storage.models import AuditEntry, Case, Conversation, Review
from devtools.chat_client import ChatSessions
from devtools.fakes.rasa import FakeRasa
from tests.console.conftest import Console, make_account

DOUBTFUL = "hôm nay em được điểm mười môn toán"


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """A fake Rasa that reads DOUBTFUL as a risk intent (so the triage is in doubt)."""
    fake = FakeRasa().start()
    fake.says(DOUBTFUL, "risk_sexual_abuse", 0.97)
    fake.says(DOUBTFUL + " nha", "risk_bullying", 0.97)
    yield fake
    fake.stop()


SESSIONS = ChatSessions()


async def chat(url: str, user: str, text: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url) as client:
        return await SESSIONS.answer(client, user, text)


async def test_review_is_listed_read_and_taken_over(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    app = running.app
    await make_account(app, "lan")
    body = await chat(running.url, "r-1", DOUBTFUL)
    assert body["triage"] == "review" and body["handoff"]["active"] is False
    client = Console(running.url)
    try:
        await client.login("lan")
        listed = (await client.get("/reviews")).json()["reviews"]
        assert len(listed) == 1 and listed[0]["preview"] == DOUBTFUL
        assert any(r.startswith("rasa:") for r in listed[0]["reason_codes"])
        assert any(r.startswith("Rasa:") for r in listed[0]["reasons"])  # in Vietnamese
        detail = (await client.get(f"/reviews/{listed[0]['id']}")).json()
        assert [m["text"] for m in detail["messages"]][0] == DOUBTFUL
        taken = await client.post(f"/reviews/{listed[0]['id']}/take")
        assert taken.status_code == 200
        again = await client.post(f"/reviews/{listed[0]['id']}/take")
        assert again.status_code == 409
    finally:
        await client.close()
    async with app.ctx.db.session() as session:
        case = await session.get(Case, taken.json()["case_id"])
        assert case is not None and case.source == "review" and case.status == "active"
        conversation = await session.get(Conversation, case.conversation_id)
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert conversation is not None and conversation.state == "counsellor"
    assert {"review_listed", "reviews_viewed", "review_viewed", "review_taken",
            "case_accepted"} <= set(actions)
    # the child is told a counsellor joined
    async with httpx.AsyncClient(base_url=running.url) as http:
        messages = (await SESSIONS.messages(http, "r-1")).json()["messages"]
    assert any(m["author"] == "system" and "tư vấn viên" in m["text"] for m in messages)


async def test_review_is_dismissed_only_with_a_reason(serve, rasa: FakeRasa) -> None:
    running = await serve(rasa_urls=(rasa.url,))
    await make_account(running.app, "minh")
    await chat(running.url, "r-2", DOUBTFUL)
    second = await chat(running.url, "r-2", DOUBTFUL + " nha")
    assert second["triage"] == "review"
    client = Console(running.url)
    try:
        await client.login("minh")
        listed = (await client.get("/reviews")).json()["reviews"]
        assert len(listed) == 1 and listed[0]["messages"] == 2  # one review per conversation
        review_id = listed[0]["id"]
        assert (await client.post(f"/reviews/{review_id}/dismiss", {"reason": " "})
                ).status_code == 400
        assert (await client.post(f"/reviews/{review_id}/dismiss",
                                  {"reason": "điểm số, không có gì đáng lo"})).status_code == 200
        assert (await client.get("/reviews")).json()["reviews"] == []
        assert (await client.post(f"/reviews/{review_id}/dismiss", {"reason": "x"})
                ).status_code == 409
    finally:
        await client.close()
    async with running.app.ctx.db.session() as session:
        review = await session.get(Review, review_id)
    assert review is not None and review.status == "dismissed"
    assert review.resolution == "điểm số, không có gì đáng lo"


async def test_reviews_need_a_login(running) -> None:
    async with httpx.AsyncClient(base_url=running.url) as http:
        assert (await http.get("/console/api/reviews")).status_code == 401
