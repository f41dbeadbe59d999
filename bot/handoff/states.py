"""The states of a conversation, a case and what hangs on a case, as enums (stored as text).

Every transition between them happens in `bot.handoff.cases` (and `reviews`, `transfers`),
which raise the typed errors of `bot.handoff.errors`; this module only names the states and
the order of a case's steps (a pure rule, `step_allowed`).
"""

from __future__ import annotations

from enum import StrEnum


class ConversationState(StrEnum):
    """Who answers the child: the bot, nobody yet (a case waits), or a counsellor."""

    BOT = "bot"
    WAITING = "waiting"
    COUNSELLOR = "counsellor"


class CaseStatus(StrEnum):
    """Where a case stands for the queue: waiting, being handled, referred out, or closed."""

    OPEN = "open"
    ACTIVE = "active"
    REFERRED = "referred"
    CLOSED = "closed"


class CaseStep(StrEnum):
    """Tổng đài 111's six steps: receive, assess, plan, intervene or refer, follow up, close."""

    RECEIVED = "received"
    ASSESSED = "assessed"
    PLAN = "plan"
    INTERVENTION = "intervention"
    REFERRAL = "referral"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        """Position in the process (intervention and referral share one)."""
        return _STEP_RANK[self]


_STEP_RANK = {
    CaseStep.RECEIVED: 0,
    CaseStep.ASSESSED: 1,
    CaseStep.PLAN: 2,
    CaseStep.INTERVENTION: 3,
    CaseStep.REFERRAL: 3,
    CaseStep.FOLLOW_UP: 4,
    CaseStep.CLOSED: 5,
}


def step_allowed(current: CaseStep, target: CaseStep) -> bool:
    """A case moves forward (a step may be skipped), never back; intervention ↔ referral."""
    if current is CaseStep.CLOSED:
        return False
    if target.rank > current.rank:
        return True
    return target.rank == current.rank == CaseStep.REFERRAL.rank and target is not current


class TransferStatus(StrEnum):
    """A case offered to another counsellor: waiting for their answer, accepted or refused."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ReferralStatus(StrEnum):
    """Where a referral to an outside service stands."""

    MADE = "made"
    RECEIVED = "received"
    DONE = "done"
    DECLINED = "declined"


class NoteKind(StrEnum):
    """A counsellor's own note, or a supervisor's private note to the counsellor ("whisper")."""

    NOTE = "note"
    WHISPER = "whisper"


class AlertKind(StrEnum):
    """What a supervisor is alerted to."""

    NO_COUNSELLOR_IN_TIME = "no_counsellor_in_time"
    CASE_BURST = "case_burst"
    RISK_RAISED = "risk_raised"


REFERRAL_SERVICES = ("police", "health", "social_affairs", "school")
