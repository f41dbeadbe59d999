"""Held-out NLU evaluation and chat latency: accuracy, macro-F1, confusions, p50/p95.

Run from the repository root:
    .venv/bin/python bench/nlu_eval.py [--rasa-url URL] [--gateway-url URL] [--latency-n 60]
Without --rasa-url it starts Rasa and the action server (bot.devstack) on free loopback ports with
the trained model. Accuracy uses Rasa's /model/parse (the server needs --enable-api). FAQ
utterances (faq/<key>) count as intent "faq"; the FAQ answer choice is reported separately.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common.vietnamese import has_diacritics  # noqa: E402
from tests.support.gateway import free_port  # noqa: E402

HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
MODEL = ROOT / "var" / "models" / "current.tar.gz"
_ANNOTATION_RE = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")


@dataclass(frozen=True)
class Example:
    """One held-out utterance with its gold label (`faq/<key>` for FAQ questions)."""

    text: str
    label: str

    @property
    def intent(self) -> str:
        """The intent without the retrieval key."""
        return self.label.split("/", 1)[0]

    @property
    def unaccented(self) -> bool:
        """Typed without diacritics."""
        return not has_diacritics(unicodedata.normalize("NFC", self.text))


@dataclass
class Report:
    """Predictions on the held-out set and the figures drawn from them."""

    gold: list[Example] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    faq_predicted: list[str | None] = field(default_factory=list)

    def accuracy(self, unaccented: bool | None = None) -> float:
        """Intent accuracy, on all examples or on the (un)accented ones only."""
        pairs = [
            (g.intent, p)
            for g, p in zip(self.gold, self.predicted, strict=True)
            if unaccented is None or g.unaccented == unaccented
        ]
        return sum(g == p for g, p in pairs) / len(pairs) if pairs else 0.0

    def count(self, unaccented: bool | None = None) -> int:
        """How many examples (of one half)."""
        return sum(1 for g in self.gold if unaccented is None or g.unaccented == unaccented)

    def faq_accuracy(self) -> float:
        """Share of FAQ questions answered with the right FAQ entry."""
        pairs = [
            (g.label, f)
            for g, f in zip(self.gold, self.faq_predicted, strict=True)
            if g.intent == "faq"
        ]
        return sum(g == f for g, f in pairs) / len(pairs) if pairs else 0.0

    def macro_f1(self) -> float:
        """Macro-averaged F1 over the gold intents."""
        scores = []
        for intent in sorted({g.intent for g in self.gold}):
            tp = sum(
                g.intent == intent and p == intent
                for g, p in zip(self.gold, self.predicted, strict=True)
            )
            fp = sum(
                g.intent != intent and p == intent
                for g, p in zip(self.gold, self.predicted, strict=True)
            )
            fn = sum(
                g.intent == intent and p != intent
                for g, p in zip(self.gold, self.predicted, strict=True)
            )
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            scores.append(2 * precision * recall / (precision + recall) if tp else 0.0)
        return sum(scores) / len(scores) if scores else 0.0

    def confusions(self, top: int = 10) -> list[tuple[str, str, int]]:
        """The most frequent (gold, predicted) pairs that differ."""
        counter = Counter(
            (g.intent, p) for g, p in zip(self.gold, self.predicted, strict=True) if g.intent != p
        )
        return [(g, p, n) for (g, p), n in counter.most_common(top)]

    def errors(self) -> list[tuple[str, str, str]]:
        """Every misclassified utterance: (text, gold, predicted)."""
        return [
            (g.text, g.intent, p)
            for g, p in zip(self.gold, self.predicted, strict=True)
            if g.intent != p
        ]


def load_heldout(path: Path = HELDOUT) -> list[Example]:
    """Read the held-out NLU file (Rasa YAML), entity annotations stripped."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for item in data.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- ") and line[2:].strip():
                text = _ANNOTATION_RE.sub(r"\1", line[2:].strip())
                examples.append(Example(text, str(item["intent"])))
    return examples


def parse(client: httpx.Client, rasa_url: str, text: str) -> dict[str, Any]:
    """Rasa's NLU result for one text."""
    response = client.post(f"{rasa_url}/model/parse", json={"text": text})
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def evaluate(rasa_url: str, examples: list[Example]) -> Report:
    """Parse every held-out example with the running Rasa server."""
    report = Report()
    with httpx.Client(timeout=30) as client:
        for example in examples:
            result = parse(client, rasa_url, example.text)
            report.gold.append(example)
            report.predicted.append(str((result.get("intent") or {}).get("name")))
            selector = (result.get("response_selector") or {}).get("faq") or {}
            key = (selector.get("response") or {}).get("intent_response_key")
            report.faq_predicted.append(str(key) if key else None)
    return report


def percentile(values: list[float], share: float) -> float:
    """The value at a share (0-1) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latencies(url: str, body: Any, texts: list[str]) -> list[float]:
    """Milliseconds of one POST per text; body(i, text) builds the JSON."""
    times: list[float] = []
    with httpx.Client(timeout=60) as client:
        for i, text in enumerate(texts):
            start = time.perf_counter()
            response = client.post(url, json=body(i, text))
            response.raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return times


def print_report(report: Report) -> None:
    """Print the accuracy figures, macro-F1 and the most confused pairs."""
    print(f"held-out utterances: {report.count()} ({report.count(True)} without diacritics)")
    print(f"intent accuracy:      {report.accuracy():.3f}")
    print(f"  with diacritics:    {report.accuracy(False):.3f}")
    print(f"  without diacritics: {report.accuracy(True):.3f}")
    print(f"intent macro-F1:      {report.macro_f1():.3f}")
    print(f"FAQ answer accuracy:  {report.faq_accuracy():.3f}")
    print("most confused (gold -> predicted, count):")
    for gold, predicted, n in report.confusions():
        print(f"  {gold} -> {predicted}: {n}")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation and the latency comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rasa-url", help="a running Rasa server started with --enable-api")
    parser.add_argument("--gateway-url", help="a running gateway (default: start one here)")
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--model", type=Path, default=MODEL, help="model when no --rasa-url")
    parser.add_argument("--latency-n", type=int, default=60)
    parser.add_argument("--errors", action="store_true", help="list every misclassified text")
    args = parser.parse_args(argv)

    stack = None
    rasa_url = args.rasa_url
    if not rasa_url:
        from bot.devstack import RasaStack

        stack = RasaStack(
            ROOT,
            rasa_port=free_port(),
            actions_port=free_port(),
            model_path=args.model,
            extra_env={"RASA_TRACKER_DB": str(ROOT / "var" / "bench_tracker.db")},
            log_dir=ROOT / "var" / "logs",
            enable_api=True,
        )
        print("starting Rasa and the action server ...", flush=True)
        stack.start()
        stack.wait_ready()
        rasa_url = stack.rasa_url
    gateway = None
    gateway_url = args.gateway_url
    try:
        if not gateway_url:
            import tempfile

            from tests.support.gateway import GatewayProcess

            gateway = GatewayProcess(Path(tempfile.mkdtemp(prefix="kidsafe-nlu-eval-")), rasa_url)
            gateway.start()
            gateway_url = gateway.url
        examples = load_heldout(args.heldout)
        report = evaluate(rasa_url, examples)
        print_report(report)
        if args.errors:
            for text, gold, predicted in report.errors():
                print(f"  ✗ {text!r}: {gold} -> {predicted}")
        safe = [e.text for e in examples if not e.intent.startswith("risk_")
                and e.intent != "request_human"][: args.latency_n]
        run_id = int(time.time())
        rasa_ms = latencies(
            f"{rasa_url}/webhooks/rest/webhook",
            lambda i, t: {"sender": f"bench-{run_id}-{i}", "message": t},
            safe,
        )
        print(f"latency over {len(safe)} messages (ms):")
        print(f"  Rasa /webhooks/rest/webhook  p50 {statistics.median(rasa_ms):7.1f}"
              f"  p95 {percentile(rasa_ms, 0.95):7.1f}")
        gateway_ms = latencies(
            f"{gateway_url.rstrip('/')}/api/chat",
            lambda i, t: {"user_id": f"bench-{run_id}-{i}", "text": t},
            safe,
        )
        print(f"  gateway POST /api/chat       p50 {statistics.median(gateway_ms):7.1f}"
              f"  p95 {percentile(gateway_ms, 0.95):7.1f}")
    finally:
        if gateway is not None:
            gateway.stop()
        if stack is not None:
            stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
