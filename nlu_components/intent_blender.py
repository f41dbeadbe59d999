"""Intent blending for Rasa 3.6: DIET's intent confidences averaged with an n-gram classifier's.

Placed after DIETClassifier. An NgramClassifier (ngram_classifier.py) learns every intent from
the same examples; for each message the blended confidence of an intent is
`diet_weight × DIET's + (1 − diet_weight) × the n-gram classifier's`, and the best one wins.
The safety intents (risk_*, request_human) are left exactly as DIET read them: when DIET's top
intent is one of them nothing changes, and the blend never picks one DIET did not, so the risk
signal Rasa gives the gateway's triage does not move. The output keeps Rasa's shape (`intent`,
`intent_ranking`), plus `intent_blend` with both readers' picks for the evaluation bench.
Measured in docs/measurements/2026-12-02-intent-blender.txt.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.ngram_classifier import NgramClassifier, reading

logger = logging.getLogger(__name__)

MODEL_FILE = "intent_blender.pkl"
BLEND_KEY = "intent_blend"


def is_protected(intent: Optional[str], prefixes: List[str], names: List[str]) -> bool:
    """A safety intent the blend must leave as DIET read it."""
    name = str(intent or "")
    return name in names or any(name.startswith(p) for p in prefixes)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class IntentBlender(GraphComponent, IntentClassifier):
    """Re-decides DIET's ordinary intents with an n-gram classifier's confidences."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            "diet_weight": 0.7,
            "C": 0.5,
            "temperature": 5.0,
            "protected_prefixes": ["risk_"],
            "protected_intents": ["request_human", "nlu_fallback"],
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """scikit-learn, which Rasa itself installs."""
        return ["sklearn"]

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Optional[NgramClassifier] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._classifier = classifier

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IntentBlender":
        """Creates a new, untrained component."""
        return cls(config, model_storage, resource)

    def _protected(self, intent: Optional[str]) -> bool:
        return is_protected(intent, list(self._config["protected_prefixes"]),
                            list(self._config["protected_intents"]))

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the n-gram classifier on every intent example."""
        readings, labels = [], []
        for example in training_data.intent_examples:
            if example.get(INTENT):
                readings.append(reading(example))
                labels.append(str(example.get(INTENT)))
        if len(set(labels)) < 2:
            logger.warning("IntentBlender: fewer than two intents to learn")
            self._classifier = None
        else:
            self._classifier = NgramClassifier(float(self._config["C"]),
                                               float(self._config["temperature"]))
            self._classifier.fit(readings, labels)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the classifier into the model."""
        with self._storage.write_to(self._resource) as directory:
            with open(directory / MODEL_FILE, "wb") as handle:
                pickle.dump(self._classifier, handle)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "IntentBlender":
        """Load a trained classifier (an untrained component if none was stored)."""
        try:
            with model_storage.read_from(resource) as directory:
                with open(directory / MODEL_FILE, "rb") as handle:
                    classifier = pickle.load(handle)  # noqa: S301 - the model's own file
        except (ValueError, FileNotFoundError):
            logger.warning("IntentBlender: no trained classifier in the model")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, classifier)

    def _blend(self, message: Message, ngram: Dict[str, float]) -> None:
        """Set the blended intent and ranking on one message read by DIET."""
        diet_top = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        ngram_top = max(ngram, key=ngram.__getitem__) if ngram else None
        message.set(BLEND_KEY, {"diet": diet_top, "ngram": ngram_top}, add_to_output=True)
        if diet_top is None or self._protected(diet_top):
            return
        weight = float(self._config["diet_weight"])
        diet = {str(r[INTENT_NAME_KEY]): float(r[PREDICTED_CONFIDENCE_KEY])
                for r in message.get(INTENT_RANKING_KEY) or []}
        diet.setdefault(str(diet_top), float((message.get(INTENT) or {}).get(
            PREDICTED_CONFIDENCE_KEY) or 0.0))
        blended = {}
        for name in set(diet) | set(ngram):
            if self._protected(name):
                blended[name] = diet.get(name, 0.0)
            else:
                blended[name] = weight * diet.get(name, 0.0) + (1 - weight) * ngram.get(name, 0.0)
        ordinary = {n: c for n, c in blended.items() if not self._protected(n)}
        best = max(ordinary, key=ordinary.__getitem__)
        ranking = sorted(blended.items(), key=lambda item: -item[1])[: len(diet) or 10]
        message.set(INTENT, {INTENT_NAME_KEY: best, PREDICTED_CONFIDENCE_KEY: blended[best]},
                    add_to_output=True)
        message.set(INTENT_RANKING_KEY,
                    [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in ranking],
                    add_to_output=True)

    def process(self, messages: List[Message]) -> List[Message]:
        """Blend DIET's reading of each message with the n-gram classifier's."""
        if self._classifier is None or not messages:
            return messages
        labels = self._classifier.labels
        rows = self._classifier.confidences([reading(m) for m in messages])
        for message, row in zip(messages, rows):
            self._blend(message, {label: float(c) for label, c in zip(labels, row)})
        return messages
