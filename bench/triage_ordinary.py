"""The triage (rules + learned signal + context, no Rasa) on the ordinary messages of NLU sets.

    .venv/bin/python bench/triage_ordinary.py tests/data/nlu_blind_r5.yml [--show]

No message of an NLU set describes harm: apart from requests for a person (`request_human`, handed
to a counsellor by design), each escalation is a false alarm and each review a line on the
counsellors' "Cần xem" list. Prints the rates and, with --show, the false alarms.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import speaker  # noqa: E402
from bot.safety import screen  # noqa: E402
from bot.safety.learned import MODEL_DIR, LearnedClassifier  # noqa: E402
from bot.safety.triage import Context, decide  # noqa: E402


def main() -> int:
    """Triage every message of the files and print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--show", action="store_true", help="print the false alarms")
    args = parser.parse_args()
    items = []
    for path in args.files:
        items += yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    classifier = LearnedClassifier.load(MODEL_DIR)
    decisions: Counter[str] = Counter()
    requests: Counter[str] = Counter()
    for item in items:
        text = item["text"]
        audience = speaker.as_audience(speaker.guess(text, speaker.UNKNOWN))
        decision = decide(screen(text), classifier.score(text), Context(speaker=audience),
                          text=text, fusion=classifier.fusion).decision.value
        if item["intent"] == "request_human":
            requests[decision] += 1
            continue
        decisions[decision] += 1
        if args.show and decision == "escalate":
            print(f"  escalated [{item['intent']}] {text}")
    n = sum(decisions.values())
    print(f"requests for a person handed off: {requests['escalate']} of {sum(requests.values())}")
    print(f"{n} ordinary messages: escalated {decisions['escalate']} "
          f"({decisions['escalate'] / n:.3f}), reviewed {decisions['review']} "
          f"({decisions['review'] / n:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
