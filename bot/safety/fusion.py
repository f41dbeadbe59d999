"""The fused score: one logistic layer over the rule screen, the learned heads and the context.

Trained by `bot.safety.training` on out-of-fold learned scores (so it learns how far each signal
can be trusted on messages it has not seen), with its two cut-offs (escalate, review) chosen on
out-of-fold fused scores of the training data. Stored as plain arrays in `fusion.npz`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    return np.asarray(heads + rules + context, dtype=np.float32)


@dataclass(frozen=True)
class Fusion:
    """Weights of the fused layer and its cut-offs."""

    weights: np.ndarray
    bias: float
    escalate_at: float
    review_at: float

    def score(self, x: np.ndarray) -> float:
        """The fused probability that a message must reach a counsellor."""
        logit = float(np.dot(self.weights, x) + self.bias)
        return float(1.0 / (1.0 + np.exp(-max(min(logit, 30.0), -30.0))))

    def save(self, path: Path) -> None:
        """Write the layer as plain arrays (no pickle)."""
        np.savez(path, weights=self.weights, bias=np.array([self.bias]),
                 cuts=np.array([self.escalate_at, self.review_at]),
                 names=np.array(FEATURE_NAMES))

    @classmethod
    def load(cls, path: Path) -> Fusion:
        """Read a layer written by `save`; a ValueError when its features differ from ours."""
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(n) for n in data["names"])
            if names != FEATURE_NAMES:
                raise ValueError("the fused layer was trained on other features: retrain")
            cuts = data["cuts"]
            return cls(np.asarray(data["weights"], dtype=np.float32), float(data["bias"][0]),
                       float(cuts[0]), float(cuts[1]))
