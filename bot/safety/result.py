"""The safety screen's verdict: risk level, category, matched rule ids and the escalation flag."""

from __future__ import annotations

from dataclasses import dataclass

from common.taxonomy import CATEGORIES, RiskLevel

__all__ = ["CATEGORIES", "RiskLevel", "SafetyResult"]


@dataclass(frozen=True)
class SafetyResult:
    """What the screen found in one message; `matched` holds rule ids, never the text."""

    risk: RiskLevel = RiskLevel.NONE
    category: str | None = None
    matched: tuple[str, ...] = ()
    request_human: bool = False
    general_question: bool = False
    question: bool = False  # reads as a question (a general-question marker)
    disclosure: bool = False  # says something happened to the speaker or a specific child
    cues: tuple[str, ...] = ()  # grooming cues (gift, secrecy, photos, meeting, deleting)

    @property
    def escalate(self) -> bool:
        """Hand to a human: a risk that is not a general question, or a request for a person."""
        risky = self.risk >= RiskLevel.CONCERN and not self.general_question
        return risky or self.request_human
