"""Rasa's dense e5 featurizer (measured, not in config.yml), run in the Rasa environment: the
same vector as the gateway's, and a paraphrase nearer its question than another question."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bot.safety.learned import Embedder
from tests.rasa.rasa_env import run_python

FEATURIZE = """
import json, sys
from rasa.shared.nlu.training_data.message import Message
from nlu_components.e5_featurizer import E5Featurizer
featurizer = E5Featurizer(E5Featurizer.get_default_config(), "e5")
out = []
for text in json.load(sys.stdin):
    message = Message(data={"text": text})
    featurizer.process([message])
    sequence, sentence = message.get_dense_features("text")
    out.append({"sequence": sequence is not None,
                "sentence": sentence.features.tolist() if sentence is not None else None})
print(json.dumps(out))
"""

QUESTION = "Làm sao biết con tôi bị xâm hại?"
PARAPHRASE = "dấu hiệu nào cho thấy bé nhà mình bị người khác làm hại"
UNRELATED = "cho con chơi điện thoại mấy tiếng một ngày thì vừa"


@pytest.fixture(scope="module")
def features() -> list[dict[str, Any]]:
    """The featurizer's output for each case, computed once in the Rasa env."""
    result: list[dict[str, Any]] = run_python(FEATURIZE, [QUESTION, PARAPHRASE, UNRELATED])
    return result


def vector(entry: dict[str, Any]) -> np.ndarray:
    """The sentence feature of one output entry."""
    return np.asarray(entry["sentence"], dtype=np.float32)[0]


def test_rasa_reads_the_message_as_the_gateway_does(features: list[dict[str, Any]]) -> None:
    gateway = Embedder().embed(QUESTION)
    assert np.allclose(vector(features[0]), gateway, atol=1e-4)
    assert abs(float(np.linalg.norm(vector(features[0]))) - 1.0) < 1e-3
    assert features[0]["sequence"] is False  # sequence features stay the sparse featurizers'


def test_a_paraphrase_lies_nearer_its_question_than_another_question(
    features: list[dict[str, Any]],
) -> None:
    question, paraphrase, unrelated = (vector(features[i]) for i in range(3))
    assert float(question @ paraphrase) > float(question @ unrelated)

