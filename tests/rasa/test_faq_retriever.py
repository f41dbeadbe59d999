"""The FAQ retriever, trained and reloaded through Rasa's own model storage in the Rasa env."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rasa.rasa_env import run_python

TRAIN_AND_RELOAD = """
import json, sys, tempfile
from pathlib import Path
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from nlu_components.faq_retriever import FaqRetriever
from nlu_components.vietnamese_tokenizer import VietnameseTokenizer

case = json.load(sys.stdin)
tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
examples = []
for key, texts in case["examples"].items():
    for text in texts:
        examples.append(Message(data={"text": text, "intent": "faq",
                                      "intent_response_key": f"faq/{key}"}))
examples.append(Message(data={"text": "xin chào", "intent": "greet"}))
responses = {f"utter_faq/{k}": [{"text": q}] for k, q in case["questions"].items()}
data = TrainingData(training_examples=examples, responses=responses)
tokenizer.process_training_data(data)
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
resource = Resource("faq_retriever")
context = ExecutionContext(GraphSchema({}), "test")
trained = FaqRetriever.create({}, storage, resource, context)
trained.train(data)
loaded = FaqRetriever.load({}, storage, resource, context)
out = []
for component in (trained, loaded):
    messages = [Message(data={"text": t}) for t in case["queries"]]
    tokenizer.process(messages)
    component.process(messages)
    out.append([m.as_dict_nlu().get("response_selector") for m in messages])
print(json.dumps(out))
"""

CASE = {
    "examples": {
        "signs_of_abuse": ["làm sao biết con bị xâm hại", "dấu hiệu trẻ bị xâm hại là gì",
                           "bé có biểu hiện lạ, có phải bị ai làm hại không"],
        "screen_time": ["con chơi điện thoại bao lâu một ngày là đủ",
                        "trẻ xem tivi nhiều giờ có sao không", "giới hạn thời gian màn hình"],
        "drowning_prevention": ["dạy con phòng đuối nước thế nào", "cho con đi bơi cần chú ý gì",
                                "hè này cho bé tắm sông có an toàn không"],
    },
    "questions": {
        "signs_of_abuse": "Dấu hiệu nào cho thấy trẻ có thể đang bị xâm hại?",
        "screen_time": "Trẻ nên dùng điện thoại, xem màn hình bao lâu mỗi ngày?",
        "drowning_prevention": "Phòng chống đuối nước cho trẻ thế nào?",
    },
    # unaccented, teen code and a paraphrase none of the examples has word for word
    "queries": ["lam sao biet be nha minh bi xam hai", "ko bit cho con xai dien thoai may tieng",
                "mùa hè cho con đi tắm sông, bơi lội thì phải dạy gì"],
    "expected": ["signs_of_abuse", "screen_time", "drowning_prevention"],
}


@pytest.fixture(scope="module")
def selections() -> list[list[dict[str, Any]]]:
    """Each query's response_selector output, from the trained and from the reloaded component."""
    result: list[list[dict[str, Any]]] = run_python(TRAIN_AND_RELOAD, CASE)
    return result


def test_unaccented_and_paraphrased_questions_find_their_answer(
    selections: list[list[dict[str, Any]]],
) -> None:
    picked = [s["faq"]["response"]["intent_response_key"] for s in selections[0]]
    assert picked == [f"faq/{key}" for key in CASE["expected"]]


def test_the_output_has_the_response_selectors_shape(
    selections: list[list[dict[str, Any]]],
) -> None:
    first = selections[0][0]
    assert first["all_retrieval_intents"] == ["faq"]
    response = first["faq"]["response"]
    assert response["utter_action"] == "utter_faq/signs_of_abuse"
    assert response["responses"] == [{"text": CASE["questions"]["signs_of_abuse"]}]
    ranking = first["faq"]["ranking"]
    assert [r["intent_response_key"] for r in ranking][0] == "faq/signs_of_abuse"
    assert len(ranking) == 3
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert abs(sum(confidences) - 1.0) < 1e-6
    assert response["confidence"] == confidences[0]


def test_a_reloaded_model_ranks_exactly_as_the_trained_one(
    selections: list[list[dict[str, Any]]],
) -> None:
    assert selections[1] == selections[0]
