#!/usr/bin/env python3
"""Seal a new NLU blind set before its first sight: drop texts the project has seen already.

    python scripts/seal_blind_set.py WRITTEN.yml tests/data/nlu_blind_rN.yml

A message is dropped when, with diacritics folded, teen code expanded and (loosely) chat
particles dropped, it equals a training example (nlu_data/), a text of the safety data or the
lexicon's rule examples, a held-out utterance (tests/nlu_heldout.yml, tests/data/nlu_*.yml), or
an earlier message of the same set: the tests of scripts/check_nlu_data.py then pass with the
sealed set in place. The output keeps the writer and the messages' order, with a header saying
how many were dropped. Standard library and PyYAML only; runs on Python 3.10+.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import yaml

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("check_nlu_data",
                                               ROOT / "scripts" / "check_nlu_data.py")
assert _SPEC is not None and _SPEC.loader is not None
check = importlib.util.module_from_spec(_SPEC)
sys.modules["check_nlu_data"] = check  # dataclasses look their module up by name
_SPEC.loader.exec_module(check)


def seen_keys(tc: Dict[str, str]) -> Set[str]:
    """The strict and loose keys of every text the project trains on or holds out."""
    texts: List[str] = []
    for path in sorted((ROOT / "nlu_data").glob("*.yml")):
        texts += [e.text for e in check.load_examples(path)[0]]
    safety = ROOT / "data" / "safety"
    texts += [e.text for e in check.safety_texts(sorted(safety.glob("*.yml"))
                                                 + sorted((safety / "writers").glob("*.yml")))]
    texts += [e.text for e in check.lexicon_examples(ROOT / "content" / "safety" / "lexicon")]
    texts += [e.text for e in check.load_examples(ROOT / "tests" / "nlu_heldout.yml")[0]]
    held = ROOT / "tests" / "data"
    texts += [e.text for e in check.message_sets(sorted(held.glob("nlu_*.yml")))]
    texts += [e.text for e in check.safety_texts(sorted(held.glob("safety_*.yml")))]
    keys: Set[str] = set()
    for text in texts:
        keys.add(check.key(text, tc))
        keys.add(check.loose_key(text, tc))
    return keys


def seal(messages: List[Dict[str, Any]], tc: Dict[str, str]) -> List[Dict[str, Any]]:
    """The messages whose text the project has not seen, first occurrence only."""
    seen = seen_keys(tc)
    kept = []
    for message in messages:
        text = str(message.get("text") or "")
        keys = {check.key(text, tc), check.loose_key(text, tc)}
        if not text.strip() or keys & seen:
            continue
        seen |= keys
        kept.append(message)
    return kept


def main(argv: Optional[List[str]] = None) -> int:
    """Seal one written set into its place under tests/data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("written", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    data = yaml.safe_load(args.written.read_text(encoding="utf-8")) or {}
    messages = data.get("messages")
    if not isinstance(messages, list):
        print(f"error: {args.written}: no 'messages' list", file=sys.stderr)
        return 2
    kept = seal(messages, check.teencode())
    dropped = len(messages) - len(kept)
    lines = [f"# {dropped} messages found (diacritics folded, chat particles dropped) in training "
             "sources or in the earlier held-out sets were removed before the first sight, so "
             "that this set is measured unseen.",
             f"writer: {json.dumps(str(data.get('writer') or 'unknown'), ensure_ascii=False)}",
             "messages:"]
    lines += [f"  - {json.dumps(m, ensure_ascii=False)}" for m in kept]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(kept)} kept, {dropped} dropped of {len(messages)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
