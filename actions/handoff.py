"""Handoff: risk intents and requests for a person send the gateway a signal, not a decision.

The gateway's triage weighs Rasa's intent with its confidence beside the rule screen and the
learned classifier. If it does not escalate, the user still gets the text sent here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ui import audience, menu, say
from common.taxonomy import default_risk, intent_category


def signal_for(intent: str, confidence: float = 1.0) -> Dict[str, Any]:
    """The signal for an intent: category and default risk from the taxonomy, and confidence."""
    category = intent_category(intent) or "other"
    return {
        "intent": intent,
        "confidence": round(float(confidence), 4),
        "category": category,
        "risk": default_risk(category),
    }


class ActionHandoff(Action):
    """Send the risk signal and a gentle, open answer for when the gateway does not escalate."""

    def name(self) -> Text:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {})
        name = str(intent.get("name") or "")
        confidence = float(intent.get("confidence") or 0.0)
        who = audience(tracker)
        dispatcher.utter_message(json_message={"handoff": signal_for(name, confidence)})
        dispatcher.utter_message(text=say("unsure", who), buttons=menu(who))
        return []
