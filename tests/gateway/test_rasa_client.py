"""Units of the Rasa client: routing, escaping and parsing of answers."""

from __future__ import annotations

import pytest

from bot.rasa_client import RasaUnavailable, escape_command, parse_answer, pick_server


def test_same_sender_always_goes_to_the_same_server() -> None:
    urls = ("http://a", "http://b", "http://c")
    chosen = {pick_server(urls, f"user-{i}") for i in range(200)}
    assert chosen == set(urls)  # spread over every server
    assert all(pick_server(urls, "child-42") == pick_server(urls, "child-42") for _ in range(5))


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("/start_lesson", "start_lesson"), ("  //restart", "restart"), ("xin chao", "xin chao"),
     ("a/b", "a/b")],
)
def test_a_typed_leading_slash_is_escaped(typed: str, sent: str) -> None:
    assert escape_command(typed) == sent


def test_parse_answer_reads_text_buttons_and_handoff_signal() -> None:
    answer = parse_answer([
        {"recipient_id": "x", "text": "Chào bạn", "buttons": [{"title": "Học", "payload": "/x"}]},
        {"recipient_id": "x", "custom": {"handoff": {"category": "self_harm", "risk": "imminent"}}},
    ])
    assert [r.text for r in answer.replies] == ["Chào bạn"]
    assert answer.replies[0].buttons[0].payload == "/x"
    assert answer.handoff == {"category": "self_harm", "risk": "imminent"}


def test_parse_answer_rejects_a_non_list() -> None:
    with pytest.raises(RasaUnavailable):
        parse_answer({"error": "boom"})
