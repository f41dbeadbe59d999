"""Handoff: risk intents and requests for a person send only the gateway's handoff signal."""

from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

# intent -> (category, risk level), categories and levels as in DESIGN.md.
HANDOFF: Dict[str, Tuple[str, str]] = {
    "risk_self_harm": ("self_harm", "imminent"),
    "risk_immediate_danger": ("immediate_danger", "imminent"),
    "risk_sexual_abuse": ("sexual_abuse", "high"),
    "risk_physical_violence": ("physical_violence", "high"),
    "risk_trafficking": ("trafficking", "high"),
    "risk_runaway": ("runaway", "high"),
    "risk_online_abuse": ("online_abuse", "high"),
    "risk_emotional_abuse": ("emotional_abuse", "concern"),
    "risk_neglect": ("neglect", "high"),
    "risk_child_labour": ("child_labour", "high"),
    "risk_bullying": ("bullying", "concern"),
    "request_human": ("other", "concern"),
}
DEFAULT = ("other", "concern")


def signal_for(intent: str) -> Dict[str, str]:
    """The handoff signal for an intent (unknown intents: category other, risk concern)."""
    category, risk = HANDOFF.get(intent, DEFAULT)
    return {"category": category, "risk": risk}


class ActionHandoff(Action):
    """Send the handoff signal; the gateway writes the supportive reply and opens the case."""

    def name(self) -> Text:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")
        dispatcher.utter_message(json_message={"handoff": signal_for(intent)})
        return []
