"""Who may see and do what with a case: pure rules over the case's fields and the user's role.

Transcripts: a counsellor sees the cases they hold, the cases offered to them (a transfer
waiting for their answer) and the waiting cases they may accept — to accept a frightened child
safely one must read what the child wrote, and every opening is audited. A case they handed
over to someone else, or that another counsellor holds, is closed to them. Supervisors see
every case, audited. Earlier cases of the same child open only with a recorded reason.
"""

from __future__ import annotations

from typing import Protocol

from bot.console.auth import Identity
from bot.handoff.states import CaseStatus


class CaseFields(Protocol):
    """What the rules read of a case (a `Case` row, or a queue item)."""

    @property
    def status(self) -> str: ...  # noqa: D102

    @property
    def counsellor_id(self) -> int | None: ...  # noqa: D102

    @property
    def transfer_to_id(self) -> int | None: ...  # noqa: D102

    @property
    def archived_at(self) -> object: ...  # noqa: D102


def waiting(case: CaseFields) -> bool:
    """Open and not yet taken by anyone: the queue."""
    return case.status == CaseStatus.OPEN and case.counsellor_id is None


def can_view(case: CaseFields, who: Identity) -> bool:
    """Supervisors every case; a counsellor their own, one offered to them, or a waiting one."""
    if who.is_supervisor:
        return True
    if case.archived_at is not None:
        return False
    return (case.counsellor_id == who.counsellor_id or case.transfer_to_id == who.counsellor_id
            or waiting(case))


def can_act(case: CaseFields, who: Identity) -> bool:
    """Notes, category, steps, assessment, referral, follow-up, close: holder or supervisor."""
    return who.is_supervisor or (
        case.counsellor_id is not None and case.counsellor_id == who.counsellor_id)


def can_accept(case: CaseFields, who: Identity, with_bot: bool) -> bool:
    """"Nhận ca" for a waiting case; the holder may take the chat back from the bot.
    A case someone handles is never offered to others: it is transferred instead."""
    if case.status == CaseStatus.CLOSED:
        return False
    if case.counsellor_id is None:
        return case.status == CaseStatus.OPEN
    return case.counsellor_id == who.counsellor_id and with_bot


def can_chat(case: CaseFields, who: Identity, with_bot: bool) -> bool:
    """Only the holder writes to the child, while the chat is theirs."""
    return (case.counsellor_id == who.counsellor_id and case.status != CaseStatus.CLOSED
            and not with_bot)


def can_transfer(case: CaseFields, who: Identity) -> bool:
    """The holder (or a supervisor, who may also assign a waiting case) offers it onwards."""
    if case.status == CaseStatus.CLOSED or case.transfer_to_id is not None:
        return False
    return who.is_supervisor or case.counsellor_id == who.counsellor_id


def can_answer_transfer(case: CaseFields, who: Identity) -> bool:
    """The counsellor the case is offered to accepts or rejects it."""
    return case.transfer_to_id is not None and case.transfer_to_id == who.counsellor_id


def can_whisper(case: CaseFields, who: Identity) -> bool:
    """A supervisor writes privately to the counsellor holding a live case."""
    return (who.is_supervisor and case.status != CaseStatus.CLOSED
            and case.counsellor_id not in (None, who.counsellor_id))


def can_archive(case: CaseFields, who: Identity) -> bool:
    """A supervisor archives a closed case."""
    return who.is_supervisor and case.status == CaseStatus.CLOSED and case.archived_at is None
