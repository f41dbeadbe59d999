"""Parents' FAQ: the ResponseSelector's pick answered from content/faq.yml, with its source."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.ui import HOTLINE_REMINDER, MENU_BUTTON, entity
from common.content import FAQ_CATEGORY_TITLES, faq_by_category, faq_by_key, load_faq

MIN_CONFIDENCE = 0.3
FAQ_MENU_BUTTON = {"title": "👪 Câu hỏi khác", "payload": "/faq_menu"}
# Categories where a child may be at risk: the answer always ends with the 111 reminder.
AT_RISK_CATEGORIES = frozenset(
    {
        "signs_of_abuse",
        "disclosure",
        "reporting",
        "grooming",
        "trafficking",
        "child_labour",
        "bullying",
        "online_safety",
        "hotlines",
        "law",
        "confidentiality",
        "justice",
        "family",
        "mental_health",
        "substances",
        "puberty_sexual_health",
    }
)


def selected(tracker: Tracker) -> Tuple[Optional[str], float, List[str]]:
    """The FAQ key picked by the ResponseSelector, its confidence, and the runner-up keys."""
    selector = ((tracker.latest_message or {}).get("response_selector") or {}).get("faq") or {}
    response = selector.get("response") or {}
    key = response.get("intent_response_key")
    confidence = float(response.get("confidence") or 0.0)
    ranking = [
        str(r.get("intent_response_key"))
        for r in selector.get("ranking") or []
        if r.get("intent_response_key")
    ]
    return (str(key) if key else None), confidence, ranking


def faq_button(key: str) -> Optional[Dict[Text, Text]]:
    """A button that answers one FAQ entry."""
    entry = faq_by_key(key)
    if entry is None:
        return None
    return {"title": entry.question, "payload": f'/faq_answer{{"faq_key":"{entry.key}"}}'}


def category_buttons() -> List[Dict[Text, Text]]:
    """One button per FAQ category that has entries."""
    categories = list(dict.fromkeys(entry.category for entry in load_faq()))
    return [
        {
            "title": FAQ_CATEGORY_TITLES.get(c, c),
            "payload": f'/faq_menu{{"faq_category":"{c}"}}',
        }
        for c in categories
    ]


class ActionAnswerFaq(Action):
    """Answer a parent's question with the FAQ entry and its source."""

    def name(self) -> Text:
        return "action_answer_faq"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        key = entity(tracker, "faq_key")
        confidence = 1.0
        ranking: List[str] = []
        if key is None:
            key, confidence, ranking = selected(tracker)
        entry = faq_by_key(key) if key else None
        if entry is None or confidence < MIN_CONFIDENCE:
            buttons = [b for b in (faq_button(k) for k in ranking[:3]) if b]
            dispatcher.utter_message(
                text=(
                    "Mình chưa chắc anh/chị muốn hỏi điều gì. Có phải một trong các câu dưới đây? "
                    "Hoặc anh/chị chọn một chủ đề. " + HOTLINE_REMINDER
                ),
                buttons=buttons + [FAQ_MENU_BUTTON, MENU_BUTTON],
            )
            return []
        answer = f"{entry.answer}\n\nNguồn: {entry.source}"
        if entry.category in AT_RISK_CATEGORIES and "111" not in entry.answer:
            answer = f"{answer}\n{HOTLINE_REMINDER}"
        dispatcher.utter_message(text=answer, buttons=[FAQ_MENU_BUTTON, MENU_BUTTON])
        return []


class ActionFaqMenu(Action):
    """Show FAQ categories, or the questions of one category."""

    def name(self) -> Text:
        return "action_faq_menu"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        category = entity(tracker, "faq_category")
        entries = faq_by_category(category) if category else ()
        if entries:
            title = FAQ_CATEGORY_TITLES.get(str(category), str(category))
            buttons = [b for b in (faq_button(e.key) for e in entries) if b]
            dispatcher.utter_message(
                text=f"{title}: anh/chị chọn câu hỏi, hoặc cứ nhắn câu hỏi của mình nhé.",
                buttons=buttons + [FAQ_MENU_BUTTON],
            )
            return []
        dispatcher.utter_message(
            text=(
                "Hỏi đáp cho bố mẹ và người chăm sóc trẻ. Anh/chị chọn một chủ đề, "
                "hoặc cứ nhắn câu hỏi của mình nhé."
            ),
            buttons=category_buttons() + [MENU_BUTTON],
        )
        return []
