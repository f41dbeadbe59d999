"""The review list ("Cần xem"): conversations the triage was unsure about.

A review never locks the chat. A counsellor reads the transcript, then takes the conversation
over (a case opens and the child is told a counsellor joined) or dismisses it with a reason;
both are audited. One open review per conversation gathers its doubtful messages.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.changefeed import ChangeKind, record
from bot.handoff.cases import accept, open_or_raise
from bot.handoff.errors import ReasonNeeded, ReviewHandled
from bot.safety.triage import Triage
from bot.storage.audit import audit
from bot.storage.models import Case, Conversation, Counsellor, Review, utcnow

MAX_REASON = 500


async def _changed(session: AsyncSession, review: Review, event: str) -> None:
    await record(session, ChangeKind.REVIEW, conversation_id=review.conversation_id,
                 case_id=review.case_id, detail={"event": event, "review_id": review.id})


async def open_review(session: AsyncSession, conversation_id: int) -> Review | None:
    """The conversation's open review, if any."""
    return await session.scalar(
        select(Review)
        .where(Review.conversation_id == conversation_id, Review.status == "open")
        .order_by(Review.id.desc())
        .limit(1)
    )


async def note_review(
    session: AsyncSession, conversation: Conversation, message_id: int, triage: Triage
) -> Review:
    """Put the conversation on the review list, or add this message to its open review."""
    review = await open_review(session, conversation.id)
    now = utcnow()
    if review is None:
        review = Review(
            conversation_id=conversation.id,
            message_id=message_id,
            channel=conversation.channel,
            score=triage.score,
            risk=triage.risk.value if triage.risk.value != "none" else "concern",
            category=triage.category,
            reasons=list(triage.reasons),
            created_at=now,
            updated_at=now,
        )
        session.add(review)
        await session.flush()
        audit(session, "review_listed", review_id=review.id, score=round(triage.score, 3))
        await _changed(session, review, "listed")
        return review
    review.messages += 1
    review.updated_at = now
    if triage.score >= review.score:
        review.score, review.message_id = triage.score, message_id
        review.reasons = list(triage.reasons)
        review.category = triage.category or review.category
    await _changed(session, review, "updated")
    return review


async def take(session: AsyncSession, review: Review, counsellor: Counsellor) -> Case:
    """A counsellor takes the conversation over: a case opens, accepted by them."""
    if review.status != "open":
        raise ReviewHandled()
    conversation = await session.get(Conversation, review.conversation_id)
    if conversation is None:  # pragma: no cover - guarded by the foreign key
        raise ReviewHandled("review without conversation")
    case, _created = await open_or_raise(
        session, conversation, risk=review.risk, category=review.category, source="review",
        reasons=list(review.reasons),
    )
    await accept(session, case, counsellor)
    review.status, review.resolved_at, review.resolved_by = "taken", utcnow(), counsellor.id
    review.case_id = case.id
    audit(session, "review_taken", counsellor_id=counsellor.id, case_id=case.id,
          review_id=review.id)
    await _changed(session, review, "taken")
    return case


async def dismiss(
    session: AsyncSession, review: Review, counsellor: Counsellor, reason: str
) -> None:
    """A counsellor dismisses the review, saying why (kept for the record, audited)."""
    if review.status != "open":
        raise ReviewHandled()
    reason = reason.strip()
    if not reason:
        raise ReasonNeeded()
    review.status, review.resolved_at, review.resolved_by = "dismissed", utcnow(), counsellor.id
    review.resolution = reason[:MAX_REASON]
    audit(session, "review_dismissed", counsellor_id=counsellor.id, review_id=review.id)
    await _changed(session, review, "dismissed")
