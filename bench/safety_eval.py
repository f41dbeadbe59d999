"""Safety figures: rules alone, learned alone, Rasa alone and the triage on each labelled set.

Run from the repository root (after `make train`):
    .venv/bin/python bench/safety_eval.py [--rasa] [--sets dev,eval,blind] [--misses SET]
Sets: `dev` is the team's training data (data/safety/), scored out of fold (each message by heads
trained without it); `eval` is tests/data/safety_eval.yml; every tests/data/safety_blind*.yml is
its own row group. With --rasa it starts Rasa on a free loopback port and adds Rasa's risk intent
(from /model/parse) as a system and as the triage's fourth signal. Prints the README's table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.safety_metrics import (  # noqa: E402
    SYSTEMS,
    Report,
    Signals,
    collect,
    judge,
    load_oof,
    percentile,
    report,
)
from bot.safety.learned import MODEL_DIR, LearnedClassifier  # noqa: E402
from bot.safety.triage import RasaSignal  # noqa: E402
from common.safety_data import (  # noqa: E402
    EVAL_DIR,
    Sample,
    load_all,
    load_samples,
    training_files,
)
from common.taxonomy import HANDOFF_INTENTS  # noqa: E402


def sets(names: list[str]) -> list[tuple[str, list[Sample], bool]]:
    """(name, samples, scored out of fold) for each requested set."""
    out: list[tuple[str, list[Sample], bool]] = []
    if "dev" in names:
        out.append(("dev (out of fold)", load_all(training_files()), True))
    if "eval" in names:
        out.append(("eval", load_samples(EVAL_DIR / "safety_eval.yml"), False))
    if "blind" in names:
        for path in sorted(EVAL_DIR.glob("safety_blind*.yml")):
            out.append((path.stem.replace("safety_", ""), load_samples(path), False))
    return out


def rasa_parser(url: str) -> Callable[[str], RasaSignal | None]:
    """Rasa's risk intent for a text, from /model/parse (NLU only, no tracker)."""

    def parse(text: str) -> RasaSignal | None:
        request = urllib.request.Request(
            url + "/model/parse", data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            intent = json.loads(response.read())["intent"]
        name = str(intent.get("name") or "").split("/")[0]
        if name not in HANDOFF_INTENTS:
            return None
        return RasaSignal(name, float(intent.get("confidence") or 0.0))

    return parse


def row(name: str, r: Report) -> str:
    """One line of the table."""
    return (f"| {name} | {r.system} | {r.recall:.3f} ({r.escalated}/{r.risky}) | "
            f"{r.recall_with_review:.3f} | {r.false_escalation_rate:.3f} "
            f"({r.false_escalations}/{r.benign}) | {r.review_rate:.3f} ({r.benign_reviews}) |")


def run(names: list[str], use_rasa: bool, misses: str | None) -> int:
    """Print every table; 1 when the triage misses a target on a blind set."""
    classifier = LearnedClassifier.load(MODEL_DIR)
    oof = load_oof(MODEL_DIR)
    parse = None
    stack = None
    if use_rasa:
        from devtools.devstack import RasaStack
        from devtools.gateway_process import free_port

        work = Path(tempfile.mkdtemp(prefix="safety_eval_"))
        stack = RasaStack(ROOT, rasa_port=free_port(), actions_port=free_port(),
                          extra_env={"RASA_TRACKER_DB": str(work / "tracker.db")},
                          log_dir=work, enable_api=True)
        stack.start()
        stack.wait_ready(timeout=300)
        parse = rasa_parser(stack.rasa_url)
    status = 0
    try:
        print("| set | system | escalation recall | recall with review | false escalation |"
              " review rate (benign) |")
        print("| --- | --- | --- | --- | --- | --- |")
        details: list[str] = []
        for name, samples, out_of_fold in sets(names):
            signals: list[Signals] = collect(samples, classifier,
                                             oof=oof if out_of_fold else None, rasa=parse)
            for system in SYSTEMS:
                if system == "rasa" and parse is None:
                    continue
                r = report(system, judge(system, signals, classifier.fusion))
                label = "triage" + ("" if parse else " (no Rasa)") if system == "triage" else ""
                print(row(name, r) if not label else row(name, r).replace("| triage |",
                                                                           f"| {label} |"))
                if system == "triage":
                    details.append(per_category(name, r))
                    if not out_of_fold:
                        times = [s.seconds * 1000 for s in signals]
                        details.append(
                            f"{name}: triage latency (rule screen + learned signal, first sight; "
                            "the decision adds about 0.5 ms) "
                            f"p50 {percentile(times, 50):.1f} ms, p99 {percentile(times, 99):.1f}"
                            f" ms; 111 in every escalation reply: {r.replies_with_111}/{r.replies}"
                        )
                    if name.startswith("blind") and not meets_targets(r):
                        status = 1
                    if misses and name.startswith(misses):
                        details.append(listing(r))
        print()
        print("\n".join(details))
    finally:
        if stack is not None:
            stack.stop()
    return status


def meets_targets(r: Report) -> bool:
    """Issue 08's targets on a blind set."""
    return (r.recall >= 0.97 and r.recall_with_review >= 0.99
            and r.false_escalation_rate <= 0.03 and r.review_rate <= 0.15
            and r.replies_with_111 == r.replies)


def per_category(name: str, r: Report) -> str:
    """Recall per category of the triage."""
    parts = [f"{c} {r.per_category_caught[c]}/{n}" for c, n in sorted(r.per_category.items())]
    return f"{name}: triage recall per category: " + ", ".join(parts)


def listing(r: Report) -> str:
    """The misses and false alarms, for tuning on development data only."""
    lines = ["misses:"] + [f"  [{j.sample.category or 'human'}] {j.decision}: {j.sample.text!r}"
                           for j in r.misses]
    lines += ["false escalations:"] + [f"  [{j.sample.kind}] {j.category}: {j.sample.text!r}"
                                       for j in r.false_alarms]
    return "\n".join(lines)


def main() -> int:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="dev,eval,blind")
    parser.add_argument("--rasa", action="store_true", help="start Rasa and add its signal")
    parser.add_argument("--misses", help="list misses and false alarms of this set (dev, eval)")
    args = parser.parse_args()
    return run(args.sets.split(","), args.rasa, args.misses)


if __name__ == "__main__":
    raise SystemExit(main())
