"""The intent blender, trained and reloaded through Rasa's model storage in the Rasa env: it
re-decides ordinary intents and never touches a safety intent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rasa.rasa_env import run_python

TRAIN_AND_BLEND = """
import json, sys, tempfile
from pathlib import Path
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from nlu_components.intent_blender import IntentBlender
from nlu_components.vietnamese_tokenizer import VietnameseTokenizer

case = json.load(sys.stdin)
tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
data = TrainingData(training_examples=[
    Message(data={"text": t, "intent": intent})
    for intent, texts in case["examples"].items() for t in texts])
tokenizer.process_training_data(data)
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
resource = Resource("intent_blender")
context = ExecutionContext(GraphSchema({}), "test")
config = {"diet_weight": 0.5}
IntentBlender.create(config, storage, resource, context).train(data)
blender = IntentBlender.load(config, storage, resource, context)
out = []
for query in case["queries"]:
    ranking = [{"name": n, "confidence": c} for n, c in query["diet"]]
    message = Message(data={"text": query["text"], "intent": ranking[0],
                            "intent_ranking": ranking})
    tokenizer.process([message])
    blender.process([message])
    out.append({k: message.get(k) for k in ("intent", "intent_ranking", "intent_blend")})
print(json.dumps(out))
"""

CASE = {
    "examples": {
        "start_lesson": ["cho em học bài về cơ thể", "em muốn học bài người lạ",
                         "dạy em bài đuối nước đi", "hoc bai an toan tren mang"],
        "faq": ["làm sao dạy con về an toàn cơ thể", "con tôi chơi game nhiều có sao không",
                "dấu hiệu trẻ bị xâm hại là gì", "phạt con bằng roi có sao không"],
        "greet": ["xin chào", "chào bạn", "hi bot", "alo"],
        "risk_physical_violence": ["bố em đánh em đau lắm", "mẹ lấy roi quất em",
                                   "chú đánh em chảy máu", "em bị đánh hoài"],
    },
    "queries": [
        # DIET unsure between a FAQ and a lesson; the n-grams know a child's lesson request
        {"text": "e muon hoc bai ve co the", "diet": [["faq", 0.45], ["start_lesson", 0.40],
                                                      ["greet", 0.15]]},
        # DIET reads a risk intent: the blend leaves it exactly as it is
        {"text": "chào bạn", "diet": [["risk_physical_violence", 0.55], ["greet", 0.45]]},
        # DIET reads an ordinary intent: the blend never picks a safety intent instead
        {"text": "bố em đánh em đau lắm", "diet": [["greet", 0.5], ["faq", 0.3],
                                                   ["risk_physical_violence", 0.2]]},
    ],
}


@pytest.fixture(scope="module")
def blended() -> list[dict[str, Any]]:
    """Each query's parse after the blender, in the Rasa env."""
    result: list[dict[str, Any]] = run_python(TRAIN_AND_BLEND, CASE)
    return result


def test_an_unsure_diet_is_overruled_by_the_ngrams(blended: list[dict[str, Any]]) -> None:
    first = blended[0]
    assert first["intent"]["name"] == "start_lesson"
    assert first["intent_blend"] == {"diet": "faq", "ngram": "start_lesson"}
    ranking = first["intent_ranking"]
    assert ranking[0]["name"] == "start_lesson"
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking),
                                                        reverse=True)
    assert 0.0 < first["intent"]["confidence"] <= 1.0


def test_a_risk_intent_from_diet_is_left_untouched(blended: list[dict[str, Any]]) -> None:
    second = blended[1]
    assert second["intent"] == {"name": "risk_physical_violence", "confidence": 0.55}
    assert second["intent_ranking"][0] == {"name": "risk_physical_violence", "confidence": 0.55}
    assert second["intent_blend"]["ngram"] == "greet"


def test_the_blend_never_picks_a_safety_intent_diet_did_not(
    blended: list[dict[str, Any]],
) -> None:
    third = blended[2]
    assert third["intent_blend"]["ngram"] == "risk_physical_violence"
    assert third["intent"]["name"] in ("greet", "faq")
    risk = next(r for r in third["intent_ranking"] if r["name"] == "risk_physical_violence")
    assert risk["confidence"] == 0.2
