"""FAQ retrieval for Rasa 3.6: a linear model over folded word and character n-grams.

Replaces Rasa's ResponseSelector for the `faq` retrieval intent: ranks the FAQ answers with
ngram_classifier.NgramClassifier trained on every `faq/<key>` example and each answer's own
question. Its confidences let actions/faq.py offer "did you mean" buttons when it is unsure.
The result has the ResponseSelector's shape (`response_selector.faq.response` and `.ranking`).
Measured against the ResponseSelector in docs/measurements/2026-12-02-faq-retriever.txt.
"""

from __future__ import annotations

import logging
import pickle
import zlib
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components.ngram_classifier import NgramClassifier, reading

logger = logging.getLogger(__name__)

MODEL_FILE = "faq_retriever.pkl"
SELECTOR = "response_selector"
RETRIEVAL_INTENTS = "all_retrieval_intents"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class FaqRetriever(GraphComponent):
    """Ranks the answers of one retrieval intent (`faq`) for every message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {"retrieval_intent": "faq", "C": 0.5, "temperature": 5.0, "ranking_length": 10}

    @staticmethod
    def required_packages() -> List[Text]:
        """scikit-learn, which Rasa itself installs."""
        return ["sklearn"]

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        index: Optional[NgramClassifier] = None,
        questions: Optional[Dict[str, str]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._index = index
        self._questions = questions or {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FaqRetriever":
        """Creates a new, untrained component."""
        return cls(config, model_storage, resource)

    @property
    def _intent(self) -> str:
        return str(self._config["retrieval_intent"])

    def _questions_of(self, training_data: TrainingData) -> Dict[str, str]:
        """Each answer's question (its `utter_faq/<key>` response), by key."""
        prefix = f"utter_{self._intent}/"
        out = {}
        for name, variants in (training_data.responses or {}).items():
            if name.startswith(prefix) and variants and variants[0].get(TEXT):
                out[name[len(prefix):]] = str(variants[0][TEXT])
        return out

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the index on the retrieval intent's examples and the answers' questions."""
        readings, keys = [], []
        for example in training_data.intent_examples:
            response_key = example.get(INTENT_RESPONSE_KEY)
            if example.get(INTENT) == self._intent and response_key:
                readings.append(reading(example))
                keys.append(str(response_key).split("/", 1)[1])
        self._questions = self._questions_of(training_data)
        for key, question in self._questions.items():
            readings.append(reading(Message(data={TEXT: question})))
            keys.append(key)
        if len(set(keys)) < 2:
            logger.warning("FaqRetriever: fewer than two '%s' answers to learn", self._intent)
            self._index = None
        else:
            self._index = NgramClassifier(float(self._config["C"]),
                                          float(self._config["temperature"]))
            self._index.fit(readings, keys)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Write the index and the questions into the model."""
        with self._storage.write_to(self._resource) as directory:
            with open(directory / MODEL_FILE, "wb") as handle:
                pickle.dump({"index": self._index, "questions": self._questions}, handle)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "FaqRetriever":
        """Load a trained index (an untrained component if none was stored)."""
        try:
            with model_storage.read_from(resource) as directory:
                with open(directory / MODEL_FILE, "rb") as handle:
                    stored = pickle.load(handle)  # noqa: S301 - the model's own file
        except (ValueError, FileNotFoundError):
            logger.warning("FaqRetriever: no trained index in the model")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, stored["index"], stored["questions"])

    def _prediction(self, ranking: List[Tuple[str, float]]) -> Dict[str, Any]:
        """The ResponseSelector-shaped prediction for one ranking."""
        key, confidence = ranking[0]
        response_key = f"{self._intent}/{key}"
        return {
            "response": {
                "responses": [{TEXT: self._questions.get(key, response_key)}],
                "confidence": confidence,
                INTENT_RESPONSE_KEY: response_key,
                "utter_action": f"utter_{response_key}",
            },
            "ranking": [
                {"id": zlib.crc32(k.encode()), "confidence": c,
                 INTENT_RESPONSE_KEY: f"{self._intent}/{k}"}
                for k, c in ranking
            ],
        }

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the ranked answers to each message, as the ResponseSelector would."""
        if self._index is None or not messages:
            return messages
        rankings = self._index.rank([reading(m) for m in messages],
                                    int(self._config["ranking_length"]))
        for message, ranking in zip(messages, rankings):
            selector = dict(message.get(SELECTOR) or {})
            selector[RETRIEVAL_INTENTS] = [self._intent]
            selector[self._intent] = self._prediction(ranking)
            message.set(SELECTOR, selector, add_to_output=True)
        return messages
