"""Case routes under /console/api/cases: thin wrappers over bot.handoff.cases transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sqlalchemy.ext.asyncio import AsyncSession

from bot.changefeed import ChangeKind, record, typing_due
from bot.console import queries, transcripts
from bot.console.actions import Invalid, Need, field, load_case, run
from bot.console.guard import database, logged_in, who
from bot.handoff import cases
from bot.handoff.errors import NotFound, ReasonNeeded
from bot.storage.audit import audit
from bot.storage.models import Case, Conversation, Counsellor, User
from bot.web.errors import error

bp = Blueprint("console_cases", url_prefix="/console/api/cases")
REASON_LIMIT = 300
Body = dict[str, Any]


@bp.get("/<case_id:str>")
@logged_in()
async def get_case(request: Request, case_id: str) -> HTTPResponse:
    """A case with its transcript, record and history list (viewing is audited)."""
    identity = who(request)
    async with database(request).session() as session:
        case = await load_case(session, request, case_id)
        if isinstance(case, HTTPResponse):
            return case
        detail = await queries.case_detail(session, case, identity)
        audit(session, "case_viewed", counsellor_id=identity.counsellor_id, case_id=case.id)
    return json(detail)


def _route(path: str, need: Need = Need.ACT, roles: frozenset[str] | None = None) -> Any:
    """Register `POST /<case_id>/<path>` running a transition with permission `need`."""

    def register(action: Any) -> Any:
        async def handler(request: Request, case_id: str) -> HTTPResponse:
            return await run(request, case_id, action, need)

        handler.__name__ = handler.__qualname__ = f"case_{path.replace('/', '_')}"
        handler.__doc__ = action.__doc__
        guarded: Any = logged_in(roles)(handler)
        bp.add_route(guarded, f"/<case_id:str>/{path}", methods=["POST"])
        return action

    return register


@_route("accept", Need.ACCEPT)
async def _accept(session: AsyncSession, case: Case, c: Counsellor, _b: Body) -> None:
    """Take a waiting case (or the chat back from the bot): the child is told."""
    await cases.accept(session, case, c)


@_route("messages")
async def _message(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Send a message to the child on the channel they used."""
    await cases.send_counsellor_message(session, case, c, field(b, "text"))


@_route("notes")
async def _note(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Add a note to the case (the child never sees it)."""
    await cases.add_note(session, case, c, field(b, "text"))


@_route("whisper", Need.WHISPER)
async def _whisper(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """A supervisor's private note to the counsellor (never sent to the child)."""
    await cases.whisper(session, case, c, field(b, "text"))


@_route("category")
async def _category(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Set the case's category."""
    await cases.set_category(session, case, c, field(b, "category"))


@_route("step")
async def _advance(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Move the case to a later step (plan, intervention, ...), with a note."""
    await cases.advance(session, case, c, field(b, "step", limit=20),
                        field(b, "note", required=False))


@_route("assessment")
async def _assess(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Record a structured risk assessment; its result sets the case's risk."""
    answers = b.get("answers")
    if not isinstance(answers, dict):
        raise Invalid(error(400, "invalid_answers", "Hãy trả lời các câu hỏi đánh giá."))
    await cases.assess_risk(session, case, c, field(b, "kind", limit=20), answers)


@_route("referrals")
async def _refer(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Refer the case to police, health, social affairs or school."""
    await cases.refer(session, case, c, field(b, "service", limit=40),
                      field(b, "note", required=False))


@_route("referral-status")
async def _referral_status(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Record where a referral stands."""
    await cases.set_referral_status(session, case, c, _id(b, "referral_id"),
                                    field(b, "status", limit=20))


@_route("follow-ups")
async def _follow_up(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Schedule a follow-up (an ISO date-time with its offset)."""
    raw = field(b, "due_at", limit=40)
    try:
        due = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(error(400, "invalid_due_at", "Ngày giờ hẹn không hợp lệ.")) from None
    if due.tzinfo is None:
        raise Invalid(error(400, "invalid_due_at", "Ngày giờ hẹn cần có múi giờ."))
    await cases.schedule_follow_up(session, case, c, due, field(b, "note", required=False))


@_route("follow-ups/done")
async def _follow_up_done(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Mark a follow-up done."""
    await cases.follow_up_done(session, case, c, _id(b, "follow_up_id"))


@_route("transfer", Need.TRANSFER)
async def _transfer(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Offer the case to another counsellor or a supervisor."""
    to = await session.get(Counsellor, _id(b, "to"))
    await cases.offer_transfer(session, case, c, to, field(b, "note", required=False))


@_route("transfer/accept", Need.ANSWER_TRANSFER)
async def _transfer_accept(session: AsyncSession, case: Case, c: Counsellor, _b: Body) -> None:
    """Accept a case offered to you: it becomes yours."""
    await cases.answer_transfer(session, case, c, accepted=True)


@_route("transfer/reject", Need.ANSWER_TRANSFER)
async def _transfer_reject(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Reject a case offered to you (it stays with whoever held it)."""
    await cases.answer_transfer(session, case, c, accepted=False,
                                answer=field(b, "reason", required=False, limit=REASON_LIMIT))


@_route("handback")
async def _hand_back(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Give the chat back to the bot after a closing message (the case stays open)."""
    await cases.hand_back(session, case, c, field(b, "closing", required=False))


@_route("close")
async def _close(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> None:
    """Close the case (a live chat goes back to the bot after the closing message)."""
    await cases.close(session, case, c, field(b, "closing", required=False))


@_route("archive", Need.ARCHIVE)
async def _archive(session: AsyncSession, case: Case, c: Counsellor, _b: Body) -> None:
    """A supervisor archives a closed case."""
    await cases.archive(session, case, c)


def _id(body: Body, key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**53:
        raise Invalid(error(400, f"invalid_{key}", "Thiếu hoặc sai mã số."))
    return value


@bp.post("/<case_id:str>/typing")
@logged_in()
async def typing(request: Request, case_id: str) -> HTTPResponse:
    """The counsellor is typing: the child's web page shows it; Telegram shows "typing…"."""

    async def note(session: AsyncSession, case: Case, c: Counsellor, _b: Body) -> dict[str, Any]:
        if not typing_due(case.conversation_id, "counsellor"):
            return {"ok": True, "sent": False}
        await record(session, ChangeKind.TYPING, conversation_id=case.conversation_id,
                     case_id=case.id, detail={"who": "counsellor"})
        await _platform_typing(request, session, case)
        return {"ok": True, "sent": True}

    return await run(request, case_id, note, Need.CHAT, answer_state=False)


async def _platform_typing(request: Request, session: AsyncSession, case: Case) -> None:
    """Telegram's sendChatAction "typing" where the channel has it (best effort)."""
    adapter = getattr(request.app.ctx, "channels", {}).get(case.channel)
    show = getattr(adapter, "show_typing", None)
    if show is None:
        return
    conversation = await session.get(Conversation, case.conversation_id)
    user = await session.get(User, conversation.user_id) if conversation else None
    if user is None or user.address is None:
        return
    await show(request.app.ctx.privacy.open(user.address))


@bp.post("/<case_id:str>/history/<earlier_id:str>")
@logged_in()
async def open_history(request: Request, case_id: str, earlier_id: str) -> HTTPResponse:
    """An earlier case of the same child: its transcript, with a recorded reason (audited)."""

    async def opened(session: AsyncSession, case: Case, c: Counsellor, b: Body) -> dict[str, Any]:
        reason = field(b, "reason", required=False, limit=REASON_LIMIT)
        if len(reason) < 5:
            raise ReasonNeeded()
        earlier = await session.get(Case, earlier_id[:16])
        if earlier is None or earlier.conversation_id != case.conversation_id or (
            earlier.id == case.id
        ):
            raise NotFound("earlier case")
        audit(session, "history_opened", counsellor_id=c.id, case_id=earlier.id,
              from_case=case.id, reason=reason)
        return {"case": (await queries.case_state(session, earlier, who(request))),
                "messages": await transcripts.case_messages(session, earlier, own_only=True)}

    return await run(request, case_id, opened, Need.ACT, answer_state=False)
