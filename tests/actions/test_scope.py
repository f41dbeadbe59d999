"""Out of scope is still helpful: say so in one line, what the bot can do, the right service."""

from __future__ import annotations

import pytest

from common.speaker import address_of
from tests.actions.support import Said, run_actions, tracker

PARENT = {"speaker": "parent"}


@pytest.fixture(scope="module")
def said() -> dict[str, Said]:
    """Each case's action run once, all in one Rasa-env process."""
    return run_actions({
        "fever_parent": ("action_out_of_scope", tracker(
            "con tôi bị sốt 39 độ", "out_of_scope", metadata=PARENT)),
        "fever_unaccented": ("action_out_of_scope", tracker(
            "con toi bi sot 39 do phai lam sao", "out_of_scope")),
        "homework_child": ("action_out_of_scope", tracker(
            "giai giup em bai toan lop 4 voi", "out_of_scope")),
        "weather": ("action_out_of_scope", tracker("thoi tiet hom nay the nao", "out_of_scope")),
        "fallback_injury": ("action_fallback_menu", tracker(
            "be bi cho can chay mau", "nlu_fallback")),
        "fallback_plain": ("action_fallback_menu", tracker("asdfgh", "nlu_fallback")),
    })


def test_illness_points_to_a_clinic_or_115(said: dict[str, Said]) -> None:
    parent = said["fever_parent"]
    assert "115" in parent.first and address_of(parent.first) == "parent"
    assert "không trả lời được" in parent.first.split(".")[0]
    assert "115" in said["fever_unaccented"].first


def test_homework_points_to_a_teacher(said: dict[str, Said]) -> None:
    homework = said["homework_child"]
    assert "thầy cô" in homework.first and address_of(homework.first) == "child"


def test_anything_else_says_what_the_bot_does_and_gives_111(said: dict[str, Said]) -> None:
    weather = said["weather"].first
    assert "111" in weather and "chưa trả lời được" in weather.split(".")[0]
    assert said["weather"].payloads[0] == "/start_lesson"


def test_a_message_not_understood_still_finds_its_service(said: dict[str, Said]) -> None:
    assert "115" in said["fallback_injury"].first
    plain = said["fallback_plain"].first
    assert "111" in plain and "115" not in plain
