"""Run the safety screen over the evaluation set: recall, false escalation, misses, latency."""

from __future__ import annotations

import gc
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.safety.lexicon import REPO_DIR
from bot.safety.result import SafetyResult
from bot.safety.screen import screen

EVAL_FILE = REPO_DIR / "tests" / "data" / "safety_eval.yml"


@dataclass(frozen=True)
class Case:
    """One evaluation message and what the screen should say about it."""

    text: str
    group: str  # risky | human | benign
    categories: tuple[str, ...] = ()
    kind: str = ""
    who: str = ""


@dataclass
class Report:
    """The figures the bench prints and the tests assert."""

    risky: int = 0
    benign: int = 0
    human: int = 0
    caught: int = 0
    false_escalations: int = 0
    humans_caught: int = 0
    category_right: int = 0
    per_category: Counter[str] = field(default_factory=Counter)
    per_category_caught: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[Case, SafetyResult]] = field(default_factory=list)
    false_alarms: list[tuple[Case, SafetyResult]] = field(default_factory=list)
    wrong_category: list[tuple[Case, SafetyResult]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of risky messages that escalate."""
        return self.caught / self.risky if self.risky else 1.0

    @property
    def false_escalation_rate(self) -> float:
        """Share of benign messages that escalate."""
        return self.false_escalations / self.benign if self.benign else 0.0

    @property
    def category_accuracy(self) -> float:
        """Share of caught risky messages whose category is one of the expected ones."""
        return self.category_right / self.caught if self.caught else 1.0


def transform(text: str, how: str) -> str:
    """Apply a test transformation: decomposed Unicode, zero-width characters, upper case."""
    if how == "nfd":
        return unicodedata.normalize("NFD", text)
    if how == "zwsp":
        return " ".join(
            w[:1] + "\u200b" + w[1:-1] + "\u00ad" + w[-1:] if len(w) > 2 else w
            for w in text.split()
        )
    if how == "upper":
        return text.upper()
    if how:
        raise ValueError(f"unknown transform {how!r}")
    return text


def load_cases(path: str | Path = EVAL_FILE) -> list[Case]:
    """Read an evaluation file into cases, applying each entry's transform."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cases: list[Case] = []
    for group in ("risky", "human", "benign"):
        for entry in raw.get(group) or []:
            category = entry.get("category") or ()
            categories = (category,) if isinstance(category, str) else tuple(category)
            text = transform(str(entry["text"]), str(entry.get("transform") or ""))
            cases.append(Case(text, group, categories, entry.get("kind", ""), entry.get("who", "")))
    return cases


def evaluate(cases: Sequence[Case], screener: Callable[[str], SafetyResult] = screen) -> Report:
    """Screen every case once and count hits, misses and false escalations."""
    report = Report()
    for case in cases:
        result = screener(case.text)
        if case.group == "benign":
            report.benign += 1
            if result.escalate:
                report.false_escalations += 1
                report.false_alarms.append((case, result))
        elif case.group == "human":
            report.human += 1
            report.humans_caught += int(result.escalate and result.request_human)
            if not (result.escalate and result.request_human):
                report.misses.append((case, result))
        else:
            report.risky += 1
            main = case.categories[0] if case.categories else "other"
            report.per_category[main] += 1
            if result.escalate:
                report.caught += 1
                report.per_category_caught[main] += 1
                if result.category in case.categories:
                    report.category_right += 1
                else:
                    report.wrong_category.append((case, result))
            else:
                report.misses.append((case, result))
    return report


def latencies_us(
    texts: Sequence[str], rounds: int = 20, clock: Callable[[], int] = time.perf_counter_ns
) -> list[float]:
    """Time `screen` on every text, `rounds` times over, in microseconds, sorted.

    The default clock is wall time; pass `time.thread_time_ns` for CPU time, which other busy
    processes on the machine do not inflate.
    """
    gc.collect()
    timings: list[float] = []
    for _ in range(rounds):
        for text in texts:
            start = clock()
            screen(text)
            timings.append((clock() - start) / 1000)
    return sorted(timings)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The pct-th percentile of already sorted values (nearest rank)."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]
