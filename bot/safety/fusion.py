"""The fused score: boosted trees over the rule screen, the learned heads and the context.

Trained by `bot.safety.training` on out-of-fold learned scores (so it learns how far each signal
can be trusted on messages it has not seen, and how the signals interact: a rule hit with a weak
learned score is not the same as one with a strong score), with its two cut-offs (escalate,
review) chosen on out-of-fold fused scores of the training data. The trees are stored as plain
arrays in `fusion.npz` (no pickle) and walked here with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.safety.learned import HEAD_NAMES, LearnedScores
from bot.safety.result import SafetyResult
from common.taxonomy import CATEGORIES

FUSION_FILE = "fusion.npz"
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"learned.{h}" for h in HEAD_NAMES)
    + ("rules.risk", "rules.any", "rules.general_question", "rules.question", "rules.disclosure",
       "rules.request_human", "rules.cues")
    + tuple(f"rules.{c}" for c in CATEGORIES)
    + ("context.on_screen", "context.answers", "context.recent_max", "context.recent_sum",
       "context.parent")
)
TREE_FIELDS = ("feature", "threshold", "left", "right", "value", "leaf")


def features(
    screen: SafetyResult,
    learned: LearnedScores,
    *,
    on_screen: bool = False,
    answers: bool = False,
    recent: tuple[float, ...] = (),
    parent: bool = False,
) -> np.ndarray:
    """The fused layer's input for one message (named in FEATURE_NAMES)."""
    heads = [learned.risky, learned.human, learned.general] + [
        learned.categories.get(h, 0.0) for h in HEAD_NAMES[3:]
    ]
    rules = [
        screen.risk.rank / 3.0,
        float(bool(screen.risk.rank)),
        float(screen.general_question),
        float(screen.question),
        float(screen.disclosure),
        float(screen.request_human),
        min(len(screen.cues), 3) / 3.0,
    ] + [float(screen.category == c) for c in CATEGORIES]
    context = [
        float(on_screen),
        float(answers),
        max(recent, default=0.0),
        min(sum(recent), 3.0) / 3.0,
        float(parent),
    ]
    return np.asarray(heads + rules + context, dtype=np.float64)


@dataclass(frozen=True)
class Trees:
    """Binary trees side by side, one row per tree, padded to the largest (a leaf points to
    itself): the split feature and threshold, children, leaf values."""

    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    value: np.ndarray  # (trees, nodes) float
    leaf: np.ndarray  # (trees, nodes) bool

    def raw(self, x: np.ndarray) -> float:
        """The sum of the leaf values the message reaches (no missing values: our features
        are always set)."""
        rows = np.arange(self.feature.shape[0])
        node = np.zeros(len(rows), dtype=np.int64)
        for _ in range(self.feature.shape[1]):
            leaf = self.leaf[rows, node]
            if leaf.all():
                break
            go_left = x[self.feature[rows, node]] <= self.threshold[rows, node]
            step = np.where(go_left, self.left[rows, node], self.right[rows, node])
            node = np.where(leaf, node, step)
        return float(self.value[rows, node].sum())

    @classmethod
    def from_sklearn(cls, model: Any) -> Trees:
        """Copy the trees of a fitted binary HistGradientBoostingClassifier."""
        nodes = [p.nodes for (p,) in model._predictors]
        size = max(len(n) for n in nodes)
        out = {name: np.zeros((len(nodes), size)) for name in TREE_FIELDS}
        for i, n in enumerate(nodes):
            count = len(n)
            out["feature"][i, :count] = n["feature_idx"]
            out["threshold"][i, :count] = n["num_threshold"]
            out["left"][i, :count] = n["left"]
            out["right"][i, :count] = n["right"]
            out["value"][i, :count] = n["value"]
            out["leaf"][i, :count] = n["is_leaf"]
            out["leaf"][i, count:] = 1
        return cls(out["feature"].astype(np.int64), out["threshold"], out["left"].astype(np.int64),
                   out["right"].astype(np.int64), out["value"], out["leaf"].astype(bool))


@dataclass(frozen=True)
class Fusion:
    """The fused layer: trees, their baseline (log-odds) and the two cut-offs."""

    trees: Trees
    bias: float
    escalate_at: float
    review_at: float

    def score(self, x: np.ndarray) -> float:
        """The fused probability that a message must reach a counsellor."""
        logit = self.bias + self.trees.raw(np.asarray(x, dtype=np.float64))
        return float(1.0 / (1.0 + np.exp(-max(min(logit, 30.0), -30.0))))

    def save(self, path: Path) -> None:
        """Write the layer as plain arrays (no pickle)."""
        arrays = {name: getattr(self.trees, name) for name in TREE_FIELDS}
        np.savez(path, bias=np.array([self.bias]), cuts=np.array([self.escalate_at,
                                                                   self.review_at]),
                 names=np.array(FEATURE_NAMES), **arrays)

    @classmethod
    def load(cls, path: Path) -> Fusion:
        """Read a layer written by `save`; a ValueError when its features differ from ours."""
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(n) for n in data["names"])
            if names != FEATURE_NAMES or "leaf" not in data:
                raise ValueError("the fused layer was trained on other features: retrain")
            trees = Trees(*(np.asarray(data[name]) for name in TREE_FIELDS))
            cuts = data["cuts"]
            return cls(trees, float(data["bias"][0]), float(cuts[0]), float(cuts[1]))
