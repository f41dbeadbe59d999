"""Every transition of a case, in one place: open, raise, accept, chat, steps, assessment, refer,
follow up, transfer, hand back, close, archive, time out. Typed errors (`bot.handoff.errors`).

Each transition audits itself and records a `case` change (bot.changefeed) in the caller's
transaction, so live views learn about it once it is committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.changefeed import ChangeKind, record
from bot.chat_types import Reply
from bot.handoff import alerts
from bot.handoff.assessment import answers_record, assess, parse_answers
from bot.handoff.errors import (
    AcceptFirst,
    BadTransferTarget,
    CaseClosed,
    CloseFirst,
    ClosingMessageNeeded,
    HandedBack,
    InvalidFollowUp,
    NotFound,
    NoTransfer,
    StepNotAllowed,
    SupervisorsOnly,
    TakenByOther,
    TransferPending,
    UnknownCategory,
    UnknownService,
    UnknownStatus,
)
from bot.handoff.errors import CaseError as CaseError  # re-exported for callers
from bot.handoff.states import (
    REFERRAL_SERVICES,
    AlertKind,
    CaseStatus,
    CaseStep,
    ConversationState,
    NoteKind,
    ReferralStatus,
    TransferStatus,
    step_allowed,
)
from bot.outgoing import post_message
from bot.speaker import as_audience
from bot.storage.audit import audit
from bot.storage.models import (
    Case,
    CaseStepEntry,
    CaseTransfer,
    Conversation,
    Counsellor,
    FollowUp,
    Message,
    Note,
    Referral,
    RiskAssessment,
    as_utc,
    utcnow,
)
from common.content import bot_text, voiced
from common.taxonomy import CATEGORIES, RiskLevel

CASE_STATUSES = tuple(CaseStatus)
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})
MAX_FOLLOW_UP = timedelta(days=366)


def risk_rank(risk: str) -> int:
    """Order of a risk level (none < concern < high < imminent)."""
    return RiskLevel(risk).rank


async def changed(session: AsyncSession, case: Case, event: str, **detail: Any) -> None:
    """Record that the case changed (for live views): what happened, never text."""
    await record(session, ChangeKind.CASE, conversation_id=case.conversation_id, case_id=case.id,
                 detail={"event": event, **detail})


async def active_case(session: AsyncSession, conversation: Conversation) -> Case | None:
    """The conversation's case that is not closed, if any."""
    if not conversation.active_case_id:
        return None
    case = await session.get(Case, conversation.active_case_id)
    return case if case is not None and case.status != CaseStatus.CLOSED else None


async def _conversation(session: AsyncSession, case: Case) -> Conversation:
    conversation = await session.get(Conversation, case.conversation_id)
    if conversation is None:  # pragma: no cover - guarded by the foreign key
        raise NotFound("case without conversation")
    return conversation


def _open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise CaseClosed()


async def _step(session: AsyncSession, case: Case, step: CaseStep, counsellor_id: int | None,
                note: str | None = None) -> None:
    """Write a step with who and when, and move the case to it."""
    session.add(CaseStepEntry(case_id=case.id, step=step.value, counsellor_id=counsellor_id,
                              note=note or None, at=utcnow()))
    case.step = step.value


async def _step_if_forward(session: AsyncSession, case: Case, step: CaseStep,
                           counsellor_id: int | None, note: str | None = None) -> None:
    """Move to `step` when it is ahead of the case (an action implies its step)."""
    if step_allowed(CaseStep(case.step), step):
        await _step(session, case, step, counsellor_id, note)


# --------------------------------------------------------------------------- opening


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
            step=CaseStep.RECEIVED.value,
        )
        session.add(case)
        await session.flush()
        await _step(session, case, CaseStep.RECEIVED, None)
        audit(session, "case_opened", case_id=case.id, risk=risk, category=category, source=source)
        await changed(session, case, "opened", risk=risk)
    else:
        if risk_rank(risk) > case.risk_rank:
            audit(session, "case_risk_raised", case_id=case.id, old=case.risk, new=risk)
            case.risk, case.risk_rank = risk, risk_rank(risk)
            if reasons:
                case.reasons = list(reasons)
            await changed(session, case, "raised", risk=risk)
        if case.category in (None, "other") and category not in (None, "other"):
            case.category = category
    if conversation.state == ConversationState.BOT:
        conversation.state = (ConversationState.WAITING if case.counsellor_id is None
                              else ConversationState.COUNSELLOR)
        if case.counsellor_id is None:
            case.status, case.opened_at, case.timeout_alerted_at = CaseStatus.OPEN, utcnow(), None
        await changed(session, case, "reopened")
    conversation.active_case_id = case.id
    return case, created


# --------------------------------------------------------------------------- taking the chat


async def _claim(session: AsyncSession, case: Case, counsellor: Counsellor) -> None:
    """Take an unassigned case atomically (two counsellors may click at once)."""
    claimed = await session.execute(
        update(Case).where(Case.id == case.id, Case.counsellor_id.is_(None))
        .values(counsellor_id=counsellor.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise TakenByOther()
    await session.refresh(case)


async def accept(session: AsyncSession, case: Case, counsellor: Counsellor) -> None:
    """A counsellor takes the case (or takes the chat back from the bot): the child is told."""
    _open(case)
    if case.counsellor_id is None:
        await _claim(session, case, counsellor)
    elif case.counsellor_id != counsellor.id:
        raise TakenByOther()
    first = case.accepted_at is None
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.ACTIVE
    case.accepted_at = case.accepted_at or utcnow()
    conversation = await _conversation(session, case)
    conversation.state, conversation.active_case_id = ConversationState.COUNSELLOR, case.id
    joined = Reply(voiced("counsellor_joined", as_audience(conversation.speaker)))
    await post_message(session, conversation, joined, author="system", case_id=case.id)
    audit(session, "case_accepted" if first else "chat_resumed", counsellor_id=counsellor.id,
          case_id=case.id)
    await changed(session, case, "accepted")


async def chat_with_bot(session: AsyncSession, case: Case) -> bool:
    """The chat of this case is with the bot (handed back, or another case is active)."""
    conversation = await session.get(Conversation, case.conversation_id)
    return conversation is None or conversation.state == ConversationState.BOT or (
        conversation.active_case_id != case.id
    )


async def send_counsellor_message(
    session: AsyncSession, case: Case, counsellor: Counsellor, body: str
) -> Message:
    """Deliver the holder's message to the child on the channel the child used."""
    _open(case)
    if case.counsellor_id != counsellor.id:
        raise AcceptFirst()
    if await chat_with_bot(session, case):
        raise HandedBack()
    conversation = await _conversation(session, case)
    message = await post_message(session, conversation, Reply(body), author="counsellor",
                                 case_id=case.id, counsellor_id=counsellor.id)
    audit(session, "message_sent", counsellor_id=counsellor.id, case_id=case.id)
    return message


async def hand_back(
    session: AsyncSession, case: Case, counsellor: Counsellor, closing: str | None = None
) -> None:
    """Return the chat to the bot (the case stays for notes until closed). The console always
    sends a closing message first (`closing`; blank → ClosingMessageNeeded)."""
    conversation = await _conversation(session, case)
    live = conversation.state != ConversationState.BOT and conversation.active_case_id == case.id
    if closing is not None and live:
        if not closing.strip():
            raise ClosingMessageNeeded()
        await post_message(session, conversation, Reply(closing.strip()), author="counsellor",
                           case_id=case.id, counsellor_id=counsellor.id)
    if conversation.state != ConversationState.BOT:
        conversation.state = ConversationState.BOT
        await post_message(session, conversation, Reply(bot_text("handback")), author="system",
                           case_id=case.id)
    audit(session, "handed_back", counsellor_id=counsellor.id, case_id=case.id)
    await changed(session, case, "handed_back")


async def close(session: AsyncSession, case: Case, counsellor: Counsellor,
                closing: str | None = None) -> None:
    """Close the case; a live chat goes back to the bot (with the closing message) first."""
    if case.status == CaseStatus.CLOSED:
        return
    await hand_back(session, case, counsellor, closing)
    conversation = await _conversation(session, case)
    if conversation.active_case_id == case.id:
        conversation.active_case_id = None
    case.status, case.closed_at = CaseStatus.CLOSED, utcnow()
    await _step(session, case, CaseStep.CLOSED, counsellor.id)
    await _cancel_pending_transfer(session, case)
    audit(session, "case_closed", counsellor_id=counsellor.id, case_id=case.id)
    await changed(session, case, "closed")


async def archive(session: AsyncSession, case: Case, supervisor: Counsellor) -> None:
    """A supervisor archives a closed case (after which retention may purge its text)."""
    if supervisor.role not in SUPERVISOR_ROLES:
        raise SupervisorsOnly()
    if case.status != CaseStatus.CLOSED:
        raise CloseFirst()
    case.archived_at = utcnow()
    audit(session, "case_archived", counsellor_id=supervisor.id, case_id=case.id)
    await changed(session, case, "archived")


# --------------------------------------------------------------------------- the case's record


async def add_note(session: AsyncSession, case: Case, counsellor: Counsellor, body: str) -> Note:
    """Add a counsellor's note to the case (the child never sees it)."""
    note = Note(case_id=case.id, counsellor_id=counsellor.id, text=body, kind=NoteKind.NOTE)
    session.add(note)
    audit(session, "note_added", counsellor_id=counsellor.id, case_id=case.id)
    await changed(session, case, "note")
    return note


async def whisper(session: AsyncSession, case: Case, supervisor: Counsellor, body: str) -> Note:
    """A supervisor's private note to the case's counsellor: never sent to the child."""
    if supervisor.role not in SUPERVISOR_ROLES:
        raise SupervisorsOnly()
    _open(case)
    note = Note(case_id=case.id, counsellor_id=supervisor.id, text=body, kind=NoteKind.WHISPER)
    session.add(note)
    audit(session, "whisper_sent", counsellor_id=supervisor.id, case_id=case.id,
          to=case.counsellor_id)
    await changed(session, case, "whisper", to=case.counsellor_id)
    return note


async def set_category(
    session: AsyncSession, case: Case, counsellor: Counsellor, category: str
) -> None:
    """Set the case's category."""
    if category not in CATEGORIES:
        raise UnknownCategory(category)
    audit(session, "category_set", counsellor_id=counsellor.id, case_id=case.id,
          old=case.category, new=category)
    case.category = category
    await changed(session, case, "category")


async def advance(session: AsyncSession, case: Case, counsellor: Counsellor, step: str,
                  note: str = "") -> None:
    """Move the case to a later step of 111's process (plan, intervention, ...), with a note."""
    _open(case)
    try:
        target = CaseStep(step)
    except ValueError:
        raise StepNotAllowed(step) from None
    if target is CaseStep.CLOSED or not step_allowed(CaseStep(case.step), target):
        raise StepNotAllowed(step)  # closing is `close`, which hands the chat back first
    await _step(session, case, target, counsellor.id, note)
    audit(session, "case_step", counsellor_id=counsellor.id, case_id=case.id, step=target.value)
    await changed(session, case, "step", step=target.value)


async def assess_risk(session: AsyncSession, case: Case, counsellor: Counsellor, kind: str,
                      answers: Mapping[str, Any]) -> RiskAssessment:
    """Record a structured risk assessment; its result sets the case's risk."""
    _open(case)
    chosen, parsed = parse_answers(kind, answers)
    result = assess(chosen, parsed, case.category)
    row = RiskAssessment(case_id=case.id, counsellor_id=counsellor.id, kind=chosen.value,
                         answers=answers_record(parsed), risk=result.risk.value,
                         reasons=list(result.reasons))
    session.add(row)
    audit(session, "risk_assessed", counsellor_id=counsellor.id, case_id=case.id,
          kind=chosen.value, old=case.risk, new=result.risk.value)
    case.risk, case.risk_rank = result.risk.value, result.risk.rank
    await _step_if_forward(session, case, CaseStep.ASSESSED, counsellor.id)
    await changed(session, case, "assessed", risk=result.risk.value)
    return row


async def refer(
    session: AsyncSession, case: Case, counsellor: Counsellor, service: str, note: str = ""
) -> Referral:
    """Refer the case to an outside service and mark it referred."""
    if service not in REFERRAL_SERVICES:
        raise UnknownService(service)
    referral = Referral(case_id=case.id, counsellor_id=counsellor.id, service=service, note=note,
                        status=ReferralStatus.MADE)
    session.add(referral)
    if case.status != CaseStatus.CLOSED:
        case.status = CaseStatus.REFERRED
        await _step_if_forward(session, case, CaseStep.REFERRAL, counsellor.id)
    audit(session, "case_referred", counsellor_id=counsellor.id, case_id=case.id, service=service)
    await changed(session, case, "referred", service=service)
    return referral


async def set_referral_status(session: AsyncSession, case: Case, counsellor: Counsellor,
                              referral_id: int, status: str) -> Referral:
    """Record where a referral stands (received by the service, done, declined)."""
    referral = await session.get(Referral, referral_id)
    if referral is None or referral.case_id != case.id:
        raise NotFound("referral")
    try:
        referral.status = ReferralStatus(status).value
    except ValueError:
        raise UnknownStatus(status) from None
    referral.updated_at = utcnow()
    audit(session, "referral_status", counsellor_id=counsellor.id, case_id=case.id,
          referral_id=referral.id, status=referral.status)
    await changed(session, case, "referral")
    return referral


async def schedule_follow_up(session: AsyncSession, case: Case, counsellor: Counsellor,
                             due_at: datetime, note: str = "") -> FollowUp:
    """A date to get back to the case; the console reminds its counsellor when it is due."""
    _open(case)
    now = utcnow()
    if not now - timedelta(minutes=5) <= as_utc(due_at) <= now + MAX_FOLLOW_UP:
        raise InvalidFollowUp()
    follow_up = FollowUp(case_id=case.id, counsellor_id=counsellor.id, due_at=due_at, note=note)
    session.add(follow_up)
    await _step_if_forward(session, case, CaseStep.FOLLOW_UP, counsellor.id, note)
    audit(session, "follow_up_scheduled", counsellor_id=counsellor.id, case_id=case.id)
    await changed(session, case, "follow_up")
    return follow_up


async def follow_up_done(session: AsyncSession, case: Case, counsellor: Counsellor,
                         follow_up_id: int) -> None:
    """Mark a follow-up done."""
    follow_up = await session.get(FollowUp, follow_up_id)
    if follow_up is None or follow_up.case_id != case.id:
        raise NotFound("follow-up")
    if follow_up.done_at is None:
        follow_up.done_at, follow_up.done_by = utcnow(), counsellor.id
        audit(session, "follow_up_done", counsellor_id=counsellor.id, case_id=case.id)
        await changed(session, case, "follow_up")


# --------------------------------------------------------------------------- transfers


async def pending_transfer(session: AsyncSession, case: Case) -> CaseTransfer | None:
    """The transfer of this case waiting for an answer, if any."""
    return await session.scalar(
        select(CaseTransfer).where(CaseTransfer.case_id == case.id,
                                   CaseTransfer.status == TransferStatus.PENDING)
        .order_by(CaseTransfer.id.desc()).limit(1))


async def offer_transfer(session: AsyncSession, case: Case, counsellor: Counsellor,
                         to: Counsellor | None, note: str = "") -> CaseTransfer:
    """Offer the case to another counsellor or a supervisor; it stays put until they accept."""
    _open(case)
    if await pending_transfer(session, case) is not None:
        raise TransferPending()
    holder = case.counsellor_id
    if to is None or not to.active or to.role == "admin" or to.id in (holder, counsellor.id):
        raise BadTransferTarget()
    if holder is None and counsellor.role not in SUPERVISOR_ROLES:
        raise AcceptFirst()  # a waiting case is accepted, or assigned by a supervisor
    transfer = CaseTransfer(case_id=case.id, from_counsellor_id=counsellor.id,
                            to_counsellor_id=to.id, status=TransferStatus.PENDING, note=note)
    session.add(transfer)
    case.transfer_to_id = to.id
    audit(session, "transfer_offered", counsellor_id=counsellor.id, case_id=case.id, to=to.id)
    await changed(session, case, "transfer_offered", to=to.id)
    return transfer


async def answer_transfer(session: AsyncSession, case: Case, counsellor: Counsellor,
                          accepted: bool, answer: str = "") -> CaseTransfer:
    """The counsellor offered the case accepts it (it becomes theirs) or rejects it."""
    transfer = await pending_transfer(session, case)
    if transfer is None or transfer.to_counsellor_id != counsellor.id:
        raise NoTransfer()
    transfer.resolved_at, case.transfer_to_id = utcnow(), None
    if not accepted:
        transfer.status, transfer.answer = TransferStatus.REJECTED, answer or None
        audit(session, "transfer_rejected", counsellor_id=counsellor.id, case_id=case.id)
        await changed(session, case, "transfer_rejected")
        return transfer
    _open(case)
    transfer.status = TransferStatus.ACCEPTED
    audit(session, "transfer_accepted", counsellor_id=counsellor.id, case_id=case.id,
          previous=case.counsellor_id)
    if case.counsellor_id is None:
        await accept(session, case, counsellor)  # an assigned waiting case: the child is told
    else:
        case.counsellor_id = counsellor.id
        conversation = await _conversation(session, case)
        if conversation.state == ConversationState.COUNSELLOR and (
            conversation.active_case_id == case.id
        ):
            changed_voice = voiced("counsellor_changed", as_audience(conversation.speaker))
            await post_message(session, conversation, Reply(changed_voice), author="system",
                               case_id=case.id)
    await changed(session, case, "transferred", to=counsellor.id)
    return transfer


async def _cancel_pending_transfer(session: AsyncSession, case: Case) -> None:
    transfer = await pending_transfer(session, case)
    if transfer is not None:
        transfer.status, transfer.resolved_at = TransferStatus.CANCELLED, utcnow()
    case.transfer_to_id = None


# --------------------------------------------------------------------------- time-outs


async def remind_unaccepted(session: AsyncSession, timeout_seconds: float) -> list[str]:
    """Tell children waiting too long how to reach 111 again and alert supervisors, once."""
    cutoff = utcnow() - timedelta(seconds=timeout_seconds)
    rows = await session.scalars(
        select(Case.id).where(
            Case.status == CaseStatus.OPEN,
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
        await alerts.raise_alert(session, AlertKind.NO_COUNSELLOR_IN_TIME, case_id=case_id)
        audit(session, "timeout_alert", case_id=case_id, waited_seconds=int(timeout_seconds))
        await changed(session, case, "timed_out")
        reminded.append(case_id)
    return reminded
