"""Store an outgoing message and queue it for its channel in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.changefeed import ChangeKind, record
from bot.chat_types import Reply
from bot.storage.models import Conversation, Message, OutboxItem

# Channels whose messages are fetched by the client instead of pushed through an outbox.
PULL_CHANNELS = frozenset({"web"})


async def post_message(
    session: AsyncSession,
    conversation: Conversation,
    reply: Reply,
    *,
    author: str,
    case_id: str | None = None,
    counsellor_id: int | None = None,
) -> Message:
    """Store a message to the user and, for push channels, add it to the outbox."""
    message = Message(
        conversation_id=conversation.id,
        case_id=case_id,
        direction="out",
        author=author,
        counsellor_id=counsellor_id,
        text=reply.text,
        buttons=[b.as_dict() for b in reply.buttons],
    )
    session.add(message)
    await session.flush()
    await record(session, ChangeKind.MESSAGE, conversation_id=conversation.id, case_id=case_id,
                 detail={"direction": "out", "author": author})
    if conversation.channel not in PULL_CHANNELS:
        session.add(
            OutboxItem(
                message_id=message.id,
                user_id=conversation.user_id,
                channel=conversation.channel,
                payload={**reply.as_dict(), "kind": reply_kind(reply, author, case_id)},
            )
        )
    return message


def reply_kind(reply: Reply, author: str, case_id: str | None) -> str:
    """What a queued message is, for the channel's sender: the reply's own kind, else by author."""
    if reply.kind != "answer":
        return reply.kind
    if author == "counsellor":
        return "counsellor"
    return "case" if case_id is not None else "answer"


def queue_action(session: AsyncSession, conversation: Conversation, action: str) -> None:
    """Queue a channel action (e.g. "wipe") in the chat's order; channels without it skip it."""
    if conversation.channel not in PULL_CHANNELS:
        session.add(OutboxItem(user_id=conversation.user_id, channel=conversation.channel,
                               payload={"action": action}))
