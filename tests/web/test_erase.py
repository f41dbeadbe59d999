"""The page's "Xóa cuộc trò chuyện" goes through the typed erase flow: asked, confirmed, erased."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from bot.erasure import CONFIRM, is_erase_request
from bot.handoff import cases
from bot.safety import SafetyResult, screen
from bot.storage.models import Case, Counsellor, Message
from common.content import bot_text
from devtools.chat_client import ChatSessions

ERASE_REQUEST = bot_text("web_erase_request")


def test_the_page_erase_request_reads_as_an_erase_request_and_nothing_else() -> None:
    assert is_erase_request(ERASE_REQUEST)
    assert screen(ERASE_REQUEST) == SafetyResult()  # no risk, no cue (a grooming cue would add
    # up with the conversation's earlier messages and could open a case instead)


async def test_erase_from_the_page_erases_on_the_server_after_confirming(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        await chats.answer(client, "kid-e", "em thich hoc ve")
        asked = await chats.answer(client, "kid-e", ERASE_REQUEST)
        buttons = asked["replies"][0]["buttons"]
        assert CONFIRM in [b["payload"] for b in buttons]
        done = await chats.answer(client, "kid-e", CONFIRM)
        reloaded = (await chats.messages(client, "kid-e", mine=True)).json()["messages"]
    async with running.app.ctx.db.session() as session:
        texts = [t for t in (await session.scalars(select(Message.text))).all() if t]
    assert texts == [done["replies"][0]["text"]]  # only the confirmation remains
    assert [(m["author"], m["text"]) for m in reloaded] == [("bot", texts[0])]


async def test_erase_request_inside_a_case_keeps_the_case_record(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    async with httpx.AsyncClient(base_url=running.url) as client:
        case = await chats.answer(client, "kid-c", "bo em danh em dau lam")
        assert case["handoff"]["active"]
        asked = await chats.answer(client, "kid-c", ERASE_REQUEST)
        await chats.post(client, "kid-c", CONFIRM)
    assert not any(b["payload"] == CONFIRM for r in asked["replies"] for b in r["buttons"])
    async with running.app.ctx.db.session() as session:
        texts = (await session.scalars(select(Message.text))).all()
    assert "bo em danh em dau lam" in texts


async def test_after_a_closed_case_the_erased_chat_stays_off_the_childs_screen(
    serve, chats: ChatSessions
) -> None:
    running = await serve()
    app = running.app
    async with httpx.AsyncClient(base_url=running.url) as client:
        opened = await chats.answer(client, "kid-k", "bo em danh em dau lam")
        async with app.ctx.db.session() as session:
            counsellor = Counsellor(username="lan", display_name="Cô Lan", password_hash="x")
            session.add(counsellor)
            await session.flush()
            case = await session.get(Case, opened["handoff"]["case_id"])
            assert case is not None
            await cases.accept(session, case, counsellor)
            await cases.send_counsellor_message(session, case, counsellor, "Cô ở đây với em.")
            await cases.close(session, case, counsellor)
        await chats.answer(client, "kid-k", ERASE_REQUEST)
        done = await chats.answer(client, "kid-k", CONFIRM)
        reloaded = (await chats.messages(client, "kid-k", mine=True)).json()["messages"]
        later = await chats.answer(client, "kid-k", "em chao ban")
        after_more = (await chats.messages(client, "kid-k", mine=True)).json()["messages"]
    assert [m["text"] for m in reloaded] == [done["replies"][0]["text"]]
    assert [m["text"] for m in after_more][:2] == [done["replies"][0]["text"], "em chao ban"]
    assert later["replies"]
    async with app.ctx.db.session() as session:
        kept = (await session.scalars(select(Message.text).where(Message.case_id.is_not(None))))
        assert "Cô ở đây với em." in kept.all()  # the case record stays for counsellors
