"""Hotlines (content/hotlines.yml) and children's rights."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ui import MENU_BUTTON, MENU_BUTTONS, latest_text, text
from common.content import Hotline, faq_by_category, load_hotlines

RIGHTS_DEFAULT = (
    "Theo Luật Trẻ em 2016, mọi trẻ em dưới 16 tuổi đều có quyền được sống an toàn, được bảo vệ "
    "khỏi bạo lực, xâm hại, bóc lột và bị bỏ rơi, được học tập, vui chơi, được chăm sóc sức khỏe, "
    "được nói lên ý kiến của mình và được giữ bí mật đời tư. Không ai được đánh đập, xâm hại, "
    "ép trẻ em làm việc nặng hay mua bán trẻ em. Nếu quyền của bạn bị xâm phạm, hãy kể với người "
    "lớn bạn tin hoặc gọi 111 (miễn phí, 24/7)."
)


def describe(line: Hotline, detailed: bool) -> str:
    """One hotline as text."""
    free = "miễn phí" if line.free else "có tính phí"
    head = f"📞 {line.number} – {line.name} ({free}, {line.hours})"
    if not detailed:
        return head
    return f"{head}\n{line.description}\nCách gọi: {line.how_to_call}\nKhi nào gọi: {line.when}"


class ActionHotline(Action):
    """Tell the hotlines; the one asked about (e.g. "111") in detail."""

    def name(self) -> Text:
        return "action_hotline"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        lines = load_hotlines()
        digits = set(re.findall(r"\d+", re.sub(r"(?<=\d)[ .-](?=\d)", "", latest_text(tracker))))
        asked = [h for h in lines if h.number in digits] or [h for h in lines if h.number == "111"]
        parts = [describe(h, True) for h in asked]
        others = [describe(h, False) for h in lines if h not in asked]
        if others:
            parts.append("Các số khác:\n" + "\n".join(others))
        dispatcher.utter_message(text="\n\n".join(parts), buttons=MENU_BUTTONS)
        return []


class ActionRights(Action):
    """Tell children their rights, with the law's FAQ entries for parents."""

    def name(self) -> Text:
        return "action_rights"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        buttons = [
            {"title": e.question, "payload": f'/faq_answer{{"faq_key":"{e.key}"}}'}
            for e in faq_by_category("law")[:3]
        ]
        dispatcher.utter_message(
            text=text("rights", RIGHTS_DEFAULT), buttons=buttons + [MENU_BUTTON]
        )
        return []
