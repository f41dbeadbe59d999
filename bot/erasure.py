"""A user's request to erase their data: asked, confirmed with a button, then done."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.audit import audit
from bot.storage.models import Conversation, Message, OutboxItem, User, utcnow
from common.vietnamese import normalize

CONFIRM = "/erase_confirm"
CANCEL = "/erase_cancel"
_REQUEST = re.compile(
    r"\b(xoa|xoa het|xoa sach|delete)\b.{0,20}\b(du lieu|tin nhan|lich su|thong tin)\b"
    r"|\bxoa du lieu\b|\berase\b"
)


def is_erase_request(text: str) -> bool:
    """True when the user asks to erase their data or messages."""
    return bool(_REQUEST.search(normalize(text).folded))


async def erase_user_data(session: AsyncSession, conversation: Conversation) -> int:
    """Blank the text of the user's messages outside cases; case records stay for counsellors."""
    result = await session.execute(
        update(Message)
        .where(Message.conversation_id == conversation.id, Message.case_id.is_(None))
        .values(text=None, buttons=[])
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.user_id == conversation.user_id, OutboxItem.status != "pending")
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
    user = await session.scalar(select(User).where(User.id == conversation.user_id))
    if user is not None:
        user.erased_at = utcnow()
    erased = int(result.rowcount or 0)  # type: ignore[attr-defined]
    audit(session, "user_data_erased", messages=erased)
    return erased
