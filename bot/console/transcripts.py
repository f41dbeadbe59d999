"""A case's transcript, and the child's earlier cases: only what belongs to this case.

A conversation may hold several cases over time. A case's transcript is its own messages,
the chat with the bot around it (from the end of the previous case, at most a day before it
opened, until the next case begins), never another case's messages: those open from the
history list, with a recorded reason, audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Case, Message, as_utc

LIMIT = 1000
CONTEXT_BEFORE = timedelta(hours=24)


def message_row(message: Message) -> dict[str, Any]:
    """A transcript line; the text is plain data, escaped by the page when shown."""
    return {
        "id": message.id,
        "direction": message.direction,
        "author": message.author,
        "text": message.text,
        "kind": message.kind,
        "case_id": message.case_id,
        "created_at": as_utc(message.created_at).isoformat(),
    }


async def _other_cases(session: AsyncSession, case: Case) -> tuple[list[str], list[str]]:
    """Ids of the conversation's cases opened before and after this one."""
    rows = (await session.execute(
        select(Case.id, Case.opened_at).where(Case.conversation_id == case.conversation_id,
                                              Case.id != case.id))).all()
    opened = as_utc(case.opened_at)
    before = [i for i, at in rows if as_utc(at) <= opened]
    after = [i for i, at in rows if as_utc(at) > opened]
    return before, after


async def case_messages(session: AsyncSession, case: Case, after: int = 0,
                        own_only: bool = False) -> list[dict[str, Any]]:
    """The case's transcript after a message id, oldest first (`own_only`: its messages only)."""
    mine = Message.case_id == case.id
    conditions = [Message.conversation_id == case.conversation_id, Message.id > after]
    if own_only:
        conditions.append(mine)
    else:
        before, later = await _other_cases(session, case)
        floor = 0
        if before:
            floor = int(await session.scalar(
                select(func.max(Message.id)).where(Message.case_id.in_(before))) or 0)
        around = [Message.case_id.is_(None), Message.id > floor,
                  Message.created_at >= as_utc(case.opened_at) - CONTEXT_BEFORE]
        if later:
            ceiling = await session.scalar(
                select(func.min(Message.id)).where(Message.case_id.in_(later)))
            if ceiling is not None:
                around.append(Message.id < ceiling)
        conditions.append(or_(mine, and_(*around)))
    rows = await session.scalars(
        select(Message).where(*conditions).order_by(Message.id).limit(LIMIT))
    return [message_row(m) for m in rows.all()]


async def earlier_cases(session: AsyncSession, case: Case) -> list[dict[str, Any]]:
    """The same child's other cases (same conversation), newest first: dates and category."""
    rows = (await session.scalars(
        select(Case).where(Case.conversation_id == case.conversation_id, Case.id != case.id)
        .order_by(Case.opened_at.desc()).limit(50))).all()
    return [{"id": c.id, "opened_at": as_utc(c.opened_at).isoformat(),
             "closed_at": as_utc(c.closed_at).isoformat() if c.closed_at else None,
             "category": c.category, "risk": c.risk, "status": c.status} for c in rows]


async def review_messages(session: AsyncSession, conversation_id: int,
                          since: Any) -> list[dict[str, Any]]:
    """A doubtful chat for the review list: its messages with the bot (no case's), from a day
    before the review was listed."""
    floor = int(await session.scalar(
        select(func.max(Message.id)).where(Message.conversation_id == conversation_id,
                                           Message.case_id.is_not(None))) or 0)
    rows = await session.scalars(
        select(Message).where(Message.conversation_id == conversation_id,
                              Message.case_id.is_(None), Message.id > floor,
                              Message.created_at >= as_utc(since) - CONTEXT_BEFORE)
        .order_by(Message.id).limit(LIMIT))
    return [message_row(m) for m in rows.all()]
