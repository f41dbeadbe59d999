"""A user's request to erase their data: asked, confirmed with a button, then done."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.privacy import receipt_of
from bot.storage.audit import audit
from bot.storage.db import checkpoint_after_commit
from bot.storage.models import Conversation, InboundReceipt, Message, OutboxItem, User, utcnow
from common.vietnamese import normalize

CONFIRM = "/erase_confirm"
CANCEL = "/erase_cancel"
CHUNK = 500
_REQUEST = re.compile(
    r"\b(xoa|xoa het|xoa sach|delete)\b.{0,20}\b(du lieu|tin nhan|lich su|thong tin)\b"
    r"|\bxoa du lieu\b|\berase\b"
)


def is_erase_request(text: str) -> bool:
    """True when the user asks to erase their data or messages."""
    return bool(_REQUEST.search(normalize(text).folded))


async def erase_user_data(
    session: AsyncSession, conversation: Conversation, keep_message_id: int | None = None
) -> int:
    """Blank the text of the user's messages outside cases and forget every platform id of
    the conversation; case records stay for counsellors. On SQLite the WAL is checkpointed
    after the commit, so the erased text is left neither in the WAL nor in free pages."""
    result = await session.execute(
        update(Message)
        .where(Message.conversation_id == conversation.id, Message.case_id.is_(None))
        .values(text=None, buttons=[])
        .execution_options(synchronize_session=False)
    )
    await forget_platform_ids(session, conversation, keep_message_id)
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
    checkpoint_after_commit(session)
    return erased


async def forget_platform_ids(
    session: AsyncSession, conversation: Conversation, keep_message_id: int | None = None
) -> None:
    """Delete the conversation's de-duplication receipts and clear its messages' platform
    ids (except the message being answered, whose receipt still guards against a retry)."""
    rows = await session.execute(
        select(Message.id, Message.direction, Message.platform_id).where(
            Message.conversation_id == conversation.id, Message.platform_id.is_not(None)
        )
    )
    found = [(i, d, p or "") for i, d, p in rows.all() if i != keep_message_id]
    receipts = sorted({receipt_of(p) for _, d, p in found if d == "in"})
    for chunk in _chunks(receipts):
        await session.execute(
            delete(InboundReceipt).where(
                InboundReceipt.channel == conversation.channel,
                InboundReceipt.platform_id.in_(chunk),
            )
        )
    for ids in _chunks([i for i, _, _ in found]):
        await session.execute(
            update(Message).where(Message.id.in_(ids)).values(platform_id=None)
            .execution_options(synchronize_session=False)
        )


def _chunks(values: Sequence[object]) -> list[Sequence[object]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]
