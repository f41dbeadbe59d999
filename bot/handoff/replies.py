"""What the bot says around a handoff, for a child or a parent (DESIGN.md, Escalation).

Every text comes from content/messages.yml in two voices (`<key>_child`, `<key>_parent`); a user
the bot is unsure about is spoken to as a child. Every escalation reply carries 111.
"""

from __future__ import annotations

from common.content import voiced
from common.taxonomy import RiskLevel

ABUSE_CATEGORIES = frozenset(
    {"sexual_abuse", "physical_violence", "emotional_abuse", "trafficking", "immediate_danger",
     "runaway", "online_abuse", "child_labour"}
)
HURT_CATEGORIES = frozenset({"self_harm", "physical_violence", "sexual_abuse", "immediate_danger"})


def escalation_reply(
    category: str | None, risk: str, *, audience: str = "child", request: bool = False
) -> str:
    """Reply to a disclosure or a request for a person: what happens next, then 111 (113, 115)."""
    level = RiskLevel(risk if risk != "none" else "concern")
    if request and category in (None, "other"):
        opening = "escalation_request"
    elif category == "self_harm":
        opening = "escalation_self_harm"
    else:
        opening = "escalation"
    parts = [voiced(opening, audience), voiced("hotline_111", audience)]
    if category in ABUSE_CATEGORIES or level is RiskLevel.IMMINENT:
        parts.append(voiced("danger_113", audience))
    if category in HURT_CATEGORIES and (category == "self_harm" or level is RiskLevel.IMMINENT):
        parts.append(voiced("hurt_115", audience))
    return "\n\n".join(parts)


def risk_raised_reply(category: str | None, risk: str, *, audience: str = "child") -> str:
    """Inside an open case, a message of higher risk: help again at once (111, 113, 115)."""
    parts = [voiced("risk_raised", audience)]
    if risk == RiskLevel.IMMINENT or category == "immediate_danger":
        parts.append(voiced("danger_113", audience))
    if category in HURT_CATEGORIES and risk == RiskLevel.IMMINENT:
        parts.append(voiced("hurt_115", audience))
    return "\n\n".join(parts)


def review_line(audience: str = "child") -> str:
    """The one gentle line a doubtful message gets under the bot's usual answer."""
    return voiced("review_line", audience)
