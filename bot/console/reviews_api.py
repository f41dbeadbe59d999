"""The console's "Cần xem" list: doubtful conversations to read, take over or dismiss."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console import transcripts
from bot.console.guard import database, logged_in, who
from bot.console.labels import case_error
from bot.handoff import reviews
from bot.handoff.errors import CaseError
from bot.safety.explain import in_vietnamese
from bot.storage.audit import audit
from bot.storage.models import Counsellor, Message, Review, as_utc
from bot.web.errors import error, json_body

bp = Blueprint("console_reviews", url_prefix="/console/api/reviews")
LIST_LIMIT = 200
PREVIEW = 160
NOT_FOUND = "Không tìm thấy mục cần xem này."


def review_row(review: Review, preview: str | None) -> dict[str, object]:
    """A review as a list row: score, risk, category, reasons and a short preview."""
    text = (preview or "").strip()
    return {
        "id": review.id,
        "status": review.status,
        "score": round(review.score, 3),
        "risk": review.risk,
        "category": review.category,
        "reasons": in_vietnamese(review.reasons or []),
        "reason_codes": list(review.reasons or []),
        "channel": review.channel,
        "messages": review.messages,
        "preview": text[:PREVIEW] + ("…" if len(text) > PREVIEW else ""),
        "created_at": as_utc(review.created_at).isoformat(),
        "updated_at": as_utc(review.updated_at).isoformat(),
        "case_id": review.case_id,
    }


@bp.get("")
@logged_in()
async def list_reviews(request: Request) -> HTTPResponse:
    """Open reviews, highest score first."""
    identity = who(request)
    async with database(request).session() as session:
        rows = (
            await session.execute(
                select(Review, Message.text)
                .outerjoin(Message, Message.id == Review.message_id)
                .where(Review.status == "open")
                .order_by(Review.score.desc(), Review.id)
                .limit(LIST_LIMIT)
            )
        ).all()
        audit(session, "reviews_viewed", counsellor_id=identity.counsellor_id)
    return json({"reviews": [review_row(review, text) for review, text in rows]})


@bp.get("/<review_id:int>")
@logged_in()
async def get_review(request: Request, review_id: int) -> HTTPResponse:
    """A review with the conversation's transcript (reading it is audited)."""
    identity = who(request)
    async with database(request).session() as session:
        review = await session.get(Review, review_id)
        if review is None:
            return error(404, "not_found", NOT_FOUND)
        preview = await session.scalar(select(Message.text).where(Message.id == review.message_id))
        messages = await transcripts.review_messages(session, review.conversation_id,
                                                     review.created_at)
        audit(session, "review_viewed", counsellor_id=identity.counsellor_id,
              review_id=review.id)
    return json({"review": review_row(review, preview), "messages": messages})


ReviewAction = Callable[[AsyncSession, Review, Counsellor], Awaitable[dict[str, object]]]


async def _act(request: Request, review_id: int, action: ReviewAction) -> HTTPResponse:
    """Load the review (locked) and the counsellor, run the action, answer its result."""
    identity = who(request)
    async with database(request).session() as session:
        review = await session.get(Review, review_id, with_for_update=True)
        counsellor = await session.get(Counsellor, identity.counsellor_id)
        if review is None or counsellor is None:
            return error(404, "not_found", NOT_FOUND)
        try:
            result = await action(session, review, counsellor)
        except CaseError as exc:
            return error(409, exc.code, case_error(exc.code))
    return json(result)


@bp.post("/<review_id:int>/take")
@logged_in()
async def take(request: Request, review_id: int) -> HTTPResponse:
    """Take the conversation over: a case opens, held by this counsellor."""

    async def run(session: AsyncSession, review: Review, c: Counsellor) -> dict[str, object]:
        case = await reviews.take(session, review, c)
        return {"case_id": case.id}

    return await _act(request, review_id, run)


@bp.post("/<review_id:int>/dismiss")
@logged_in()
async def dismiss(request: Request, review_id: int) -> HTTPResponse:
    """Dismiss the review, with the reason why."""
    body = json_body(request)
    if isinstance(body, HTTPResponse):
        return body
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > reviews.MAX_REASON:
        return error(400, "invalid_reason", "Hãy ghi lý do (tối đa 500 ký tự).")

    async def run(session: AsyncSession, review: Review, c: Counsellor) -> dict[str, object]:
        await reviews.dismiss(session, review, c, reason)
        return {"ok": True}

    return await _act(request, review_id, run)
