"""The supportive replies sent when a conversation is handed to a counsellor."""

from __future__ import annotations

from common.content import message as text


def escalation_reply(category: str | None, risk: str, *, source: str = "screen") -> str:
    """Reply to a disclosure: thanks, not your fault, a counsellor is coming, 111 (and 113)."""
    opening = {
        "request": "escalation_request",
        "parent": "escalation_parent",
    }.get(source, "escalation_child")
    parts = [text(opening), text("hotline_111")]
    if category == "self_harm":
        parts.append(text("self_harm_now"))
    if risk == "imminent" or category == "immediate_danger":
        parts.append(text("danger_now"))
    return "\n\n".join(parts)
