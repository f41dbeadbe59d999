"""Parents' FAQ: the FAQ retriever's pick answered from content/faq.yml, with its source.

A parent gets the answer as written ("anh/chị"). A user the bot is unsure about gets the same
answer addressed as "bạn" and the children's menu. A child gets, for a hotline question, the
hotlines; for any other, the children's lesson on that subject and 111.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.hotline import hotlines_text
from actions.parsing import age_band_from
from actions.ui import (
    MENU_BUTTON,
    audience,
    entity,
    latest_text,
    lesson_button,
    menu,
    say,
    speaker_of,
)
from common import speaker
from common.content import (
    FAQ_CATEGORY_LESSON,
    FAQ_CATEGORY_TITLES,
    TOPIC_TITLES,
    FaqEntry,
    faq_by_category,
    faq_by_key,
    load_faq,
)

# Confidences are nlu_components/faq_retriever.py's (softmax over 93 answers): under 0.2 the top
# answer was right about half the time on the development sets, so the parent picks instead.
MIN_CONFIDENCE = 0.2
# A runner-up this likely is offered as a button under a confident answer ("did you mean").
RELATED_CONFIDENCE = 0.15
MAX_RELATED = 2
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
# Entries written for one age band, with their twin for the other band.
AGE_TWINS = {
    "talk_with_child_6_10": ("6-10", "talk_with_teen_11_15"),
    "talk_with_teen_11_15": ("11-15", "talk_with_child_6_10"),
}
# Lessons closer to one entry than its category's lesson.
KEY_LESSON = {"road_safety_helmet": "road_safety", "stranger_safety": "strangers"}
_ADDRESS_RE = re.compile(r"\b(A|a)nh/chị\b")


def selected(tracker: Tracker) -> Tuple[Optional[str], float, List[Tuple[str, float]]]:
    """The FAQ key picked by the retriever, its confidence, and the ranking (key, confidence)."""
    selector = ((tracker.latest_message or {}).get("response_selector") or {}).get("faq") or {}
    response = selector.get("response") or {}
    key = response.get("intent_response_key")
    confidence = float(response.get("confidence") or 0.0)
    ranking = [
        (_key(str(r["intent_response_key"])), float(r.get("confidence") or 0.0))
        for r in selector.get("ranking") or []
        if r.get("intent_response_key")
    ]
    return (_key(str(key)) if key else None), confidence, ranking


def _key(response_key: str) -> str:
    """The FAQ key of a retrieval response key ("faq/what_is_111" or "what_is_111")."""
    return response_key.split("/", 1)[-1]


def related_buttons(ranking: List[Tuple[str, float]], answered: str) -> List[Dict[Text, Text]]:
    """Buttons for the runner-up answers likely enough to be what the parent meant."""
    keys = [k for k, c in ranking if k != answered and c >= RELATED_CONFIDENCE][:MAX_RELATED]
    return [b for b in (faq_button(k) for k in keys) if b]


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


def answer_text(entry: FaqEntry, who: str) -> str:
    """The answer with its source; a parent's ends with a line to them (111 where at risk),
    anyone else's says "bạn" where the answer says "anh/chị"."""
    at_risk = entry.category in AT_RISK_CATEGORIES and "111" not in entry.answer
    if who == speaker.PARENT:
        closing = say("faq_risk" if at_risk else "faq_more", who)
        return f"{entry.answer}\n\nNguồn: {entry.source}\n{closing}"
    answer = _ADDRESS_RE.sub(lambda m: "Bạn" if m.group(1) == "A" else "bạn", entry.answer)
    closing = f"\n{say('faq_risk', who)}" if at_risk else ""
    return f"{answer}\n\nNguồn: {entry.source}{closing}"


def for_age(entry: FaqEntry, message: str) -> FaqEntry:
    """The entry for the child's age when the message gives one and the entry has a twin."""
    band, twin = AGE_TWINS.get(entry.key, (None, None))
    given = age_band_from(None, message)
    if twin is None or given is None or given == band:
        return entry
    return faq_by_key(twin) or entry


def lesson_for_entry(entry: FaqEntry) -> Optional[str]:
    """The children's lesson topic on an entry's subject, if any."""
    return KEY_LESSON.get(entry.key) or FAQ_CATEGORY_LESSON.get(entry.category)


def answer_child(dispatcher: CollectingDispatcher, entry: FaqEntry, message: str) -> None:
    """A child asked a parents' question: the hotlines, or the lesson on it, and 111."""
    if entry.category == "hotlines":
        dispatcher.utter_message(text=hotlines_text(message, speaker.CHILD),
                                 buttons=menu(speaker.CHILD))
        return
    topic = lesson_for_entry(entry)
    if topic is None:
        dispatcher.utter_message(text=say("faq_for_child_no_lesson", speaker.CHILD),
                                 buttons=menu(speaker.CHILD))
        return
    dispatcher.utter_message(
        text=say("faq_for_child", speaker.CHILD, title=TOPIC_TITLES.get(topic, topic)),
        buttons=[lesson_button(topic), MENU_BUTTON],
    )


class ActionAnswerFaq(Action):
    """Answer a parent's question with the FAQ entry and its source, in the reader's voice."""

    def name(self) -> Text:
        return "action_answer_faq"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = speaker_of(tracker)
        key = entity(tracker, "faq_key")
        confidence = 1.0
        ranking: List[Tuple[str, float]] = []
        if key is None:
            key, confidence, ranking = selected(tracker)
        entry = faq_by_key(key) if key else None
        if entry is None or confidence < MIN_CONFIDENCE:
            if who == speaker.PARENT:
                buttons = [b for b in (faq_button(k) for k, _ in ranking[:3]) if b]
                buttons += [FAQ_MENU_BUTTON, MENU_BUTTON]
            else:
                buttons = menu(speaker.CHILD)
            dispatcher.utter_message(text=say("faq_unsure", speaker.as_audience(who)),
                                     buttons=buttons)
            return []
        entry = for_age(entry, latest_text(tracker))
        if who == speaker.CHILD or (who == speaker.UNKNOWN and entry.category == "hotlines"):
            answer_child(dispatcher, entry, latest_text(tracker))
            return []
        if who == speaker.PARENT:
            buttons = related_buttons(ranking, entry.key) + [FAQ_MENU_BUTTON, MENU_BUTTON]
        else:
            buttons = menu(speaker.CHILD)
        dispatcher.utter_message(text=answer_text(entry, who), buttons=buttons)
        return []


class ActionFaqMenu(Action):
    """Show FAQ categories, or the questions of one category."""

    def name(self) -> Text:
        return "action_faq_menu"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        category = entity(tracker, "faq_category")
        entries = faq_by_category(category) if category else ()
        if entries:
            title = FAQ_CATEGORY_TITLES.get(str(category), str(category))
            buttons = [b for b in (faq_button(e.key) for e in entries) if b]
            dispatcher.utter_message(
                text=say("faq_category_intro", who, title=title),
                buttons=buttons + [FAQ_MENU_BUTTON],
            )
            return []
        dispatcher.utter_message(
            text=say("faq_menu_intro", who), buttons=category_buttons() + [MENU_BUTTON]
        )
        return []
