"""The chat's value types: a button, a reply, an inbound message, the handoff state, a result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """A quick-reply button: a title shown, a payload sent back when tapped."""

    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        """JSON form, as in the /api/chat contract."""
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Reply:
    """One message to the user: text with optional buttons, and what kind of reply it is."""

    text: str
    buttons: tuple[Button, ...] = ()
    kind: str = "answer"  # answer | escalation | review | case | wipe | ... (not in the contract)

    def as_dict(self) -> dict[str, Any]:
        """JSON form, as in the /api/chat contract."""
        return {"text": self.text, "buttons": [b.as_dict() for b in self.buttons]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Rebuild a reply from its JSON form."""
        buttons = tuple(
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in data.get("buttons") or []
        )
        return cls(str(data.get("text") or ""), buttons, str(data.get("kind") or "answer"))


@dataclass(frozen=True)
class Inbound:
    """A message received on a channel, before it is stored."""

    channel: str
    platform_user_id: str
    text: str
    platform_id: str | None = None
    kind: str = "text"  # text | image | sticker | file | audio | other (a caption is its text)
    address: str | None = None  # where to reply (chat id); defaults to platform_user_id
    action: str | None = None  # a channel's own request, e.g. "wipe" (clear the chat screen)


@dataclass
class Handoff:
    """The conversation's handoff state, as in the /api/chat contract."""

    active: bool = False
    case_id: str | None = None
    risk: str = "none"
    category: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form, as in the /api/chat contract."""
        return {
            "active": self.active,
            "case_id": self.case_id,
            "risk": self.risk,
            "category": self.category,
        }


@dataclass
class ChatResult:
    """What the pipeline did with one inbound message."""

    replies: list[Reply] = field(default_factory=list)
    handoff: Handoff = field(default_factory=Handoff)
    triage: str = "answer"  # answer | review | escalate: the decision on this message
    kind: str = "answer"  # what the replies are: answer | escalation | review | case | ...

    def as_dict(self) -> dict[str, Any]:
        """JSON form, as in the /api/chat contract."""
        return {
            "replies": [r.as_dict() for r in self.replies],
            "handoff": self.handoff.as_dict(),
            "triage": self.triage,
        }
