"""The triage (rules + learned signal + context, no Rasa) on the ordinary messages of NLU sets.

    .venv/bin/python docs/measurements/triage_on_ordinary.py tests/data/nlu_blind_r3.yml

No message of an NLU set describes harm: apart from requests for a person (`request_human`, handed
to a counsellor by design), each escalation is a false alarm and each review a line on the
counsellors' "Cần xem" list. Prints the rates and, with --show, the false alarms.
"""
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bot import speaker  # noqa: E402
from bot.safety import screen  # noqa: E402
from bot.safety.learned import MODEL_DIR, LearnedClassifier  # noqa: E402
from bot.safety.triage import Context, decide  # noqa: E402

show = "--show" in sys.argv
items = []
for name in [a for a in sys.argv[1:] if not a.startswith("--")]:
    items += yaml.safe_load(open(name, encoding="utf-8"))["messages"]
clf = LearnedClassifier.load(MODEL_DIR)
decisions: Counter[str] = Counter()
requests: Counter[str] = Counter()
for item in items:
    text = item["text"]
    audience = speaker.as_audience(speaker.guess(text, speaker.UNKNOWN))
    t = decide(screen(text), clf.score(text), Context(speaker=audience), text=text,
               fusion=clf.fusion)
    if item["intent"] == "request_human":
        requests[t.decision.value] += 1
        continue
    decisions[t.decision.value] += 1
    if show and t.decision.value == "escalate":
        print(f"  escalated [{item['intent']}] {text}")
n = sum(decisions.values())
print(f"requests for a person handed off: {requests['escalate']} of {sum(requests.values())}")
print(f"{n} ordinary messages: escalated {decisions['escalate']} ({decisions['escalate'] / n:.3f}),"
      f" reviewed {decisions['review']} ({decisions['review'] / n:.3f})")
