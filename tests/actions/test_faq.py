"""The parents' FAQ action: a parent's answer, an unsure reader's, a child's lesson instead."""

from __future__ import annotations

import pytest

from common.content import faq_by_key
from common.speaker import address_of
from tests.actions.support import Said, run_actions, tracker

PARENT = {"speaker": "parent"}


@pytest.fixture(scope="module")
def said() -> dict[str, Said]:
    """Each case's action run once, all in one Rasa-env process."""
    return run_actions({
        "parent": ("action_answer_faq", tracker(
            "Làm sao biết con tôi bị xâm hại?", "faq", faq=("signs_of_abuse", 0.9),
            metadata=PARENT)),
        "related": ("action_answer_faq", tracker(
            "con bị bắt nạt trên mạng thì sao", "faq", faq=("cyberbullying", 0.6),
            runners_up=(("child_bullied", 0.3), ("sextortion", 0.05)), metadata=PARENT)),
        "unsure": ("action_answer_faq", tracker(
            "dấu hiệu trẻ bị xâm hại là gì", "faq", faq=("signs_of_abuse", 0.9))),
        "child": ("action_answer_faq", tracker(
            "ma tuy la gi vay", "faq", faq=("drugs_teen", 0.9), earlier=("em hoc lop 5",))),
        "low_confidence_parent": ("action_answer_faq", tracker(
            "hỏi linh tinh", "faq", faq=("screen_time", 0.1), metadata=PARENT)),
        "low_confidence_child": ("action_answer_faq", tracker(
            "hoi linh tinh", "faq", faq=("screen_time", 0.1))),
        "button": ("action_answer_faq", tracker(
            '/faq_answer{"faq_key":"how_to_report"}', "faq_answer",
            entities={"faq_key": "how_to_report"}, metadata=PARENT)),
        "age_twin": ("action_answer_faq", tracker(
            "con tôi 13 tuổi, nói chuyện với con về xâm hại thế nào", "faq",
            faq=("talk_with_child_6_10", 0.8), metadata=PARENT)),
        "menu_parent": ("action_faq_menu", tracker("/faq_menu", "faq_menu")),
        "menu_child": ("action_faq_menu", tracker("hoi dap cho bo me", "faq_menu")),
        "category": ("action_faq_menu", tracker(
            '/faq_menu{"faq_category":"bullying"}', "faq_menu",
            entities={"faq_category": "bullying"}, metadata=PARENT)),
    })


def test_a_parent_gets_the_answer_its_source_and_a_line_to_them(said: dict[str, Said]) -> None:
    entry = faq_by_key("signs_of_abuse")
    assert entry is not None
    answer = said["parent"].first
    assert answer.startswith(entry.answer) and f"Nguồn: {entry.source}" in answer
    assert address_of(answer.split("Nguồn:")[1]) == "parent"
    assert said["parent"].payloads == ["/faq_menu", "/show_menu"]


def test_a_likely_runner_up_is_offered_under_the_answer(said: dict[str, Said]) -> None:
    entry = faq_by_key("cyberbullying")
    assert entry is not None and said["related"].first.startswith(entry.answer)
    assert said["related"].payloads == [
        '/faq_answer{"faq_key":"child_bullied"}', "/faq_menu", "/show_menu"]


def test_an_unsure_reader_gets_the_answer_as_bạn_with_the_childrens_menu(
    said: dict[str, Said],
) -> None:
    answer = said["unsure"].first
    assert "Nguồn:" in answer and "anh/chị" not in answer.lower()
    assert said["unsure"].payloads[0] == "/start_lesson"


def test_a_child_gets_the_lesson_on_it_and_111(said: dict[str, Said]) -> None:
    child = said["child"]
    assert address_of(child.first) == "child" and "111" in child.first
    assert '/start_lesson{"topic":"substances"}' in child.payloads
    assert "Nguồn:" not in child.first


def test_low_confidence_asks_in_the_readers_voice(said: dict[str, Said]) -> None:
    parent, child = said["low_confidence_parent"], said["low_confidence_child"]
    assert address_of(parent.first) == "parent" and '/faq_answer{"faq_key":"screen_time"}' in (
        parent.payloads)
    assert address_of(child.first) == "child"
    assert not any(p.startswith("/faq_answer") for p in child.payloads)


def test_a_tapped_question_is_answered(said: dict[str, Said]) -> None:
    entry = faq_by_key("how_to_report")
    assert entry is not None and said["button"].first.startswith(entry.answer)


def test_the_childs_age_picks_the_entry_for_that_age(said: dict[str, Said]) -> None:
    teen = faq_by_key("talk_with_teen_11_15")
    assert teen is not None and said["age_twin"].first.startswith(teen.answer)


def test_faq_menu_in_both_voices(said: dict[str, Said]) -> None:
    assert address_of(said["menu_parent"].first) == "parent"
    assert address_of(said["menu_child"].first) == "child"
    assert any(p.startswith("/faq_menu{") for p in said["menu_child"].payloads)
    category = said["category"]
    assert address_of(category.first) == "parent"
    assert '/faq_answer{"faq_key":"child_bullied"}' in category.payloads
