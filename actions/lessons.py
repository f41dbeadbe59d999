"""Lessons: start by topic and age band, step by step with buttons, a check question, progress.

The steps speak to the child ("em"); the texts around them speak to whoever is reading (a parent
is asked the child's age and told to read along). The age band is set only when the bot asked
for it or the user answers with an age: a parent's question that mentions an age is the FAQ's.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import quiz
from actions.faq import ActionAnswerFaq, selected
from actions.parsing import age_band_from, option_from, topic_from
from actions.ui import MENU_BUTTON, as_int, audience, entity, latest_text, menu, say
from common import speaker
from common.content import TOPIC_TITLES, Lesson, lesson_by_id, lesson_for, load_lessons

NEXT_BUTTON = {"title": "➡️ Tiếp theo", "payload": "/next_step"}
AGE_BUTTONS = [
    {"title": "6–10 tuổi", "payload": '/inform_age{"age_band":"6-10"}'},
    {"title": "11–15 tuổi", "payload": '/inform_age{"age_band":"11-15"}'},
]
# An answer to "how old are you?" is short ("em 8 tuổi", "con tôi học lớp 3 ạ"); a longer
# message that names an age is a question of its own.
MAX_AGE_ANSWER_WORDS = 7


def topic_buttons() -> List[Dict[Text, Text]]:
    """One button per lesson topic present in the content."""
    topics = list(dict.fromkeys(lesson.topic for lesson in load_lessons()))
    return [
        {
            "title": TOPIC_TITLES.get(topic, topic),
            "payload": f'/start_lesson{{"topic":"{topic}"}}',
        }
        for topic in topics
    ]


def show_step(dispatcher: CollectingDispatcher, lesson: Lesson, step: int, who: str) -> None:
    """Send one step of a lesson with the "next" button (a parent is told to read along)."""
    heading = f"📚 {lesson.title} ({step + 1}/{len(lesson.steps)})"
    if step == 0 and who == speaker.PARENT:
        heading = f"{say('lesson_with_child', who)}\n{heading}"
    dispatcher.utter_message(
        text=f"{heading}\n{lesson.steps[step].text}", buttons=[NEXT_BUTTON, MENU_BUTTON]
    )


def show_check(dispatcher: CollectingDispatcher, lesson: Lesson) -> None:
    """Send the lesson's check question with one button per option."""
    dispatcher.utter_message(
        text=quiz.question_text(lesson.check, "🤔 Câu hỏi kiểm tra:"),
        buttons=quiz.option_buttons(lesson.check.options),
    )


def begin(
    dispatcher: CollectingDispatcher, topic: str, age_band: Optional[str], who: str
) -> List[Dict[Text, Any]]:
    """Start a lesson at its first step."""
    lesson = lesson_for(topic, age_band)
    if lesson is None:
        dispatcher.utter_message(text=say("lesson_missing", who), buttons=topic_buttons())
        return [SlotSet("pending", None)]
    show_step(dispatcher, lesson, 0, who)
    return [
        SlotSet("topic", topic),
        SlotSet("current_lesson", lesson.id),
        SlotSet("lesson_step", 0.0),
        SlotSet("pending", "lesson"),
    ]


def advance(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Go to the next lesson step, or the check question after the last step."""
    who = audience(tracker)
    lesson = lesson_by_id(str(tracker.get_slot("current_lesson") or ""))
    if lesson is None:
        dispatcher.utter_message(text=say("lesson_pick", who), buttons=topic_buttons())
        return [SlotSet("pending", None)]
    if tracker.get_slot("pending") == "lesson_check":
        show_check(dispatcher, lesson)
        return []
    step = as_int(tracker.get_slot("lesson_step")) + 1
    if step < len(lesson.steps):
        show_step(dispatcher, lesson, step, who)
        return [SlotSet("lesson_step", float(step))]
    show_check(dispatcher, lesson)
    return [SlotSet("lesson_step", float(step)), SlotSet("pending", "lesson_check")]


def check_lesson(
    dispatcher: CollectingDispatcher, tracker: Tracker, option: str
) -> List[Dict[Text, Any]]:
    """Check the answer to the lesson's question, explain, and record the lesson as done."""
    lesson = lesson_by_id(str(tracker.get_slot("current_lesson") or ""))
    if lesson is None:
        return [SlotSet("pending", None)]
    if lesson.check.option(option) is None:
        show_check(dispatcher, lesson)
        return []
    done = list(tracker.get_slot("lessons_done") or [])
    if lesson.id not in done:
        done.append(lesson.id)
    quiz_payload = f'/start_quiz{{"topic":"{lesson.topic}"}}'
    finished = say("lesson_done", audience(tracker), title=lesson.title, count=len(done))
    dispatcher.utter_message(
        text=f"{quiz.verdict(lesson.check, option)}\n{lesson.check.explanation}\n{finished}",
        buttons=[
            {"title": "❓ Đố vui về bài này", "payload": quiz_payload},
            {"title": "📚 Học bài khác", "payload": "/start_lesson"},
            MENU_BUTTON,
        ],
    )
    return [SlotSet("lessons_done", done), SlotSet("pending", None)]


def age_band_of(tracker: Tracker) -> Optional[str]:
    """The age band the latest message gives (a button's entity, an age or a grade)."""
    value = entity(tracker, "age_band") or entity(tracker, "age")
    return age_band_from(value, latest_text(tracker))


class ActionStartLesson(Action):
    """Start a lesson by topic; ask the topic or the age band first when unknown."""

    def name(self) -> Text:
        return "action_start_lesson"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        topic = topic_from(entity(tracker, "topic"), latest_text(tracker))
        age = age_band_of(tracker) or tracker.get_slot("age_band")
        if not topic:
            dispatcher.utter_message(text=say("lesson_pick", who), buttons=topic_buttons())
            return [SlotSet("pending", None)]
        if age not in ("6-10", "11-15"):
            dispatcher.utter_message(text=say("lesson_age", who), buttons=AGE_BUTTONS)
            return [SlotSet("topic", topic), SlotSet("pending", "age_for_lesson")]
        return [SlotSet("age_band", age)] + begin(dispatcher, topic, age, who)


def answers_age_question(tracker: Tracker) -> bool:
    """Whether the latest message answers the bot's "how old?" or is short enough to be an age."""
    if tracker.get_slot("pending") == "age_for_lesson":
        return True
    return len(latest_text(tracker).split()) <= MAX_AGE_ANSWER_WORDS


class ActionSetAge(Action):
    """Remember the age band, then carry on with what was waiting for it.

    A longer message with an age that nobody asked for ("bé nhà mình 5 tuổi, dạy bé về cơ thể
    thế nào") is a question: the FAQ answers it and the band stays as it was."""

    def name(self) -> Text:
        return "action_set_age"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        if not answers_age_question(tracker) and selected(tracker)[0]:
            return ActionAnswerFaq().run(dispatcher, tracker, domain)
        who = audience(tracker)
        age = age_band_of(tracker)
        if age is None:
            dispatcher.utter_message(text=say("lesson_age_pick", who), buttons=AGE_BUTTONS)
            return []
        events: List[Dict[Text, Any]] = [SlotSet("age_band", age)]
        topic = tracker.get_slot("topic")
        if tracker.get_slot("pending") == "age_for_lesson" and topic:
            return events + begin(dispatcher, str(topic), age, who)
        dispatcher.utter_message(text=say("age_set", who, band=age), buttons=menu(who))
        return events


class ActionNextStep(Action):
    """Continue whatever is in progress: the next lesson step or the next quiz question."""

    def name(self) -> Text:
        return "action_next_step"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return continue_flow(dispatcher, tracker)


def continue_flow(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Move the current lesson or quiz on; offer the menu when nothing is in progress."""
    pending = tracker.get_slot("pending")
    who = audience(tracker)
    if pending in ("lesson", "lesson_check"):
        return advance(dispatcher, tracker)
    if pending == "quiz":
        question = quiz.quiz_by_id(str(tracker.get_slot("quiz_question") or ""))
        if question is not None:
            dispatcher.utter_message(
                text=quiz.question_text(question, "❓ Câu đố đang chờ bạn trả lời:"),
                buttons=quiz.option_buttons(question.options) + [quiz.STOP_BUTTON],
            )
            return []
        return quiz.ask(dispatcher, tracker, tracker.get_slot("quiz_topic"))
    if pending == "age_for_lesson":
        dispatcher.utter_message(text=say("lesson_age_pick", who), buttons=AGE_BUTTONS)
        return []
    dispatcher.utter_message(text=say("nothing_pending", who), buttons=menu(who))
    return []


class ActionAnswer(Action):
    """Check an answer (a/b/c/d) to the lesson's check question or the quiz question."""

    def name(self) -> Text:
        return "action_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        option = option_from(entity(tracker, "option"), latest_text(tracker))
        pending = tracker.get_slot("pending")
        if pending == "lesson_check":
            return check_lesson(dispatcher, tracker, option)
        if pending == "quiz" and tracker.get_slot("quiz_question"):
            return quiz.check_answer(dispatcher, tracker, option)
        dispatcher.utter_message(
            text="Hiện không có câu hỏi nào đang chờ. Bạn thử đố vui nhé?",
            buttons=[{"title": "❓ Đố vui", "payload": "/start_quiz"}, MENU_BUTTON],
        )
        return []


class ActionAffirm(Action):
    """A "yes": go on with the lesson or quiz in progress, else show the menu."""

    def name(self) -> Text:
        return "action_affirm"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return continue_flow(dispatcher, tracker)


class ActionDeny(Action):
    """A "no": stop what is in progress and offer the menu."""

    def name(self) -> Text:
        return "action_deny"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        who = audience(tracker)
        dispatcher.utter_message(text=say("deny", who), buttons=menu(who))
        return [SlotSet("pending", None)] if tracker.get_slot("pending") != "lesson" else []
