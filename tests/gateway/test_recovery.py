"""A message stored but never answered (the gateway stopped in between) is answered at start."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.chat_types import Inbound
from bot.pipeline import Pipeline
from bot.recovery import answer_unanswered, claim_unanswered
from bot.storage.models import Case, Message, utcnow


async def stored_earlier(pipeline: Pipeline, user: str, text: str) -> int:
    """Store a message as a webhook does, as if the process had died before answering it."""
    arrival = await pipeline.store(Inbound(channel="web", platform_user_id=user, text=text))
    assert arrival is not None
    async with pipeline.db.session() as session:
        await session.execute(update(Message).where(Message.id == arrival.stored.message_id)
                              .values(created_at=utcnow() - timedelta(minutes=5)))
    return arrival.stored.message_id


async def test_a_disclosure_left_unanswered_opens_its_case_at_start(serve) -> None:
    pipeline = (await serve()).app.ctx.pipeline
    message_id = await stored_earlier(pipeline, "crashed-1", "chú hàng xóm sờ vào chỗ kín của em")
    assert await answer_unanswered(pipeline) == 1
    async with pipeline.db.session() as session:
        message = await session.get(Message, message_id)
        replies = await session.scalar(select(func.count()).select_from(Message).where(
            Message.conversation_id == message.conversation_id, Message.direction == "out"))
        cases = await session.scalar(select(func.count()).select_from(Case))
    assert message.triage["decision"] == "escalate"
    assert replies == 1 and cases == 1
    assert await answer_unanswered(pipeline) == 0  # answered once only


async def test_two_workers_never_claim_the_same_message(serve) -> None:
    pipeline = (await serve()).app.ctx.pipeline
    for n in range(3):
        await stored_earlier(pipeline, f"crashed-{n}", "xin chào")
    first, second = await asyncio.gather(claim_unanswered(pipeline), claim_unanswered(pipeline))
    claimed = [a.stored.message_id for a in first + second]
    assert len(claimed) == len(set(claimed)) == 3


async def test_a_message_still_being_answered_is_left_alone(serve) -> None:
    pipeline = (await serve()).app.ctx.pipeline
    arrival = await pipeline.store(Inbound(channel="web", platform_user_id="live", text="hi"))
    assert arrival is not None
    assert await claim_unanswered(pipeline) == []
