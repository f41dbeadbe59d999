"""Messages stored but never answered (the gateway stopped in between) are answered at start.

A webhook answers the platform once the message is stored; if the process dies before the
triage, the message would wait forever with no decision. At start every gateway worker claims
such messages (older than any still being answered, younger than a day) one by one, so that two
workers never answer the same one, and runs them through the rest of the pipeline: a disclosure
still opens its case, and the reply waits in the chat (or the outbox) for the child.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.chat_types import Inbound
from bot.pipeline import Arrival, Pipeline, Stored
from bot.storage.models import Conversation, Message, User, utcnow

log = logging.getLogger("kidsafe.recovery")
STALE_AFTER = timedelta(minutes=2)  # older than any message a live worker is still answering
WITHIN = timedelta(hours=24)
CLAIM = {"decision": "recovering"}  # replaced by the real triage once answered


async def claim_unanswered(pipeline: Pipeline, now: datetime | None = None) -> list[Arrival]:
    """Claim the inbound messages that were stored but never triaged, oldest first."""
    now = now or utcnow()
    arrivals: list[Arrival] = []
    async with pipeline.db.session() as session:
        rows = (await session.execute(
            select(Message, Conversation.user_id, User.channel, User.pseudonym)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(User, User.id == Conversation.user_id)
            .where(Message.direction == "in", Message.triage.is_(None),
                   Message.created_at <= now - STALE_AFTER, Message.created_at >= now - WITHIN)
            .order_by(Message.id)
        )).all()
        for message, user_id, channel, pseudonym in rows:
            claimed = await session.execute(
                update(Message).where(Message.id == message.id, Message.triage.is_(None))
                .values(triage=CLAIM)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another worker took it
            inbound = Inbound(channel=channel, platform_user_id="", text=message.text or "",
                              kind=message.kind)
            arrivals.append(Arrival(inbound, pseudonym,
                                    Stored(user_id, message.conversation_id, message.id)))
    return arrivals


async def answer_unanswered(pipeline: Pipeline) -> int:
    """Answer every message left unanswered by a stopped gateway; how many were answered."""
    answered = 0
    for arrival in await claim_unanswered(pipeline):
        try:
            await pipeline.process(arrival)
            answered += 1
        except Exception:  # noqa: BLE001 - one message must not keep the others unanswered
            log.exception("could not answer stored message %s", arrival.stored.message_id)
    if answered:
        log.warning("answered %d message(s) stored before a stop but never answered", answered)
    return answered
