"""What a console user may see: the queue, their cases, a case with its transcript, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.auth import Identity
from bot.console.zalo_window import ZALO_OA_CHANNELS, ReplyWindow, reply_window
from bot.storage.models import (
    Alert,
    Case,
    Conversation,
    Counsellor,
    Message,
    Note,
    Referral,
    User,
    as_utc,
    utcnow,
)

TRANSCRIPT_LIMIT = 1000


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


def can_view(case: Case, who: Identity) -> bool:
    """Supervisors see every case; a counsellor the open queue and their own cases."""
    if who.is_supervisor:
        return True
    if case.archived_at is not None:
        return False
    return case.counsellor_id == who.counsellor_id or (
        case.status == "open" and case.counsellor_id is None
    )


def can_act(case: Case, who: Identity) -> bool:
    """Chat, notes, category, referral, hand-back, close: the case's counsellor or a supervisor."""
    return who.is_supervisor or case.counsellor_id == who.counsellor_id


def can_accept(case: Case, who: Identity, handed_back: bool = False) -> bool:
    """An unassigned case; one's own case back from the bot; any case for supervisors."""
    if case.status == "closed":
        return False
    if case.counsellor_id == who.counsellor_id:
        return handed_back
    return case.counsellor_id is None or who.is_supervisor


async def with_bot(session: AsyncSession, case: Case) -> bool:
    """The chat of this case is with the bot (handed back, or another case is active)."""
    conversation = await session.get(Conversation, case.conversation_id)
    return conversation is None or conversation.state == "bot" or (
        conversation.active_case_id != case.id
    )


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Counsellor.id, Counsellor.display_name).where(Counsellor.id.in_(ids))
    )
    return {row[0]: row[1] for row in rows.all()}


def case_summary(case: Case, who: Identity, names: dict[int, str]) -> dict[str, Any]:
    """A case as a queue row (no message text)."""
    return {
        "id": case.id,
        "risk": case.risk,
        "category": case.category,
        "status": case.status,
        "channel": case.channel,
        "source": case.source,
        "opened_at": _iso(case.opened_at),
        "accepted_at": _iso(case.accepted_at),
        "closed_at": _iso(case.closed_at),
        "archived_at": _iso(case.archived_at),
        "counsellor_id": case.counsellor_id,
        "counsellor_name": names.get(case.counsellor_id) if case.counsellor_id else None,
        "mine": case.counsellor_id == who.counsellor_id,
        "alerted": case.timeout_alerted_at is not None,
        "reasons": list(case.reasons or []),
    }


async def queue(session: AsyncSession, who: Identity) -> dict[str, Any]:
    """Waiting cases by risk (imminent first) then waiting time, and the cases being handled."""
    waiting = (
        await session.scalars(
            select(Case)
            .where(Case.status == "open", Case.counsellor_id.is_(None))
            .order_by(Case.risk_rank.desc(), Case.opened_at.asc(), Case.id)
        )
    ).all()
    handled_query = select(Case).where(
        or_(Case.status != "open", Case.counsellor_id.is_not(None)), Case.archived_at.is_(None)
    )
    if not who.is_supervisor:
        handled_query = handled_query.where(Case.counsellor_id == who.counsellor_id)
    handled = (
        await session.scalars(
            handled_query.order_by(
                (Case.status == "closed").asc(), Case.risk_rank.desc(), Case.opened_at.asc()
            ).limit(200)
        )
    ).all()
    names = await _names(session, {c.counsellor_id for c in handled if c.counsellor_id})
    return {
        "queue": [case_summary(c, who, names) for c in waiting],
        "cases": [case_summary(c, who, names) for c in handled],
    }


def message_row(message: Message) -> dict[str, Any]:
    """A transcript line; the text is plain data, escaped by the page when shown."""
    return {
        "id": message.id,
        "direction": message.direction,
        "author": message.author,
        "text": message.text,
        "kind": message.kind,
        "case_id": message.case_id,
        "created_at": _iso(message.created_at),
    }


async def transcript(
    session: AsyncSession, conversation_id: int, after: int = 0
) -> list[dict[str, Any]]:
    """The conversation's messages after a message id, oldest first."""
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.id > after)
        .order_by(Message.id)
        .limit(TRANSCRIPT_LIMIT)
    )
    return [message_row(m) for m in rows.all()]


async def zalo_window(session: AsyncSession, case: Case) -> ReplyWindow | None:
    """The Zalo OA reply window of a case's user (None for other channels)."""
    if case.channel not in ZALO_OA_CHANNELS:
        return None
    conversation = await session.get(Conversation, case.conversation_id)
    if conversation is None:
        return None
    user = await session.get(User, conversation.user_id)
    last_inbound = user.last_inbound_at if user is not None else None
    sent: list[datetime] = []
    if last_inbound is not None:
        sent = list(
            (
                await session.scalars(
                    select(Message.created_at).where(
                        Message.conversation_id == conversation.id,
                        Message.direction == "out",
                        Message.created_at >= last_inbound,
                    )
                )
            ).all()
        )
    return reply_window(last_inbound, sent, utcnow())


async def case_state(session: AsyncSession, case: Case, who: Identity) -> dict[str, Any]:
    """A case's fields, the chat's routing state and what this user may do with it."""
    names = await _names(session, {case.counsellor_id} if case.counsellor_id else set())
    window = await zalo_window(session, case)
    handed_back = await with_bot(session, case)
    return {
        **case_summary(case, who, names),
        "with_bot": handed_back,
        "can_act": can_act(case, who),
        "can_accept": can_accept(case, who, handed_back),
        "can_archive": who.is_supervisor and case.status == "closed" and not case.archived_at,
        "zalo_window": window.as_dict() if window else None,
    }


async def case_detail(session: AsyncSession, case: Case, who: Identity) -> dict[str, Any]:
    """Everything the case page shows: state, whole transcript, notes and referrals."""
    notes = (await session.scalars(select(Note).where(Note.case_id == case.id)
                                   .order_by(Note.id))).all()
    referrals = (await session.scalars(select(Referral).where(Referral.case_id == case.id)
                                       .order_by(Referral.id))).all()
    names = await _names(session, {n.counsellor_id for n in notes}
                         | {r.counsellor_id for r in referrals})
    return {
        "case": await case_state(session, case, who),
        "messages": await transcript(session, case.conversation_id),
        "notes": [
            {"id": n.id, "text": n.text, "author": names.get(n.counsellor_id),
             "created_at": _iso(n.created_at)}
            for n in notes
        ],
        "referrals": [
            {"id": r.id, "service": r.service, "note": r.note, "author": names.get(r.counsellor_id),
             "created_at": _iso(r.created_at)}
            for r in referrals
        ],
    }


async def open_alerts(session: AsyncSession) -> list[dict[str, Any]]:
    """Supervisor alerts not yet acknowledged, newest first."""
    rows = await session.scalars(
        select(Alert).where(Alert.acknowledged_at.is_(None)).order_by(Alert.id.desc()).limit(100)
    )
    return [
        {"id": a.id, "case_id": a.case_id, "kind": a.kind, "created_at": _iso(a.created_at)}
        for a in rows.all()
    ]
