"""Quiz: questions from content/quiz.yml as buttons, the reason behind each answer, a score."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.parsing import topic_from
from actions.ui import as_int, entity, latest_text
from common.content import QuizQuestion, quiz_by_id, quiz_questions

STOP_BUTTON = {"title": "⏹ Dừng", "payload": "/show_menu"}


def option_buttons(options: Any) -> List[Dict[Text, Text]]:
    """One button per answer option, payload /answer{"option":"x"}."""
    return [
        {"title": f"{o.key.upper()}. {o.text}", "payload": f'/answer{{"option":"{o.key}"}}'}
        for o in options
    ]


def question_text(question: Any, heading: str) -> str:
    """The question with its options written out (for channels without buttons)."""
    lines = [heading, question.question]
    lines += [f"{o.key.upper()}. {o.text}" for o in question.options]
    return "\n".join(lines)


def verdict(question: Any, option: str) -> str:
    """A short "right" or a kind correction with the right answer."""
    if question.is_correct(option):
        return "✅ Đúng rồi."
    right = question.option(question.answer)
    return (
        f"💛 Chưa đúng, không sao đâu. Đáp án đúng là {question.answer.upper()}"
        f"{': ' + right.text if right else ''}."
    )


def next_question(
    topic: Optional[str], age_band: Optional[str], asked: List[str]
) -> Optional[QuizQuestion]:
    """The first question of the pool not asked yet; the pool starts again once used up."""
    pool = quiz_questions(topic, age_band) or quiz_questions(topic) or quiz_questions()
    if not pool:
        return None
    return next((q for q in pool if q.id not in asked), pool[0])


def ask(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: Optional[str]
) -> List[Dict[Text, Any]]:
    """Send the next quiz question and record it in the slots."""
    asked = list(tracker.get_slot("quiz_asked") or [])
    question = next_question(topic, tracker.get_slot("age_band"), asked)
    if question is None:
        dispatcher.utter_message(text="Hiện chưa có câu đố nào. Bạn quay lại sau nhé.")
        return [SlotSet("pending", None)]
    pool_ids = {q.id for q in quiz_questions(topic)}
    if question.id in asked:  # every question of this pool was asked: start the round again
        asked = [a for a in asked if a not in pool_ids]
    number = as_int(tracker.get_slot("quiz_answered")) + 1
    dispatcher.utter_message(
        text=question_text(question, f"❓ Câu đố số {number}:"),
        buttons=option_buttons(question.options) + [STOP_BUTTON],
    )
    return [
        SlotSet("pending", "quiz"),
        SlotSet("quiz_topic", topic),
        SlotSet("quiz_question", question.id),
        SlotSet("quiz_asked", asked + [question.id]),
    ]


def check_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, option: str
) -> List[Dict[Text, Any]]:
    """Check the answer to the current quiz question, explain, update the score."""
    question = quiz_by_id(str(tracker.get_slot("quiz_question") or ""))
    if question is None:
        return ask(dispatcher, tracker, tracker.get_slot("quiz_topic"))
    if question.option(option) is None:
        dispatcher.utter_message(
            text="Bạn chọn một trong các đáp án bên dưới nhé.",
            buttons=option_buttons(question.options) + [STOP_BUTTON],
        )
        return []
    score = as_int(tracker.get_slot("quiz_score"))
    answered = as_int(tracker.get_slot("quiz_answered")) + 1
    if question.is_correct(option):
        score += 1
    dispatcher.utter_message(
        text=(f"{verdict(question, option)}\n{question.explanation}\n"
              f"Điểm của bạn: {score}/{answered}."),
        buttons=[{"title": "➡️ Câu tiếp theo", "payload": "/next_step"}, STOP_BUTTON],
    )
    return [
        SlotSet("quiz_question", None),
        SlotSet("quiz_score", float(score)),
        SlotSet("quiz_answered", float(answered)),
    ]


class ActionStartQuiz(Action):
    """Start (or continue) the quiz, optionally on one topic."""

    def name(self) -> Text:
        return "action_start_quiz"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        topic = topic_from(entity(tracker, "topic"), latest_text(tracker))
        if topic and not quiz_questions(topic):
            topic = None
        return ask(dispatcher, tracker, topic)

