"""The safety screen's verdict: risk level, category, matched rule ids and the escalation flag."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CATEGORIES: tuple[str, ...] = (
    "sexual_abuse",
    "physical_violence",
    "emotional_abuse",
    "neglect",
    "self_harm",
    "immediate_danger",
    "trafficking",
    "child_labour",
    "online_abuse",
    "bullying",
    "runaway",
    "other",
)


class RiskLevel(StrEnum):
    """How urgent a message is, ordered none < concern < high < imminent."""

    NONE = "none"
    CONCERN = "concern"
    HIGH = "high"
    IMMINENT = "imminent"

    @property
    def rank(self) -> int:
        """Position in the order none (0) < concern < high < imminent (3)."""
        return _ORDER[self.value]

    def at_least(self, other: RiskLevel | str) -> bool:
        """Tell whether this level is at least `other`."""
        return self.rank >= RiskLevel(str(other)).rank

    def __lt__(self, other: object) -> bool:
        return self.rank < RiskLevel(str(other)).rank

    def __le__(self, other: object) -> bool:
        return self.rank <= RiskLevel(str(other)).rank

    def __gt__(self, other: object) -> bool:
        return self.rank > RiskLevel(str(other)).rank

    def __ge__(self, other: object) -> bool:
        return self.rank >= RiskLevel(str(other)).rank

    __hash__ = str.__hash__


_ORDER = {"none": 0, "concern": 1, "high": 2, "imminent": 3}


@dataclass(frozen=True)
class SafetyResult:
    """What the screen found in one message; `matched` holds rule ids, never the text."""

    risk: RiskLevel = RiskLevel.NONE
    category: str | None = None
    matched: tuple[str, ...] = ()
    request_human: bool = False
    general_question: bool = False

    @property
    def escalate(self) -> bool:
        """Hand to a human: a risk that is not a general question, or a request for a person."""
        risky = self.risk >= RiskLevel.CONCERN and not self.general_question
        return risky or self.request_human
