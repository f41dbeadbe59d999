"""Build trackers for the action tests and run the actions in the Rasa environment at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.rasa.rasa_env import run_python

RUNNER = Path(__file__).with_name("runner.py")


@dataclass(frozen=True)
class Said:
    """What one action said (the dispatcher's messages) and the events it returned."""

    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """Every text it said, one after another."""
        return "\n".join(str(m.get("text") or "") for m in self.messages if m.get("text"))

    @property
    def first(self) -> str:
        """Its first text."""
        return next((str(m["text"]) for m in self.messages if m.get("text")), "")

    @property
    def payloads(self) -> list[str]:
        """The payloads of every button it offered."""
        return [str(b["payload"]) for m in self.messages for b in m.get("buttons") or []]

    def slot(self, name: str) -> Any:
        """The value it set a slot to (KeyError if it did not set it)."""
        for event in self.events:
            if event.get("event") == "slot" and event.get("name") == name:
                return event.get("value")
        raise KeyError(name)


def tracker(
    text: str,
    intent: str = "",
    *,
    entities: dict[str, str] | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    faq: tuple[str, float] | None = None,
    runners_up: tuple[tuple[str, float], ...] = (),
    earlier: tuple[str, ...] = (),
    confidence: float = 0.95,
) -> dict[str, Any]:
    """A tracker state whose latest user message is `text` read as `intent` (and a FAQ pick with
    its `runners_up`), after the user's `earlier` messages."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "metadata": metadata or {},
    }
    if faq is not None:
        key, score = faq
        latest["response_selector"] = {
            "faq": {
                "response": {"intent_response_key": f"faq/{key}", "confidence": score},
                "ranking": [{"intent_response_key": f"faq/{k}", "confidence": c}
                            for k, c in ((key, score), *runners_up)],
            }
        }
    events = [{"event": "user", "text": t, "parse_data": {}} for t in earlier]
    events.append({"event": "user", "text": text, "parse_data": latest})
    return {"sender_id": "test-user", "slots": dict(slots or {}), "latest_message": latest,
            "events": events}


def run_actions(cases: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Said]:
    """Run each named (action, tracker) case in the Rasa env; what each action said."""
    payload = {name: {"action": a, "tracker": state} for name, (a, state) in cases.items()}
    out = run_python(RUNNER.read_text(encoding="utf-8"), payload, timeout=120)
    return {name: Said(result["messages"], result["events"]) for name, result in out.items()}
