"""Lessons and the child's age: an age answers "how old?", never hijacks a parent's question."""

from __future__ import annotations

import pytest

from common.content import faq_by_key, lesson_by_id
from common.speaker import address_of
from tests.actions.support import Said, run_actions, tracker

PARENT = {"speaker": "parent"}
WAITING = {"pending": "age_for_lesson", "topic": "body_safety"}
CHECKING = {"pending": "lesson_check", "current_lesson": "body_safety_6_10", "lesson_step": 3.0}


@pytest.fixture(scope="module")
def said() -> dict[str, Said]:
    """Each case's action run once, all in one Rasa-env process."""
    return run_actions({
        "asks_child_age": ("action_start_lesson", tracker(
            "cho em hoc bai ve an toan co the", "start_lesson", entities={"topic": "body_safety"})),
        "asks_parent_age": ("action_start_lesson", tracker(
            "dạy con tôi về an toàn cơ thể", "start_lesson", entities={"topic": "body_safety"},
            metadata=PARENT)),
        "typed_age_answers": ("action_set_age", tracker(
            "em 8 tuổi", "inform_age", slots=WAITING)),
        "grade_answers": ("action_set_age", tracker("e hoc lop 7", "inform_age", slots=WAITING)),
        "button_age": ("action_set_age", tracker(
            '/inform_age{"age_band":"11-15"}', "inform_age", entities={"age_band": "11-15"},
            slots=WAITING)),
        "parent_answers_for_child": ("action_set_age", tracker(
            "bé nhà mình 5 tuổi", "inform_age", slots=WAITING, metadata=PARENT)),
        "parent_question_with_age": ("action_set_age", tracker(
            "bé nhà mình 5 tuổi, dạy bé về cơ thể thế nào", "inform_age",
            faq=("teach_body_safety", 0.7), metadata=PARENT)),
        "short_age_unasked": ("action_set_age", tracker("em 12 tuổi", "inform_age")),
        "wrong_check_answer": ("action_answer", tracker(
            '/answer{"option":"a"}', "answer", entities={"option": "a"}, slots=CHECKING)),
        "right_check_answer": ("action_answer", tracker(
            '/answer{"option":"b"}', "answer", entities={"option": "b"}, slots=CHECKING)),
        "typed_check_answer": ("action_answer", tracker(
            "em chọn b ạ", "answer", slots=CHECKING)),
        "parent_first_step": ("action_start_lesson", tracker(
            "dạy bé về quy tắc đồ lót", "start_lesson", entities={"topic": "body_safety"},
            slots={"age_band": "6-10"}, metadata=PARENT)),
    })


def test_the_bot_asks_the_age_in_the_readers_voice(said: dict[str, Said]) -> None:
    child, parent = said["asks_child_age"], said["asks_parent_age"]
    assert address_of(child.first) == "child" and address_of(parent.first) == "parent"
    for asked in (child, parent):
        assert asked.slot("pending") == "age_for_lesson"
        assert '/inform_age{"age_band":"6-10"}' in asked.payloads


@pytest.mark.parametrize(
    ("case", "band"),
    [("typed_age_answers", "6-10"), ("grade_answers", "11-15"), ("button_age", "11-15"),
     ("parent_answers_for_child", "6-10")],
)
def test_an_answer_to_how_old_sets_the_band_and_starts_the_lesson(
    said: dict[str, Said], case: str, band: str
) -> None:
    assert said[case].slot("age_band") == band
    assert said[case].slot("current_lesson") == f"body_safety_{band.replace('-', '_')}"
    assert "(1/" in said[case].first


def test_a_parents_question_with_an_age_gets_the_faq_not_a_band(said: dict[str, Said]) -> None:
    question = said["parent_question_with_age"]
    entry = faq_by_key("teach_body_safety")
    assert entry is not None and question.first.startswith(entry.answer)
    with pytest.raises(KeyError):
        question.slot("age_band")


def test_a_short_age_nobody_asked_for_is_remembered(said: dict[str, Said]) -> None:
    assert said["short_age_unasked"].slot("age_band") == "11-15"
    assert address_of(said["short_age_unasked"].first) == "child"


def test_check_answers_a_kind_correction_or_a_short_right(said: dict[str, Said]) -> None:
    lesson = lesson_by_id("body_safety_6_10")
    assert lesson is not None
    wrong, right = said["wrong_check_answer"].first, said["right_check_answer"].first
    assert wrong.startswith("💛 Chưa đúng") and "Đáp án đúng là B" in wrong
    assert "Đúng rồi" not in wrong
    assert right.startswith("✅ Đúng rồi.") and lesson.check.explanation in right
    assert said["right_check_answer"].slot("lessons_done") == ["body_safety_6_10"]
    assert said["typed_check_answer"].first.startswith("✅ Đúng rồi.")  # "ạ" is not option a


def test_a_parent_is_told_to_read_the_lesson_with_the_child(said: dict[str, Said]) -> None:
    first = said["parent_first_step"].first
    assert address_of(first) == "parent" and "(1/" in first
