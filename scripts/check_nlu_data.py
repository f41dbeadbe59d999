#!/usr/bin/env python3
"""Check the NLU training data and the held-out test set for duplicates and leaks.

Exits 1 when an example appears twice in the training data (after folding diacritics and
expanding teen code), when a held-out utterance repeats a training example (also after dropping
chat particles such as "ạ", "nhé", "đi"), when a safety evaluation or blind text
(tests/data/safety_*.yml), a blind NLU text (tests/data/nlu_*.yml) or a held-out utterance appears
in any training source (NLU data, the
safety data in data/safety/, the lexicon's rule examples), when a file does not load, or when one
surface form is a synonym of two values. Prints per-intent counts and the share of examples
typed without diacritics. Standard library and PyYAML only; runs on Python 3.10+.

Usage: python scripts/check_nlu_data.py [--data nlu_data] [--heldout tests/nlu_heldout.yml]
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:  # the shared normaliser, when the repository provides it
    from common.vietnamese import fold as _fold
    from common.vietnamese import teencode_map as _teencode_map
except Exception:  # pragma: no cover - fallback keeps the script standalone
    _fold = None
    _teencode_map = None

ENTITY_RE = re.compile(r"\[(?P<text>[^\]]+?)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
PUNCT_RE = re.compile(r"[^\w\s]", re.UNICODE)
# Chat particles that do not change what an utterance means (compared folded).
PARTICLES = {
    "a",
    "ah",
    "ak",
    "ha",
    "nhe",
    "nha",
    "ne",
    "oi",
    "the",
    "vay",
    "z",
    "v",
    "di",
    "voi",
    "nhi",
    "hen",
    "luon",
    "roi",
    "r",
    "em",
    "e",
    "minh",
    "toi",
    "con",
    "chau",
    "ban",
}


@dataclass(frozen=True)
class Example:
    """One training or test utterance with where it came from."""

    text: str
    intent: str
    source: str


def fold(text: str) -> str:
    """Strip Vietnamese diacritics (đ becomes d)."""
    if _fold is not None:
        return _fold(unicodedata.normalize("NFC", text))
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def teencode() -> Dict[str, str]:
    """Return the teen-code map keyed and valued by folded lower-case words."""
    if _teencode_map is None:
        return {}
    try:
        mapping = _teencode_map()
    except Exception:
        return {}
    return {fold(k).lower(): fold(v).lower() for k, v in mapping.items()}


def plain_text(example: str) -> str:
    """Remove Rasa entity annotations, keeping the annotated text."""
    return ENTITY_RE.sub(lambda m: m.group("text"), example)


def key(text: str, tc: Dict[str, str]) -> str:
    """Comparison key: NFC, lower case, folded, no punctuation, teen code expanded."""
    text = fold(unicodedata.normalize("NFC", plain_text(text)).lower())
    words = PUNCT_RE.sub(" ", text).split()
    return " ".join(tc.get(w, w) for w in words)


def loose_key(text: str, tc: Dict[str, str]) -> str:
    """Looser key for leak checks: also drops chat particles and pronouns."""
    strict = key(text, tc)
    kept = [w for w in strict.split() if w not in PARTICLES]
    return " ".join(kept) if kept else strict


def load_examples(path: Path) -> Tuple[List[Example], Dict[str, List[str]]]:
    """Read intents' examples and synonyms from one Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: List[Example] = []
    synonyms: Dict[str, List[str]] = {}
    for block in data.get("nlu") or []:
        raw = block.get("examples") or ""
        lines = [ln.strip()[2:].strip() for ln in raw.splitlines() if ln.strip().startswith("- ")]
        if "intent" in block:
            examples.extend(Example(t, str(block["intent"]), str(path)) for t in lines)
        elif "synonym" in block:
            synonyms.setdefault(str(block["synonym"]), []).extend(lines)
    return examples, synonyms


def find_duplicates(examples: Iterable[Example], tc: Dict[str, str]) -> List[str]:
    """Report examples whose keys collide inside one collection."""
    seen: Dict[str, Example] = {}
    problems = []
    for ex in examples:
        k = key(ex.text, tc)
        if k in seen:
            first = seen[k]
            problems.append(
                f"duplicate: {ex.source} [{ex.intent}] {ex.text!r} == "
                f"{first.source} [{first.intent}] {first.text!r}"
            )
        else:
            seen[k] = ex
    return problems


def find_leaks(train: List[Example], test: List[Example], tc: Dict[str, str]) -> List[str]:
    """Report held-out utterances that repeat a training example."""
    index: Dict[str, Example] = {}
    for ex in train:
        index.setdefault(key(ex.text, tc), ex)
        index.setdefault(loose_key(ex.text, tc), ex)
    problems = []
    for ex in test:
        for k in (key(ex.text, tc), loose_key(ex.text, tc)):
            if k in index:
                hit = index[k]
                problems.append(
                    f"held-out overlaps training: {ex.text!r} [{ex.intent}] ~ "
                    f"{hit.source} [{hit.intent}] {hit.text!r}"
                )
                break
    return problems


def safety_texts(paths: Iterable[Path]) -> List[Example]:
    """Every text of labelled safety files (training or evaluation), as examples."""
    from common.safety_data import load_samples

    out: List[Example] = []
    for path in paths:
        for sample in load_samples(path):
            out.append(Example(sample.text, sample.label, str(path)))
    return out


def lexicon_examples(folder: Path) -> List[Example]:
    """The example and counter-example texts of the safety rules (they shape the rules)."""
    out: List[Example] = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in data.get("rules") or []:
            for field in ("example", "not"):
                value = rule.get(field)
                for text in [value] if isinstance(value, str) else value or []:
                    out.append(Example(str(text), str(rule.get("id")), str(path)))
    return out


def message_sets(paths: Iterable[Path]) -> List[Example]:
    """Every text of the blind NLU sets (`messages:` of `{text, intent, ...}`), as examples."""
    out: List[Example] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("messages") or []:
            out.append(Example(str(item["text"]), str(item["intent"]), str(path)))
    return out


def find_evaluation_leaks(
    train: List[Example], held: List[Example], tc: Dict[str, str]
) -> List[str]:
    """Report evaluation or blind texts that appear in a training source (diacritics folded)."""
    index: Dict[str, Example] = {}
    for ex in train:
        index.setdefault(key(ex.text, tc), ex)
    problems = []
    for ex in held:
        hit = index.get(key(ex.text, tc))
        if hit is not None and key(ex.text, tc):
            problems.append(
                f"evaluation text in training: {ex.source} {ex.text!r} ~ {hit.source} {hit.text!r}"
            )
    return problems


def synonym_conflicts(synonyms: Dict[str, List[str]]) -> List[str]:
    """Report surface forms listed under two different synonym values."""
    owner: Dict[str, str] = {}
    problems = []
    for value, forms in synonyms.items():
        for form in forms:
            f = form.lower()
            if f in owner and owner[f] != value:
                problems.append(f"synonym {form!r} maps to both {owner[f]} and {value}")
            owner.setdefault(f, value)
    return problems


def stats(title: str, examples: List[Example]) -> None:
    """Print per-intent counts and the unaccented share."""
    counts = Counter(ex.intent for ex in examples)
    plain = sum(1 for ex in examples if fold(plain_text(ex.text)) == plain_text(ex.text))
    total = len(examples) or 1
    print(
        f"== {title}: {len(examples)} examples, {plain} without diacritics "
        f"({100 * plain / total:.0f}%)"
    )
    groups: Dict[str, int] = defaultdict(int)
    for intent, n in counts.items():
        groups[intent.split("/")[0]] += n
    for intent in sorted(counts):
        print(f"  {intent:32s} {counts[intent]:4d}")
    if any("/" in i for i in counts):
        for intent in sorted(groups):
            if any(i.startswith(intent + "/") for i in counts):
                print(f"  {intent + ' (all keys)':32s} {groups[intent]:4d}")


def main(argv: Optional[List[str]] = None) -> int:
    """Run every check and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "nlu_data"))
    parser.add_argument("--heldout", default=str(ROOT / "tests" / "nlu_heldout.yml"))
    parser.add_argument("--safety-data", default=str(ROOT / "data" / "safety"))
    parser.add_argument("--safety-eval", default=str(ROOT / "tests" / "data"))
    parser.add_argument("--lexicon", default=str(ROOT / "content" / "safety" / "lexicon"))
    parser.add_argument("--quiet", action="store_true", help="print problems only")
    args = parser.parse_args(argv)

    tc = teencode()
    problems: List[str] = []
    train: List[Example] = []
    synonyms: Dict[str, List[str]] = {}
    files = sorted(Path(args.data).glob("*.yml")) + sorted(Path(args.data).glob("*.yaml"))
    for path in files:
        try:
            examples, syns = load_examples(path)
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{path}: cannot load: {exc}")
            continue
        train.extend(examples)
        for value, forms in syns.items():
            synonyms.setdefault(value, []).extend(forms)

    test: List[Example] = []
    heldout = Path(args.heldout)
    if heldout.exists():
        try:
            test, _ = load_examples(heldout)
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{heldout}: cannot load: {exc}")
    try:  # the blind NLU sets (tests/data/nlu_*.yml) are held out like the held-out file
        test += message_sets(sorted(Path(args.safety_eval).glob("nlu_*.yml")))
    except (OSError, yaml.YAMLError, KeyError) as exc:
        problems.append(f"{args.safety_eval}: a blind NLU set cannot load: {exc}")

    problems += find_duplicates(train, tc)
    problems += find_duplicates(test, tc)
    problems += find_leaks(train, test, tc)
    problems += synonym_conflicts(synonyms)

    # Safety: no evaluation or blind text in any training source (NLU data, the team's safety
    # data, the lexicon's rule examples), and no held-out NLU text in the safety data either.
    safety_train = safety_texts(
        sorted(Path(args.safety_data).glob("*.yml"))
        + sorted((Path(args.safety_data) / "writers").glob("*.yml"))
    )
    rule_examples = lexicon_examples(Path(args.lexicon))
    held = safety_texts(sorted(Path(args.safety_eval).glob("safety_*.yml")))
    problems += find_evaluation_leaks(train + safety_train + rule_examples, held + test, tc)

    if not args.quiet:
        stats(f"training ({len(files)} files in {args.data})", train)
        if test:
            stats(f"held-out ({heldout})", test)
    for line in problems:
        print(line)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
