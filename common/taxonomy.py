"""The one taxonomy: risk levels, risk categories, Rasa's risk intents and their default risk.

Shared by the gateway (Python 3.11+), the Rasa actions and the training builder (Python 3.10):
standard library only. `tests/test_taxonomy.py` checks `domain.yml` and the builder against it.
"""

from __future__ import annotations

from enum import Enum
from typing import Dict, Optional, Tuple


class RiskLevel(str, Enum):
    """How urgent a message is, ordered none < concern < high < imminent."""

    NONE = "none"
    CONCERN = "concern"
    HIGH = "high"
    IMMINENT = "imminent"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """Position in the order none (0) < concern < high < imminent (3)."""
        return _ORDER[self.value]

    def at_least(self, other: "RiskLevel | str") -> bool:
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
RISK_LEVELS: Tuple[str, ...] = tuple(_ORDER)

# Category -> the risk a case of that category opens with when nothing says more.
DEFAULT_RISK: Dict[str, str] = {
    "sexual_abuse": "high",
    "physical_violence": "high",
    "emotional_abuse": "concern",
    "neglect": "high",
    "self_harm": "imminent",
    "immediate_danger": "imminent",
    "trafficking": "high",
    "child_labour": "high",
    "online_abuse": "high",
    "bullying": "concern",
    "runaway": "high",
    "other": "concern",
}
CATEGORIES: Tuple[str, ...] = tuple(DEFAULT_RISK)
# Categories with a risk intent in Rasa's domain ("other" has none: it is request_human's).
RISK_CATEGORIES: Tuple[str, ...] = tuple(c for c in CATEGORIES if c != "other")
RISK_INTENT_PREFIX = "risk_"
REQUEST_HUMAN_INTENT = "request_human"
RISK_INTENTS: Tuple[str, ...] = tuple(RISK_INTENT_PREFIX + c for c in RISK_CATEGORIES)
HANDOFF_INTENTS: Tuple[str, ...] = RISK_INTENTS + (REQUEST_HUMAN_INTENT,)


def intent_category(intent: str) -> Optional[str]:
    """The category of a risk intent ("other" for request_human), None for any other intent."""
    if intent == REQUEST_HUMAN_INTENT:
        return "other"
    if intent.startswith(RISK_INTENT_PREFIX) and intent[len(RISK_INTENT_PREFIX):] in DEFAULT_RISK:
        return intent[len(RISK_INTENT_PREFIX):]
    return None


def default_risk(category: Optional[str]) -> str:
    """The risk a category opens with ("concern" when unknown)."""
    return DEFAULT_RISK.get(category or "other", "concern")


def max_risk(*levels: "RiskLevel | str | None") -> RiskLevel:
    """The highest of some risk levels (none when all are missing)."""
    found = [RiskLevel(str(level)) for level in levels if level]
    return max(found, key=lambda r: r.rank) if found else RiskLevel.NONE
