"""The append-only audit log: every view and action on case data is written here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AuditEntry


def actor_of(counsellor_id: int | None) -> str:
    """The audit actor name for a counsellor or the system."""
    return f"counsellor:{counsellor_id}" if counsellor_id is not None else "system"


def audit(
    session: AsyncSession,
    action: str,
    *,
    counsellor_id: int | None = None,
    case_id: str | None = None,
    **detail: Any,
) -> None:
    """Append one audit entry (never message text) in the caller's transaction."""
    session.add(
        AuditEntry(actor=actor_of(counsellor_id), action=action, case_id=case_id, detail=detail)
    )
