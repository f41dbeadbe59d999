"""Case life-cycle: open, raise risk, accept, chat, refer, hand back, close, time out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat_types import Reply
from bot.handoff.replies import voiced
from bot.outgoing import post_message
from bot.speaker import as_audience
from bot.storage.audit import audit
from bot.storage.models import (
    Alert,
    Case,
    Conversation,
    Counsellor,
    Message,
    Note,
    Referral,
    utcnow,
)
from common.content import message as text
from common.taxonomy import CATEGORIES, RiskLevel

REFERRAL_SERVICES = ("police", "health", "social_affairs", "school")
CASE_STATUSES = ("open", "active", "referred", "closed")


class CaseError(Exception):
    """An action that the case's state does not allow."""


def risk_rank(risk: str) -> int:
    """Order of a risk level (none < concern < high < imminent)."""
    return RiskLevel(risk).rank


async def active_case(session: AsyncSession, conversation: Conversation) -> Case | None:
    """The conversation's case that is not closed, if any."""
    if not conversation.active_case_id:
        return None
    case = await session.get(Case, conversation.active_case_id)
    return case if case is not None and case.status != "closed" else None


async def open_or_raise(
    session: AsyncSession,
    conversation: Conversation,
    *,
    risk: str,
    category: str | None,
    source: str,
    reasons: list[str] | None = None,
) -> tuple[Case, bool]:
    """Open a case (or reuse the unclosed one), raise its risk, route the chat to a human."""
    case = await active_case(session, conversation)
    created = case is None
    if case is None:
        case = Case(
            conversation_id=conversation.id,
            channel=conversation.channel,
            risk=risk,
            risk_rank=risk_rank(risk),
            category=category,
            source=source,
            reasons=list(reasons or []),
        )
        session.add(case)
        await session.flush()
        audit(session, "case_opened", case_id=case.id, risk=risk, category=category, source=source)
    else:
        if risk_rank(risk) > case.risk_rank:
            audit(session, "case_risk_raised", case_id=case.id, old=case.risk, new=risk)
            case.risk, case.risk_rank = risk, risk_rank(risk)
            if reasons:
                case.reasons = list(reasons)
        if case.category in (None, "other") and category not in (None, "other"):
            case.category = category
    if conversation.state == "bot":
        conversation.state = "waiting" if case.counsellor_id is None else "counsellor"
        if case.counsellor_id is None:
            case.status, case.opened_at, case.timeout_alerted_at = "open", utcnow(), None
    conversation.active_case_id = case.id
    return case, created


async def _conversation(session: AsyncSession, case: Case) -> Conversation:
    conversation = await session.get(Conversation, case.conversation_id)
    if conversation is None:  # pragma: no cover - guarded by the foreign key
        raise CaseError("case without conversation")
    return conversation


async def accept(session: AsyncSession, case: Case, counsellor: Counsellor) -> None:
    """A counsellor takes the case: the child is told and the chat goes to the counsellor."""
    if case.status == "closed":
        raise CaseError("case is closed")
    if case.counsellor_id not in (None, counsellor.id) and counsellor.role == "counsellor":
        raise CaseError("case belongs to another counsellor")
    case.status, case.counsellor_id, case.accepted_at = "active", counsellor.id, utcnow()
    conversation = await _conversation(session, case)
    conversation.state, conversation.active_case_id = "counsellor", case.id
    joined = Reply(voiced("counsellor_joined", as_audience(conversation.speaker)))
    await post_message(session, conversation, joined, author="system", case_id=case.id)
    audit(session, "case_accepted", counsellor_id=counsellor.id, case_id=case.id)


async def send_counsellor_message(
    session: AsyncSession, case: Case, counsellor: Counsellor, body: str
) -> Message:
    """Deliver a counsellor's message to the child on the channel the child used."""
    if case.status == "closed":
        raise CaseError("case is closed")
    conversation = await _conversation(session, case)
    message = await post_message(
        session,
        conversation,
        Reply(body),
        author="counsellor",
        case_id=case.id,
        counsellor_id=counsellor.id,
    )
    audit(session, "message_sent", counsellor_id=counsellor.id, case_id=case.id)
    return message


async def hand_back(session: AsyncSession, case: Case, counsellor: Counsellor) -> None:
    """Return the chat to the bot; the case stays open for notes until it is closed."""
    conversation = await _conversation(session, case)
    if conversation.state != "bot":
        conversation.state = "bot"
        await post_message(
            session, conversation, Reply(text("handback")), author="system", case_id=case.id
        )
    audit(session, "handed_back", counsellor_id=counsellor.id, case_id=case.id)


async def close(session: AsyncSession, case: Case, counsellor: Counsellor) -> None:
    """Close the case; the chat goes back to the bot if it was still with a human."""
    if case.status == "closed":
        return
    await hand_back(session, case, counsellor)
    conversation = await _conversation(session, case)
    if conversation.active_case_id == case.id:
        conversation.active_case_id = None
    case.status, case.closed_at = "closed", utcnow()
    audit(session, "case_closed", counsellor_id=counsellor.id, case_id=case.id)


async def add_note(session: AsyncSession, case: Case, counsellor: Counsellor, body: str) -> Note:
    """Add a counsellor's note to the case."""
    note = Note(case_id=case.id, counsellor_id=counsellor.id, text=body)
    session.add(note)
    audit(session, "note_added", counsellor_id=counsellor.id, case_id=case.id)
    return note


async def set_category(
    session: AsyncSession, case: Case, counsellor: Counsellor, category: str
) -> None:
    """Set the case's category."""
    if category not in CATEGORIES:
        raise CaseError(f"unknown category {category!r}")
    audit(session, "category_set", counsellor_id=counsellor.id, case_id=case.id,
          old=case.category, new=category)
    case.category = category


async def refer(
    session: AsyncSession, case: Case, counsellor: Counsellor, service: str, note: str = ""
) -> Referral:
    """Refer the case to an outside service and mark it referred."""
    if service not in REFERRAL_SERVICES:
        raise CaseError(f"unknown service {service!r}")
    referral = Referral(case_id=case.id, counsellor_id=counsellor.id, service=service, note=note)
    session.add(referral)
    if case.status != "closed":
        case.status = "referred"
    audit(session, "case_referred", counsellor_id=counsellor.id, case_id=case.id, service=service)
    return referral


async def archive(session: AsyncSession, case: Case, supervisor: Counsellor) -> None:
    """A supervisor archives a closed case (after which retention may purge its text)."""
    if supervisor.role not in ("supervisor", "admin"):
        raise CaseError("only a supervisor archives cases")
    if case.status != "closed":
        raise CaseError("close the case first")
    case.archived_at = utcnow()
    audit(session, "case_archived", counsellor_id=supervisor.id, case_id=case.id)


async def remind_unaccepted(session: AsyncSession, timeout_seconds: float) -> list[str]:
    """Tell children waiting too long how to reach 111 again and alert supervisors, once."""
    cutoff = utcnow() - timedelta(seconds=timeout_seconds)
    rows = await session.scalars(
        select(Case.id).where(
            Case.status == "open",
            Case.counsellor_id.is_(None),
            Case.timeout_alerted_at.is_(None),
            Case.opened_at <= cutoff,
        )
    )
    reminded: list[str] = []
    for case_id in rows.all():
        claimed = await session.execute(
            update(Case)
            .where(Case.id == case_id, Case.timeout_alerted_at.is_(None))
            .values(timeout_alerted_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker took it
        case = await session.get(Case, case_id)
        assert case is not None
        conversation = await _conversation(session, case)
        reminder = Reply(voiced("timeout_reminder", as_audience(conversation.speaker)))
        await post_message(session, conversation, reminder, author="system", case_id=case_id)
        session.add(Alert(case_id=case_id, kind="no_counsellor_in_time"))
        audit(session, "timeout_alert", case_id=case_id, waited_seconds=int(timeout_seconds))
        reminded.append(case_id)
    return reminded
