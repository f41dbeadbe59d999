"""The Vietnamese tokenizer component, run in the Rasa environment: offsets, folding, teen code."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.rasa.rasa_env import run_python

TOKENIZE = """
import json, sys
from rasa.shared.nlu.training_data.message import Message
from nlu_components.vietnamese_tokenizer import VietnameseTokenizer
tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
out = []
for text in json.load(sys.stdin):
    message = Message(data={"text": text})
    tokenizer.process([message])
    out.append([[t.text, t.start, t.end] for t in message.get("text_tokens")])
print(json.dumps(out))
"""

DECOMPOSED = unicodedata.normalize("NFD", "Quy tắc đồ lót là gì?")
CASES = [
    "cho em học bài về an toàn cơ thể",
    "cho em hoc bai ve an toan co the",
    "e ko mún đi học vs bme",
    "Dấu hiệu trẻ bị xâm hại là gì?",
    "con bi chu hang xom danh",
    DECOMPOSED,
    "",
    "   ",
    "😭😭😭",
    "em\u200b sợợợ quááá",
    "a" * 5000 + " b",
    "Hoà bình",
    "ĐI ĐÂU VẬY",
]


@pytest.fixture(scope="module")
def tokens() -> dict[str, list[list[Any]]]:
    """Tokens of every case, computed once in the Rasa env."""
    result = run_python(TOKENIZE, CASES)
    return dict(zip(CASES, result, strict=True))


def texts(tokens: list[list[Any]]) -> list[str]:
    """The feature texts of a token list."""
    return [t[0] for t in tokens]


def test_offsets_index_the_original_text(tokens: dict[str, list[list[Any]]]) -> None:
    for text, toks in tokens.items():
        for _, start, end in toks:
            assert 0 <= start <= end <= len(text), (text, start, end)
        starts = [t[1] for t in toks]
        assert starts == sorted(starts)


def test_accented_input_is_segmented_and_folded(tokens: dict[str, list[list[Any]]]) -> None:
    text = "cho em học bài về an toàn cơ thể"
    toks = tokens[text]
    assert texts(toks)[-2:] == ["an_toan", "co_the"]
    assert [text[s:e] for _, s, e in toks][-2:] == ["an toàn", "cơ thể"]
    assert "hoc" in texts(toks)


def test_unaccented_input_is_not_segmented(tokens: dict[str, list[list[Any]]]) -> None:
    assert texts(tokens["cho em hoc bai ve an toan co the"]) == [
        "cho", "em", "hoc", "bai", "ve", "an", "toan", "co", "the",
    ]
    assert texts(tokens["con bi chu hang xom danh"]) == ["con", "bi", "chu", "hang", "xom", "danh"]


def test_teen_code_is_expanded_with_original_offsets(tokens: dict[str, list[list[Any]]]) -> None:
    text = "e ko mún đi học vs bme"
    toks = tokens[text]
    words = texts(toks)
    assert words[:2] == ["em", "khong"]
    assert "voi" in words and "bo_me" in words
    spans = {w: text[s:e] for w, s, e in toks}
    assert spans["em"] == "e" and spans["khong"] == "ko" and spans["bo_me"] == "bme"


def test_decomposed_unicode_matches_composed(tokens: dict[str, list[list[Any]]]) -> None:
    composed = texts(tokens["Dấu hiệu trẻ bị xâm hại là gì?"])
    assert "xam_hai" in composed
    decomposed = tokens[DECOMPOSED]
    assert texts(decomposed) == ["quy_tac", "do_lot", "la", "gi"]
    assert DECOMPOSED[decomposed[1][1] : decomposed[1][2]] == unicodedata.normalize("NFD", "đồ lót")


def test_edge_cases_never_crash(tokens: dict[str, list[list[Any]]]) -> None:
    assert len(tokens[""]) == 1  # Rasa's featurizers need one token, like its WhitespaceTokenizer
    assert len(tokens["😭😭😭"]) == 1
    assert texts(tokens["em\u200b sợợợ quááá"]) == ["em", "so", "qua"]
    long = tokens["a" * 5000 + " b"]
    assert long[0][1:] == [0, 5000] and long[-1][0] == "b"


def test_tone_marks_and_case_are_normalised(tokens: dict[str, list[list[Any]]]) -> None:
    assert texts(tokens["Hoà bình"])[0] in ("hoa", "hoa_binh")
    assert "".join(texts(tokens["ĐI ĐÂU VẬY"])).replace("_", "") == "didauvay"
