"""A linear classifier over folded word and character n-grams, for the NLU components.

Reads messages as the Vietnamese tokenizer left them (diacritics folded, teen code expanded,
compounds split back into syllables, so "bé bị đánh" and "be bi danh" read alike), weighs word
1–2-grams and character 2–5-grams by TF-IDF and fits a linear SVM. Confidences are a softmax of
the SVM's scores scaled by a temperature. Used by faq_retriever.py and intent_blender.py.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.vietnamese_tokenizer import vietnamese_tokens


def reading(message: Message) -> str:
    """The message as the tokenizer read it, compounds split back into syllables."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    if not tokens:
        tokens = vietnamese_tokens(str(message.get(TEXT) or ""))
    return " ".join(str(t.text).replace("_", " ") for t in tokens)


class NgramClassifier:
    """TF-IDF n-grams and a linear SVM over labels; scores labels for readings."""

    def __init__(self, c: float = 0.5, temperature: float = 5.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union
        from sklearn.svm import LinearSVC

        self.temperature = temperature
        self.features = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        )
        self.model = LinearSVC(C=c, random_state=42)

    def fit(self, readings: Sequence[str], labels: Sequence[str]) -> "NgramClassifier":
        """Learn the labels from their example readings."""
        self.model.fit(self.features.fit_transform(list(readings)), list(labels))
        return self

    @property
    def labels(self) -> List[str]:
        """Every label the classifier knows, in the order of `confidences`' columns."""
        return [str(k) for k in self.model.classes_]

    def confidences(self, texts: Sequence[str]) -> np.ndarray:
        """One row per reading: each label's confidence (a softmax of the scaled scores)."""
        scores = np.atleast_2d(self.model.decision_function(self.features.transform(list(texts))))
        if scores.shape[1] == 1:  # two labels: one score column, for the second label
            scores = np.hstack([-scores, scores])
        scaled = np.exp(self.temperature * (scores - scores.max(axis=1, keepdims=True)))
        return scaled / scaled.sum(axis=1, keepdims=True)

    def rank(self, texts: Sequence[str], top: int = 10) -> List[List[Tuple[str, float]]]:
        """For each reading, the `top` labels with their confidence, best first."""
        labels = self.labels
        out = []
        for row in self.confidences(texts):
            order = np.argsort(-row)[:top]
            out.append([(labels[i], float(row[i])) for i in order])
        return out
