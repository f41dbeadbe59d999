"""Who is speaking: every action addresses a parent as "anh/chị" and a child as "bạn"/"em"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.content import load_messages, voiced
from common.speaker import address_of
from tests.actions.support import Said, run_actions, tracker

ACTIONS_DIR = Path(__file__).resolve().parents[2] / "actions"
PARENT = {"speaker": "parent"}
CHILD_MENU_FIRST = "/start_lesson"
# Said to one reader only: a child who asked a parents' question; a parent reading along.
CHILD_ONLY = {"faq_for_child", "faq_for_child_no_lesson"}
PARENT_ONLY = {"lesson_with_child", "faq_more"}
PARENT_MENU_FIRST = "/faq_menu"


@pytest.fixture(scope="module")
def said() -> dict[str, Said]:
    """Each case's action run once, all in one Rasa-env process."""
    return run_actions({
        "greet_unknown": ("action_greet", tracker("xin chào", "greet")),
        "greet_parent_sent": ("action_greet", tracker("xin chào", "greet", metadata=PARENT)),
        "thanks_parent_guessed": ("action_thanks", tracker(
            "cảm ơn nhé", "thanks", earlier=("bé nhà mình 7 tuổi, dạy bé thế nào",))),
        "thanks_parent_tapped": ("action_thanks", tracker(
            "cảm ơn", "thanks", earlier=("/faq_menu",))),
        "metadata_beats_history": ("action_show_menu", tracker(
            "menu", "show_menu", earlier=("con tôi 7 tuổi",), metadata={"speaker": "child"})),
        "hotline_111_child": ("action_answer_faq", tracker(
            "111 la gi", "faq", faq=("what_is_111", 0.9))),
        "hotline_111_parent": ("action_answer_faq", tracker(
            "111 la gi", "faq", faq=("what_is_111", 0.9), metadata=PARENT)),
        "handoff_parent": ("action_handoff", tracker(
            "tôi muốn gặp tư vấn viên", "request_human", metadata=PARENT)),
        "handoff_child": ("action_handoff", tracker("cho em gap nguoi that", "request_human")),
        "bot_challenge_parent": ("action_bot_challenge", tracker(
            "bạn là người hay máy", "bot_challenge", metadata=PARENT)),
        "rights_child": ("action_rights", tracker("quyen tre em la gi", "ask_rights")),
        "rights_parent": ("action_rights", tracker(
            "quyền trẻ em gồm những gì", "ask_rights", metadata=PARENT)),
    })


def test_unsure_is_a_child_and_gets_the_childrens_menu(said: dict[str, Said]) -> None:
    greet = said["greet_unknown"]
    assert address_of(greet.first) == "child"
    assert greet.payloads[0] == CHILD_MENU_FIRST


def test_the_gateways_guess_wins(said: dict[str, Said]) -> None:
    assert address_of(said["greet_parent_sent"].first) == "parent"
    assert said["greet_parent_sent"].payloads[0] == PARENT_MENU_FIRST
    assert address_of(said["metadata_beats_history"].first) == "child"


def test_without_the_gateway_rasa_guesses_from_the_conversation(said: dict[str, Said]) -> None:
    assert address_of(said["thanks_parent_guessed"].first) == "parent"
    assert address_of(said["thanks_parent_tapped"].first) == "parent"


def test_a_child_asking_111_is_answered_as_a_child(said: dict[str, Said]) -> None:
    child = said["hotline_111_child"]
    assert "111" in child.first and address_of(child.first) == "child"
    assert child.payloads[0] == CHILD_MENU_FIRST
    assert not any(p.startswith("/faq_answer") for p in child.payloads)
    parent = said["hotline_111_parent"]
    assert "Nguồn:" in parent.first and address_of(parent.first) == "parent"
    assert parent.payloads[0] == "/faq_menu"


def test_handoff_answer_in_both_voices(said: dict[str, Said]) -> None:
    for name, who in (("handoff_parent", "parent"), ("handoff_child", "child")):
        assert said[name].messages[0]["custom"]["handoff"]["category"] == "other"
        assert address_of(said[name].text) == who and "111" in said[name].text


def test_bot_challenge_offers_a_counsellor_to_a_parent(said: dict[str, Said]) -> None:
    challenge = said["bot_challenge_parent"]
    assert address_of(challenge.first) == "parent" and "/request_human" in challenge.payloads


def test_rights_child_gets_the_lesson_parent_the_law(said: dict[str, Said]) -> None:
    assert address_of(said["rights_child"].first) == "child"
    assert '/start_lesson{"topic":"child_rights"}' in said["rights_child"].payloads
    assert address_of(said["rights_parent"].first) == "parent"
    assert any(p.startswith("/faq_answer") for p in said["rights_parent"].payloads)


def _keys_said() -> set[str]:
    """Every message key the actions say through `say(...)`."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in ACTIONS_DIR.glob("*.py"))
    keys = set(re.findall(r"""say\(\s*(?:f?["'])([a-z_0-9{}]+)["']""", source))
    keys |= set(re.findall(r'^\s*key = "([a-z_0-9]+)"', source, re.M))
    scoped = {k for k in keys if "{" in k}
    return (keys - scoped) | {"out_of_scope_health", "out_of_scope_homework"}


def test_every_text_the_actions_say_exists_and_addresses_its_reader() -> None:
    messages = load_messages()
    keys = _keys_said()
    assert {"welcome", "faq_menu_intro", "lesson_age", "out_of_scope_health"} <= keys
    for key in sorted(keys):
        if key not in CHILD_ONLY:
            assert f"{key}_parent" in messages, f"{key} has no parent's voice"
            assert address_of(voiced(key, "parent")) == "parent", key
        if key not in PARENT_ONLY:
            assert key in messages or f"{key}_child" in messages, f"{key} has no child's voice"
            assert address_of(voiced(key, "child")) == "child", key
