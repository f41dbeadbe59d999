"""A web chat's messages as the page shows them, and whether a counsellor has joined."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Conversation, Message

PAGE_SIZE = 200
COUNSELLOR_STATES = {"bot": "none", "waiting": "waiting", "counsellor": "joined"}


def shown_text(message: Message, titles: dict[str, str]) -> str:
    """The text shown for a message: a tapped button's title rather than its payload."""
    text = message.text or ""
    if message.direction == "in" and text in titles:
        return titles[text]
    return text


def as_item(message: Message, titles: dict[str, str]) -> dict[str, Any]:
    """One message in the JSON of the messages endpoint and the stream."""
    return {
        "id": message.id,
        "author": message.author,
        "text": shown_text(message, titles),
        "buttons": message.buttons or [],
        "created_at": message.created_at.isoformat(),
    }


async def _titles_before(
    session: AsyncSession, conversation_id: int, before: int
) -> dict[str, str]:
    """Button titles offered just before a message (for a window that starts with a tap)."""
    rows = await session.scalars(
        select(Message.buttons)
        .where(Message.conversation_id == conversation_id, Message.direction == "out",
               Message.id < before)
        .order_by(Message.id.desc())
        .limit(3)
    )
    return {b["payload"]: b["title"] for buttons in rows.all() for b in buttons or []}


async def messages_after(
    session: AsyncSession, conversation_id: int | None, after: int, mine: bool
) -> list[dict[str, Any]]:
    """Messages to the user after an id (and the user's own with `mine`), none before an erasure."""
    if conversation_id is None:
        return []
    # the screen starts after the last erased (blanked) message: an erased chat stays erased
    # for the child, though a case's own messages are kept for its counsellors
    floor = await session.scalar(
        select(func.max(Message.id)).where(Message.conversation_id == conversation_id,
                                           Message.text.is_(None))
    )
    query = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.id > max(after, floor or 0),
        Message.text.is_not(None),
    )
    if not mine:
        query = query.where(Message.direction == "out")
    rows = (await session.scalars(query.order_by(Message.id).limit(PAGE_SIZE))).all()
    titles: dict[str, str] = {}
    if mine and rows and rows[0].direction == "in":
        titles = await _titles_before(session, conversation_id, rows[0].id)
    items = []
    for message in rows:
        items.append(as_item(message, titles))
        if message.direction == "out":
            titles = {b["payload"]: b["title"] for b in message.buttons or []} or titles
    return items


async def counsellor_state(session: AsyncSession, conversation_id: int | None) -> str:
    """'none', 'waiting' (a case waits for a counsellor) or 'joined' (a counsellor has the chat)."""
    if conversation_id is None:
        return "none"
    state = await session.scalar(
        select(Conversation.state).where(Conversation.id == conversation_id)
    )
    return COUNSELLOR_STATES.get(state or "bot", "none")
