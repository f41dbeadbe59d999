"""Outside what the bot knows: say so in one line, say what it can do, point to the right service.

Illness and injury go to a clinic or 115, homework to a teacher, anything else about a child's
safety to 111. A message Rasa did not understand gets the same help when it names an illness or
homework, else the menu with 111.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ui import audience, latest_text, menu, say
from common.vietnamese import normalize

HEALTH, HOMEWORK = "health", "homework"

# Folded, teen code expanded. Only words that mean illness or injury in everyday use ("ho" alone
# is also "họ", "đau" alone is also a disclosure's word: the triage reads those first).
_HEALTH = re.compile(
    r"\b(?:sot|cam cum|bi cum|cam lanh|so mui|nghet mui|ho (?:khan|nhieu|co dom|mai|lien tuc)"
    r"|bi ho|viem (?:hong|phoi|tai|da|mui)|dau (?:bung|dau|rang|hong|tai|mat|lung|chan|tay)"
    r"|tieu chay|di ngoai|non oi|bi non|oi mua|buon non|di ung|phat ban|noi man|noi me day"
    r"|thuy dau|benh soi|tay chan mieng|sot xuat huyet|tiem (?:phong|chung|vac xin|vacxin)|vac xin"
    r"|vacxin|thuoc (?:ha sot|khang sinh|ho|cam|giam dau|bo)|uong thuoc|kham benh|benh vien"
    r"|bac si|phong kham|tram y te|co giat|kho tho|hen suyen|bi bong|bong nuoc soi|gay (?:tay|chan"
    r"|xuong)|bong gan|chay mau cam|te nga|nga xe|bi nga|va dau|u dau|bi thuong|vet thuong"
    r"|cho can|meo cao|ong dot|ran can|ngo doc|bieng an|luoi an|sut can|suy dinh duong"
    r"|tang chieu cao|chieu cao|can nang|mat ngu|rang sau|can thi|om (?:roi|nang|suot|hoai)"
    r"|bi om|bi benh|benh gi|nhiet do|\d{2}(?:[.,]\d)? do)\b"
)
_HOMEWORK = re.compile(
    r"\b(?:bai tap|bai ve nha|btvn|giai (?:bai|giup|ho|toan|phuong trinh|de)"
    r"|lam (?:ho|giup) (?:em |minh |to |tui )?bai|toan lop|mon (?:toan|van|anh|ly|hoa|sinh|su|dia"
    r"|tieng anh)|phuong trinh|tieng anh|ngu phap|bai van|viet van|ta (?:ve|canh|nguoi)"
    r"|de thi|on thi|bai kiem tra|kiem tra (?:15|mot tiet|giua ky|cuoi ky)|cong thuc|dich (?:giup"
    r"|sang|cau|doan)|phep (?:tinh|nhan|chia|cong|tru)|bang cuu chuong|hoc thuoc|bai hoc thuoc"
    r"|soan bai|van mau|tom tat (?:truyen|bai)|lao hac|truyen kieu)\b"
)


def scope_of(text: str) -> Optional[str]:
    """Which service a question outside the bot's topics belongs to: health, homework or None."""
    folded = normalize(text).folded
    if _HEALTH.search(folded):
        return HEALTH
    if _HOMEWORK.search(folded):
        return HOMEWORK
    return None


def out_of_scope_text(text: str, who: str) -> str:
    """One line saying the bot cannot answer, what it can do, and where to go instead."""
    kind = scope_of(text)
    return say(f"out_of_scope_{kind}" if kind else "out_of_scope", who)


class ActionOutOfScope(Action):
    """Answer a question outside the bot's topics helpfully: say so, and point to the service."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        dispatcher.utter_message(text=out_of_scope_text(latest_text(tracker), who),
                                 buttons=menu(who))
        return []


class ActionFallbackMenu(Action):
    """Not understood: an illness or homework gets its service, anything else the menu and 111."""

    def name(self) -> Text:
        return "action_fallback_menu"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        text = latest_text(tracker)
        reply = out_of_scope_text(text, who) if scope_of(text) else say("fallback", who)
        dispatcher.utter_message(text=reply, buttons=menu(who))
        return []
