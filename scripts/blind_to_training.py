#!/usr/bin/env python3
"""Turn a measured NLU blind set (`messages:` of `{text, intent, ...}`) into Rasa training YAML.

Run once a blind set has had its one first-sight measurement, then delete the blind file (the
leak check in scripts/check_nlu_data.py fails while both exist):
    python scripts/blind_to_training.py tests/data/nlu_blind_rN.yml nlu_data/voices_X_rN.yml \
        --note "what the set was, where it was measured"
Entities are annotated as the lesson data does: a lesson topic (start_lesson) where a surface
form of nlu_data/synonyms.yml appears, an age ("9 tuổi", "lớp 4") in start_lesson and
inform_age, a quiz option letter in answer. Texts that repeat an earlier one are skipped.
Standard library and PyYAML only; runs on Python 3.10+.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.vietnamese import fold  # noqa: E402

SYNONYMS = ROOT / "nlu_data" / "synonyms.yml"
AGE_RE = re.compile(r"\b(?:\d{1,2}\s*(?:tuoi|t)|lop\s*\d{1,2})\b")
OPTION_RE = re.compile(r"(?:^|\b(?:dap an|chon|cau|la)\s+)([abcd])\b|^\s*([abcd])\s*$")
ENTITY_INTENTS = {"start_lesson": ("topic", "age"), "inform_age": ("age",), "answer": ("option",)}
Span = Tuple[int, int, str, Optional[str]]


def topic_surfaces() -> List[Tuple[str, str]]:
    """(folded surface, topic) pairs of the topic synonyms, longest first."""
    data = yaml.safe_load(SYNONYMS.read_text(encoding="utf-8")) or {}
    pairs = []
    for block in data.get("nlu") or []:
        if "synonym" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                pairs.append((fold(line.strip()[2:].strip().lower()), str(block["synonym"])))
    return sorted(pairs, key=lambda p: -len(p[0]))


def find_spans(text: str, entities: Tuple[str, ...], surfaces: List[Tuple[str, str]]) -> List[Span]:
    """Entity spans (start, end, entity, synonym value) found in one text."""
    folded = fold(text.lower())  # same length as the NFC text: fold maps one character to one
    spans: List[Span] = []
    if "topic" in entities:
        for surface, topic in surfaces:
            match = re.search(rf"\b{re.escape(surface)}\b", folded)
            if match:
                spans.append((match.start(), match.end(), "topic", topic))
                break
    if "age" in entities:
        spans += [(m.start(), m.end(), "age", None) for m in AGE_RE.finditer(folded)][:1]
    if "option" in entities:
        match = OPTION_RE.search(folded)
        if match:
            group = 1 if match.group(1) else 2
            spans.append((match.start(group), match.end(group), "option", match.group(group)))
    spans.sort()
    return [s for i, s in enumerate(spans) if i == 0 or s[0] >= spans[i - 1][1]]


def annotate(text: str, spans: List[Span]) -> str:
    """The text with Rasa entity annotations around each span."""
    out, last = [], 0
    for start, end, entity, value in spans:
        out.append(text[last:start])
        meta = {"entity": entity, "value": value} if value else None
        tail = json.dumps(meta, ensure_ascii=False) if meta else f"({entity})"
        out.append(f"[{text[start:end]}]{tail}")
        last = end
    out.append(text[last:])
    return "".join(out)


def convert(messages: List[Dict[str, object]]) -> Dict[str, List[str]]:
    """Training examples by intent (retrieval sub-intents kept), annotated where they need it."""
    surfaces = topic_surfaces()
    by_intent: Dict[str, List[str]] = {}
    seen = set()
    for message in messages:
        text = unicodedata.normalize("NFC", " ".join(str(message["text"]).split()))
        intent = str(message["intent"])
        key = fold(text.lower())
        if not text or key in seen or "[" in text or "]" in text:
            continue
        seen.add(key)
        spans = find_spans(text, ENTITY_INTENTS.get(intent, ()), surfaces)
        by_intent.setdefault(intent, []).append(annotate(text, spans))
    return by_intent


def to_yaml(by_intent: Dict[str, List[str]], note: str) -> str:
    """Rasa 3.1 NLU YAML with a comment saying where the examples come from."""
    lines = ['version: "3.1"'] + [f"# {line}" for line in note.splitlines()] + ["nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {example}" for example in by_intent[intent]]
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    """Convert one blind file into one training file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("blind", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--note", required=True, help="the file's header comment")
    args = parser.parse_args(argv)
    data = yaml.safe_load(args.blind.read_text(encoding="utf-8")) or {}
    messages = data.get("messages")
    if not isinstance(messages, list):
        print(f"error: {args.blind}: no 'messages' list", file=sys.stderr)
        return 2
    by_intent = convert(messages)
    args.out.write_text(to_yaml(by_intent, args.note), encoding="utf-8")
    print(f"{args.out}: {sum(map(len, by_intent.values()))} examples, {len(by_intent)} intents")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
