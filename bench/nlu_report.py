"""Figures of an NLU evaluation: accuracy, FAQ right answers, recall, confusions, address checks.

Pure functions over gold items and predictions; nothing here prints a message's text except
`errors()`, which the bench shows only when asked (--show-errors).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from bench.nlu_labels import Labelled
from common.speaker import address_of

# actions/faq.py asks "did you mean" with the top three answers under this confidence.
FAQ_MIN_CONFIDENCE = 0.2

# Where an out-of-scope reply must point, by the item's scope (unknown scopes are not checked).
SERVICE_MARKERS = {
    "health": re.compile(r"115|trạm y tế|phòng khám|bác sĩ|bệnh viện|cơ sở y tế", re.I),
    "homework": re.compile(r"thầy cô|giáo viên|cô giáo|thầy giáo", re.I),
    "safety": re.compile(r"111"),
}
SCOPE_ALIASES = {
    "illness": "health", "injury": "health", "medical": "health", "school": "homework",
    "child_safety": "safety",
}


@dataclass(frozen=True)
class Prediction:
    """What the bot made of one item: intent, FAQ key, entities, its first reply text, and the
    FAQ pick's confidence with the top three answers."""

    intent: str
    faq_key: str | None = None
    entities: tuple[tuple[str, str], ...] = ()
    reply: str | None = None
    faq_confidence: float = 1.0
    faq_top3: tuple[str, ...] = ()


@dataclass
class Report:
    """Gold items with their predictions, and the figures drawn from them."""

    gold: list[Labelled] = field(default_factory=list)
    predicted: list[Prediction] = field(default_factory=list)

    def add(self, item: Labelled, prediction: Prediction) -> None:
        """Record one item's prediction."""
        self.gold.append(item)
        self.predicted.append(prediction)

    def _pairs(self, unaccented: bool | None = None) -> list[tuple[Labelled, Prediction]]:
        return [
            (g, p)
            for g, p in zip(self.gold, self.predicted, strict=True)
            if unaccented is None or g.unaccented == unaccented
        ]

    def count(self, unaccented: bool | None = None) -> int:
        """How many items (of one half)."""
        return len(self._pairs(unaccented))

    def accuracy(self, unaccented: bool | None = None) -> float:
        """Intent accuracy (FAQ items count by the retrieval intent), or of one half."""
        pairs = self._pairs(unaccented)
        return sum(g.intent == p.intent for g, p in pairs) / len(pairs) if pairs else 0.0

    def faq_pairs(self, unaccented: bool | None = None) -> list[tuple[Labelled, Prediction]]:
        """The FAQ items (faq/<key>) with their predictions."""
        return [(g, p) for g, p in self._pairs(unaccented) if g.faq_key is not None]

    def faq_right(self, unaccented: bool | None = None) -> float:
        """Share of FAQ items with the retrieval intent AND the selected answer right."""
        pairs = self.faq_pairs(unaccented)
        right = sum(p.intent == "faq" and p.faq_key == g.label for g, p in pairs)
        return right / len(pairs) if pairs else 0.0

    def faq_asked(self) -> tuple[int, int, int]:
        """FAQ items read as FAQ where the bot asks instead of answering (confidence under
        FAQ_MIN_CONFIDENCE): (asked, asked with the right answer among its buttons, FAQ items)."""
        pairs = self.faq_pairs()
        asked = [(g, p) for g, p in pairs
                 if p.intent == "faq" and p.faq_confidence < FAQ_MIN_CONFIDENCE]
        offered = sum(g.label in p.faq_top3 for g, p in asked)
        return len(asked), offered, len(pairs)

    def recall(self) -> dict[str, tuple[int, int]]:
        """Per gold intent: (right, total)."""
        totals: Counter[str] = Counter()
        right: Counter[str] = Counter()
        for g, p in self._pairs():
            totals[g.intent] += 1
            right[g.intent] += g.intent == p.intent
        return {intent: (right[intent], totals[intent]) for intent in sorted(totals)}

    def macro_f1(self) -> float:
        """Macro-averaged F1 over the gold intents."""
        pairs = self._pairs()
        scores = []
        for intent in sorted({g.intent for g, _ in pairs}):
            tp = sum(g.intent == intent and p.intent == intent for g, p in pairs)
            fp = sum(g.intent != intent and p.intent == intent for g, p in pairs)
            fn = sum(g.intent == intent and p.intent != intent for g, p in pairs)
            scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        return sum(scores) / len(scores) if scores else 0.0

    def confusions(self, top: int = 10) -> list[tuple[str, str, int]]:
        """The most frequent (gold, predicted) intent pairs that differ."""
        counter = Counter((g.intent, p.intent) for g, p in self._pairs() if g.intent != p.intent)
        return [(g, p, n) for (g, p), n in counter.most_common(top)]

    def faq_confusions(self, top: int = 10) -> list[tuple[str, str, int]]:
        """The most frequent (gold key, selected key) pairs among FAQ items read as FAQ."""
        counter = Counter(
            (g.label, str(p.faq_key))
            for g, p in self.faq_pairs()
            if p.intent == "faq" and p.faq_key != g.label
        )
        return [(g, p, n) for (g, p), n in counter.most_common(top)]

    def address(self) -> dict[str, tuple[int, int]]:
        """Per speaker (child, parent): first replies addressing them right, of those checked."""
        out: dict[str, tuple[int, int]] = {}
        for who in ("child", "parent"):
            checked = [p for g, p in self._pairs() if g.who == who and p.reply is not None]
            right = sum(address_of(str(p.reply)) == who for p in checked)
            out[who] = (right, len(checked))
        return out

    def services(self) -> dict[str, tuple[int, int]]:
        """Per scope: replies that point to the right service, of the items with that scope."""
        out: dict[str, tuple[int, int]] = {}
        for g, p in self._pairs():
            scope = SCOPE_ALIASES.get(str(g.scope), str(g.scope)) if g.scope else None
            if scope not in SERVICE_MARKERS or p.reply is None:
                continue
            right, total = out.get(scope, (0, 0))
            out[scope] = (right + bool(SERVICE_MARKERS[scope].search(p.reply)), total + 1)
        return out

    def topics(self) -> tuple[int, int]:
        """Items with a gold topic whose topic entity came out right, of those items."""
        pairs = [(g, p) for g, p in self._pairs() if g.topic]
        right = sum(any(e == ("topic", g.topic) for e in p.entities) for g, p in pairs)
        return right, len(pairs)

    def errors(self) -> list[tuple[str, str, str]]:
        """Every wrong item: (text, gold label, predicted label). Shown only on request."""
        out = []
        for g, p in self._pairs():
            said = str(p.faq_key) if p.intent == "faq" and p.faq_key else p.intent
            if g.intent != p.intent or (g.faq_key is not None and said != g.label):
                out.append((g.text, g.label, said))
        return out


def _share(right: int, total: int) -> str:
    return f"{right / total:.3f} ({right}/{total})" if total else "n/a"


def print_report(report: Report, title: str = "all") -> None:
    """Print every figure of a report (counts only, never a message's text)."""
    print(f"== {title}: {report.count()} items ({report.count(True)} without diacritics)")
    print(f"intent accuracy:        {report.accuracy():.3f}")
    print(f"  with diacritics:      {report.accuracy(False):.3f} ({report.count(False)})")
    print(f"  without diacritics:   {report.accuracy(True):.3f} ({report.count(True)})")
    print(f"intent macro-F1:        {report.macro_f1():.3f}")
    faq = report.faq_pairs()
    print(f"FAQ right answer:       {report.faq_right():.3f} ({len(faq)} FAQ items;"
          " retrieval intent and selected answer both right)")
    print(f"  with diacritics:      {report.faq_right(False):.3f}")
    print(f"  without diacritics:   {report.faq_right(True):.3f}")
    asked, offered, total = report.faq_asked()
    if total:
        print(f"  asked 'did you mean' instead (confidence < {FAQ_MIN_CONFIDENCE}): "
              f"{asked / total:.3f} ({asked}/{total}); right answer among the buttons: "
              f"{offered}/{asked}")
    address = report.address()
    if any(total for _, total in address.values()):
        print("address of the first reply (parent: anh/chị; child: em/bạn):")
        for who, (right, total) in address.items():
            print(f"  {who:<7} {_share(right, total)}")
    services = report.services()
    if services:
        print("out of scope, reply points to the right service:")
        for scope, (right, total) in sorted(services.items()):
            print(f"  {scope:<9} {_share(right, total)}")
    right, total = report.topics()
    if total:
        print(f"lesson topic recognised: {_share(right, total)}")
    print("recall per intent:")
    for intent, (right, total) in report.recall().items():
        print(f"  {intent:<26} {_share(right, total)}")
    print("most confused intents (gold -> predicted: count):")
    for gold, predicted, n in report.confusions():
        print(f"  {gold} -> {predicted}: {n}")
    print("most confused FAQ answers (gold -> selected: count):")
    for gold, predicted, n in report.faq_confusions():
        print(f"  {gold} -> {predicted}: {n}")
