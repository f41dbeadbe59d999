"""Typed errors of case, review and transfer transitions: callers match the class, never text.

Each error has a stable `code`; the console turns the code into Vietnamese
(`bot.console.labels.CASE_ERRORS`).
"""

from __future__ import annotations

from typing import ClassVar


class CaseError(Exception):
    """An action that the case's state (or the caller's role) does not allow."""

    code: ClassVar[str] = "case_state"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code)


class CaseClosed(CaseError):
    """The case is closed."""

    code = "case_closed"


class TakenByOther(CaseError):
    """Another counsellor holds the case."""

    code = "taken_by_other"


class AcceptFirst(CaseError):
    """Only the counsellor who accepted the case may chat in it."""

    code = "accept_first"


class HandedBack(CaseError):
    """The chat is with the bot (handed back, or another case is active)."""

    code = "handed_back"


class CloseFirst(CaseError):
    """Archiving needs a closed case."""

    code = "close_first"


class SupervisorsOnly(CaseError):
    """Only a supervisor (or an admin) may do this."""

    code = "supervisors_only"


class UnknownCategory(CaseError):
    """Not a category of the taxonomy."""

    code = "unknown_category"


class UnknownService(CaseError):
    """Not a referral service."""

    code = "unknown_service"


class UnknownStatus(CaseError):
    """Not a status this record can take."""

    code = "unknown_status"


class StepNotAllowed(CaseError):
    """A case moves forward through its steps, never back."""

    code = "step_not_allowed"


class ClosingMessageNeeded(CaseError):
    """Handing a live chat back to the bot needs a closing message to the child."""

    code = "closing_message_needed"


class ReasonNeeded(CaseError):
    """Opening an earlier case's transcript (or dismissing a review) needs a reason."""

    code = "reason_needed"


class InvalidAssessment(CaseError):
    """A risk assessment with a missing or unknown answer."""

    code = "invalid_assessment"


class InvalidFollowUp(CaseError):
    """A follow-up date that is not a date in the future."""

    code = "invalid_follow_up"


class TransferPending(CaseError):
    """The case already waits for another counsellor's answer."""

    code = "transfer_pending"


class NoTransfer(CaseError):
    """No transfer of this case waits for this counsellor."""

    code = "no_transfer"


class BadTransferTarget(CaseError):
    """A transfer to oneself, to an unknown or disabled account, or to an admin."""

    code = "bad_transfer_target"


class ReviewHandled(CaseError):
    """The review was already taken over or dismissed."""

    code = "review_handled"


class NotFound(CaseError):
    """The record does not exist (or belongs to another case)."""

    code = "not_found"
