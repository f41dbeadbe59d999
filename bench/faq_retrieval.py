"""The FAQ retriever alone: trained on the FAQ examples, top-1 and top-3 on labelled FAQ items.

Run in the Rasa environment from the repository root:
    PYTHONPATH=. .venv-rasa/bin/python bench/faq_retrieval.py TEST.yml [...] \
        [--exclude nlu_data/FILE.yml ...]
Trains nlu_components/ngram_classifier.NgramClassifier as nlu_components/faq_retriever.py does
(every `faq/<key>` example of nlu_data/ but the excluded files, and each answer's question) and
reads the `faq/<key>` items of each test file (Rasa NLU YAML or a blind set's `messages:`),
assuming the intent is right: how often the top answer, and the top three, hold the right one.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANNOTATION = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")


def labelled(path: Path) -> list[tuple[str, str]]:
    """(text, label) pairs of a Rasa NLU file or a blind set, annotations stripped."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if "messages" in data:
        return [(str(m["text"]), str(m["intent"])) for m in data["messages"]]
    pairs = []
    for block in data.get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            if "intent" in block and line.strip().startswith("- "):
                text = ANNOTATION.sub(r"\1", line.strip()[2:].strip())
                pairs.append((text, str(block["intent"])))
    return pairs


def main(argv: list[str] | None = None) -> int:
    """Train on nlu_data's FAQ examples and print top-1 and top-3 per test file."""
    from rasa.shared.nlu.training_data.message import Message

    from common.content import load_faq
    from nlu_components.ngram_classifier import NgramClassifier, reading

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("tests", nargs="+", type=Path)
    parser.add_argument("--exclude", nargs="*", type=Path, default=[])
    args = parser.parse_args(argv)
    excluded = {p.resolve() for p in args.exclude}
    texts, keys = [], []
    for path in sorted((ROOT / "nlu_data").glob("*.yml")):
        if path.resolve() in excluded:
            continue
        for text, label in labelled(path):
            if label.startswith("faq/"):
                texts.append(text)
                keys.append(label[4:])
    for entry in load_faq():
        texts.append(entry.question)
        keys.append(entry.key)

    def read(text: str) -> str:
        return reading(Message(data={"text": text}))

    index = NgramClassifier().fit([read(t) for t in texts], keys)
    print(f"trained on {len(texts)} texts, {len(set(keys))} answers"
          f" ({len(excluded)} file(s) of nlu_data left out)")
    for path in args.tests:
        items = [(t, label[4:]) for t, label in labelled(path) if label.startswith("faq/")]
        ranked = index.rank([read(t) for t, _ in items], top=3)
        top1 = sum(r[0][0] == key for r, (_, key) in zip(ranked, items, strict=True))
        top3 = sum(key in [k for k, _ in r] for r, (_, key) in zip(ranked, items, strict=True))
        n = max(len(items), 1)
        print(f"{path.name}: {len(items)} FAQ items, top-1 {top1 / n:.3f}, top-3 {top3 / n:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
