"""Hotlines (content/hotlines.yml) and children's rights, in the reader's voice."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ui import MENU_BUTTON, audience, latest_text, lesson_button, menu, say
from common import speaker
from common.content import Hotline, faq_by_category, load_hotlines


def describe(line: Hotline, detailed: bool) -> str:
    """One hotline as text."""
    free = "miễn phí" if line.free else "có tính phí"
    head = f"📞 {line.number} – {line.name} ({free}, {line.hours})"
    if not detailed:
        return head
    return f"{head}\n{line.description}\nCách gọi: {line.how_to_call}\nKhi nào gọi: {line.when}"


def hotlines_text(message: str, who: str) -> str:
    """The hotline asked about (e.g. "111", by default 111) in detail, then the others."""
    lines = load_hotlines()
    digits = set(re.findall(r"\d+", re.sub(r"(?<=\d)[ .-](?=\d)", "", message)))
    asked = [h for h in lines if h.number in digits] or [h for h in lines if h.number == "111"]
    parts = [say("hotlines_intro", who)] + [describe(h, True) for h in asked]
    others = [describe(h, False) for h in lines if h not in asked]
    if others:
        parts.append("Các số khác:\n" + "\n".join(others))
    return "\n\n".join(parts)


class ActionHotline(Action):
    """Tell the hotlines; the one asked about (e.g. "111") in detail."""

    def name(self) -> Text:
        return "action_hotline"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        dispatcher.utter_message(text=hotlines_text(latest_text(tracker), who), buttons=menu(who))
        return []


class ActionRights(Action):
    """Tell children their rights (a parent: what the law protects), with the law's FAQ."""

    def name(self) -> Text:
        return "action_rights"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        if who == speaker.PARENT:
            buttons = [
                {"title": e.question, "payload": f'/faq_answer{{"faq_key":"{e.key}"}}'}
                for e in faq_by_category("law")[:3]
            ]
        else:
            buttons = [lesson_button("child_rights")]
        dispatcher.utter_message(text=say("rights", who), buttons=buttons + [MENU_BUTTON])
        return []
