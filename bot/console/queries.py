"""What the case page shows: the case's state and permissions, its record, transcript, history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.zalo_oa import CHANNEL as ZALO_OA
from bot.console import access, queue, transcripts
from bot.console.auth import Identity
from bot.console.zalo_window import ReplyWindow, reply_window
from bot.handoff.cases import chat_with_bot
from bot.speaker import as_audience
from bot.storage.models import (
    Alert,
    AuditEntry,
    Case,
    CaseStepEntry,
    Conversation,
    FollowUp,
    Message,
    Note,
    Referral,
    RiskAssessment,
    User,
    as_utc,
    utcnow,
)


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


async def zalo_window(session: AsyncSession, case: Case) -> ReplyWindow | None:
    """The Zalo OA reply window of a case's user (None for other channels)."""
    if case.channel != ZALO_OA:
        return None
    conversation = await session.get(Conversation, case.conversation_id)
    if conversation is None:
        return None
    user = await session.get(User, conversation.user_id)
    last_inbound = user.last_inbound_at if user is not None else None
    sent: list[datetime] = []
    if last_inbound is not None:
        sent = list((await session.scalars(
            select(Message.created_at).where(
                Message.conversation_id == conversation.id,
                Message.direction == "out",
                Message.created_at >= last_inbound,
            ))).all())
    return reply_window(last_inbound, sent, utcnow())


async def case_state(session: AsyncSession, case: Case, who: Identity) -> dict[str, Any]:
    """A case's fields, the chat's routing state and what this user may do with it."""
    item = (await queue.items(session, [case]))[case.id]
    with_bot = await chat_with_bot(session, case)
    conversation = await session.get(Conversation, case.conversation_id)
    window = await zalo_window(session, case)
    return {
        **item,
        "mine": case.counsellor_id == who.counsellor_id,
        "with_bot": with_bot,
        "audience": as_audience(conversation.speaker) if conversation else "child",
        "can_act": access.can_act(case, who),
        "can_accept": access.can_accept(case, who, with_bot),
        "can_chat": access.can_chat(case, who, with_bot),
        "can_transfer": access.can_transfer(case, who),
        "can_answer_transfer": access.can_answer_transfer(case, who),
        "can_whisper": access.can_whisper(case, who),
        "can_archive": access.can_archive(case, who),
        "zalo_window": window.as_dict() if window else None,
    }


async def _rows(session: AsyncSession, model: Any, case_id: str, order: Any) -> list[Any]:
    return list((await session.scalars(
        select(model).where(model.case_id == case_id).order_by(order))).all())


async def case_record(session: AsyncSession, case: Case) -> dict[str, Any]:
    """The case's notes (and whispers), referrals, steps, assessments and follow-ups."""
    notes = await _rows(session, Note, case.id, Note.id)
    referrals = await _rows(session, Referral, case.id, Referral.id)
    steps = await _rows(session, CaseStepEntry, case.id, CaseStepEntry.id)
    assessments = await _rows(session, RiskAssessment, case.id, RiskAssessment.id)
    follow_ups = await _rows(session, FollowUp, case.id, FollowUp.due_at)
    people = await queue.names(session, {
        *(n.counsellor_id for n in notes), *(r.counsellor_id for r in referrals),
        *(s.counsellor_id for s in steps if s.counsellor_id),
        *(a.counsellor_id for a in assessments), *(f.counsellor_id for f in follow_ups)})
    return {
        "notes": [{"id": n.id, "kind": n.kind, "text": n.text,
                   "author": people.get(n.counsellor_id), "created_at": _iso(n.created_at)}
                  for n in notes],
        "referrals": [{"id": r.id, "service": r.service, "note": r.note, "status": r.status,
                       "author": people.get(r.counsellor_id), "created_at": _iso(r.created_at),
                       "updated_at": _iso(r.updated_at)} for r in referrals],
        "steps": [{"step": s.step, "note": s.note, "at": _iso(s.at),
                   "by": people.get(s.counsellor_id) if s.counsellor_id else None}
                  for s in steps],
        "assessments": [{"id": a.id, "kind": a.kind, "answers": a.answers, "risk": a.risk,
                         "reasons": a.reasons, "by": people.get(a.counsellor_id),
                         "created_at": _iso(a.created_at)} for a in assessments],
        "follow_ups": [{"id": f.id, "due_at": _iso(f.due_at), "note": f.note,
                        "done_at": _iso(f.done_at), "by": people.get(f.counsellor_id)}
                       for f in follow_ups],
    }


async def case_detail(session: AsyncSession, case: Case, who: Identity) -> dict[str, Any]:
    """Everything the case page shows; the audit trail for supervisors."""
    detail: dict[str, Any] = {
        "case": await case_state(session, case, who),
        "messages": await transcripts.case_messages(session, case),
        "history": await transcripts.earlier_cases(session, case),
        **await case_record(session, case),
    }
    if who.is_supervisor:
        trail = await session.scalars(
            select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.id))
        detail["audit"] = [{"at": _iso(e.at), "actor": e.actor, "action": e.action}
                           for e in trail.all()]
    return detail


async def open_alerts(session: AsyncSession) -> list[dict[str, Any]]:
    """Supervisor alerts not yet acknowledged, latest first (each counted, one per subject)."""
    rows = await session.scalars(
        select(Alert).where(Alert.acknowledged_at.is_(None))
        .order_by(Alert.updated_at.desc().nullslast(), Alert.id.desc()).limit(100))
    return [{"id": a.id, "case_id": a.case_id, "kind": a.kind, "subject": a.subject,
             "count": a.count, "created_at": _iso(a.created_at),
             "updated_at": _iso(a.updated_at or a.created_at)} for a in rows.all()]
