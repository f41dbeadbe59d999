"""Measure the safety systems on labelled sets: rules alone, learned alone, Rasa alone, triage.

Used by `bench/safety_eval.py` (which prints the README's safety table), `bench/safety_tune.py`
and the tests. Messages of conversations are judged with the conversation before them (the bot's
last question and buttons, the user's earlier messages), as the gateway would see them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.handoff.replies import escalation_reply
from bot.safety.fusion import Fusion
from bot.safety.learned import LearnedClassifier, LearnedScores, scores_from_row
from bot.safety.result import SafetyResult
from bot.safety.screen import screen
from bot.safety.training import OOF_FILE, text_key
from bot.safety.triage import (
    DEFAULT_THRESHOLDS,
    Context,
    Decision,
    RasaSignal,
    Thresholds,
    context_from_history,
    decide,
)
from common.safety_data import Sample

SYSTEMS = ("rules", "learned", "rasa", "triage")
LEARNED_ESCALATE = 0.8  # "learned alone": the risky head's own cut-offs
LEARNED_REVIEW = 0.5


@dataclass(frozen=True)
class Signals:
    """Everything the systems read about one sample."""

    sample: Sample
    screen: SafetyResult
    learned: LearnedScores | None
    rasa: RasaSignal | None = None
    seconds: float = 0.0  # rule screen + learned signal, first sight (no cache)


@dataclass(frozen=True)
class Judged:
    """A system's decision on one sample."""

    sample: Sample
    decision: str
    category: str | None = None
    risk: str = "none"
    request: bool = False
    audience: str = "child"


@dataclass
class Report:
    """The figures of one system on one set."""

    system: str
    risky: int = 0
    escalated: int = 0
    reviewed: int = 0
    benign: int = 0
    false_escalations: int = 0
    benign_reviews: int = 0
    per_category: Counter[str] = field(default_factory=Counter)
    per_category_caught: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    replies_with_111: int = 0
    misses: list[Judged] = field(default_factory=list)
    false_alarms: list[Judged] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of risky messages (and requests for a person) that escalate."""
        return self.escalated / self.risky if self.risky else 1.0

    @property
    def recall_with_review(self) -> float:
        """Share of risky messages that escalate or reach the review list."""
        return (self.escalated + self.reviewed) / self.risky if self.risky else 1.0

    @property
    def false_escalation_rate(self) -> float:
        """Share of ordinary messages that escalate."""
        return self.false_escalations / self.benign if self.benign else 0.0

    @property
    def review_rate(self) -> float:
        """Share of ordinary messages put on the review list."""
        return self.benign_reviews / self.benign if self.benign else 0.0


def load_oof(directory: Path) -> dict[str, LearnedScores]:
    """The out-of-fold learned scores of every training text (honest scores on training data)."""
    path = directory / OOF_FILE
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        names = tuple(str(n) for n in data["names"])
        return {str(k): scores_from_row(names, row)
                for k, row in zip(data["keys"], data["scores"], strict=True)}


def collect(
    samples: Sequence[Sample],
    classifier: LearnedClassifier | None,
    *,
    oof: dict[str, LearnedScores] | None = None,
    rasa: Callable[[str], RasaSignal | None] | None = None,
) -> list[Signals]:
    """Screen and score every sample once; `oof` replaces the learned score of training texts.

    The triage is timed in a first pass and Rasa asked in a second, so the latency is the same
    with or without --rasa (a parse just before would leave Rasa's threads busy on the cores)."""
    timed: list[tuple[Sample, SafetyResult, LearnedScores | None, float]] = []
    for sample in samples:
        started = time.perf_counter()
        found = screen(sample.text)
        learned = None
        if oof is not None and text_key(sample.text) in oof:
            learned = oof[text_key(sample.text)]
        elif classifier is not None:
            learned = classifier.score(sample.text)
        timed.append((sample, found, learned, time.perf_counter() - started))
    return [Signals(sample, found, learned, rasa(sample.text) if rasa else None, seconds)
            for sample, found, learned, seconds in timed]


def context_for(sample: Sample, seen: dict[int, Signals]) -> Context:
    """The context the gateway would have when this sample arrives."""

    def earlier(turn: object) -> tuple[float, tuple[str, ...]]:
        signals = seen.get(id(turn))
        if signals is None or signals.learned is None:
            return 0.0, ()
        return signals.learned.risky, signals.screen.cues

    return context_from_history(sample.history, earlier, sample.text)


def judge(system: str, signals: list[Signals], fusion: Fusion | None = None,
          limits: Thresholds = DEFAULT_THRESHOLDS) -> list[Judged]:
    """One system's decision on every sample (conversations in order, with their context)."""
    out: list[Judged] = []
    seen = {id(s.sample): s for s in signals}
    for s in signals:
        context = context_for(s.sample, seen)
        if system == "rules":
            decision = Decision.ESCALATE if s.screen.escalate else Decision.ANSWER
            judged = Judged(s.sample, decision.value, s.screen.category, s.screen.risk.value,
                            s.screen.request_human and s.screen.risk.value == "none")
        elif system == "learned":
            judged = _learned_alone(s, limits)
        elif system == "rasa":
            hit = s.rasa is not None and s.rasa.category is not None
            judged = Judged(s.sample, "escalate" if hit else "answer",
                            s.rasa.category if s.rasa else None, "high",
                            bool(s.rasa and s.rasa.category == "other"))
        else:
            triage = decide(s.screen, s.learned, context, s.rasa, text=s.sample.text,
                            fusion=fusion, limits=limits)
            judged = Judged(s.sample, triage.decision.value, triage.category, triage.risk.value,
                            triage.request, context.speaker)
        out.append(judged)
    return out


def _learned_alone(s: Signals, limits: Thresholds) -> Judged:
    learned = s.learned
    if learned is None:
        return Judged(s.sample, "answer")
    if learned.human >= limits.human and learned.human >= learned.risky:
        return Judged(s.sample, "escalate", "other", "concern", True)
    if learned.risky >= LEARNED_ESCALATE:
        return Judged(s.sample, "escalate", learned.category, "high")
    if learned.risky >= LEARNED_REVIEW:
        return Judged(s.sample, "review", learned.category, "concern")
    return Judged(s.sample, "answer")


def report(system: str, judged: list[Judged]) -> Report:
    """Count what the system did on risky and ordinary messages."""
    out = Report(system)
    for j in judged:
        if j.sample.risky:
            out.risky += 1
            main = j.sample.category or "human"
            out.per_category[main] += 1
            if j.decision == "escalate":
                out.escalated += 1
                out.per_category_caught[main] += 1
            elif j.decision == "review":
                out.reviewed += 1
                out.misses.append(j)
            else:
                out.misses.append(j)
        else:
            out.benign += 1
            if j.decision == "escalate":
                out.false_escalations += 1
                out.false_alarms.append(j)
            elif j.decision == "review":
                out.benign_reviews += 1
        if j.decision == "escalate" and system == "triage":
            out.replies += 1
            reply = escalation_reply(j.category, j.risk, audience=j.audience, request=j.request)
            out.replies_with_111 += int("111" in reply)
    return out


def percentile(values: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of some values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]
