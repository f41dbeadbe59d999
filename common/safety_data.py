"""Read labelled safety messages (training, development, evaluation and blind sets).

Two file shapes are read (see `data/safety/README.md`):
- grouped: top-level lists `risky`, `human`, `benign` of `{text, category|kind, who}`;
- labelled: `messages` (each with `label`) and `conversations` (turns of `bot` and `user`).
Every user turn of a conversation becomes a sample that carries the turns before it, so the
triage can be measured with its context. Standard library and PyYAML only (Python 3.10+).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
TRAIN_DIR = ROOT / "data" / "safety"
EVAL_DIR = ROOT / "tests" / "data"
LABELS = ("risky", "human", "benign")
CONTEXTS = ("quiz", "lesson", "menu", "chat")


class SafetyDataError(ValueError):
    """A labelled file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class BotTurn:
    """What the bot showed before a user turn: text, button titles and the activity."""

    text: str
    buttons: Tuple[str, ...] = ()
    context: str = "chat"


@dataclass(frozen=True)
class Sample:
    """One labelled user message, with the conversation before it (empty for single ones)."""

    text: str
    label: str
    categories: Tuple[str, ...] = ()
    kind: str = ""
    who: str = ""
    source: str = ""
    history: Tuple[Any, ...] = field(default=())  # BotTurn or an earlier user Sample

    @property
    def category(self) -> Optional[str]:
        """The main category of a risky sample."""
        return self.categories[0] if self.categories else None

    @property
    def risky(self) -> bool:
        """A message that must reach a counsellor (a disclosure or a request for a person)."""
        return self.label in ("risky", "human")


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


def _categories(value: object) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    raise SafetyDataError(f"category must be a name or a list of names, got {value!r}")


def _sample(entry: Dict[str, Any], label: str, where: str, history: Tuple[Any, ...] = ()) -> Sample:
    text = entry.get("text", entry.get("user"))
    if not isinstance(text, str) or not text.strip():
        raise SafetyDataError(f"{where}: expected a non-empty text")
    if label not in LABELS:
        raise SafetyDataError(f"{where}: label must be one of {', '.join(LABELS)}, got {label!r}")
    categories = _categories(entry.get("category"))
    if label == "risky" and not categories:
        raise SafetyDataError(f"{where}: a risky message needs a category")
    return Sample(
        text=transform(text, str(entry.get("transform") or "")),
        label=label,
        categories=categories,
        kind=str(entry.get("kind") or ""),
        who=str(entry.get("who") or ""),
        source=where,
        history=history,
    )


def _conversation(turns: object, where: str, who: str) -> List[Sample]:
    if not isinstance(turns, list) or not turns:
        raise SafetyDataError(f"{where}: expected a non-empty list of turns")
    out: List[Sample] = []
    history: List[Any] = []
    for i, turn in enumerate(turns):
        at = f"{where}.turns[{i}]"
        if not isinstance(turn, dict):
            raise SafetyDataError(f"{at}: expected a mapping")
        if "bot" in turn:
            context = str(turn.get("context") or "chat")
            if context not in CONTEXTS:
                raise SafetyDataError(f"{at}: context must be one of {', '.join(CONTEXTS)}")
            buttons = tuple(str(b) for b in turn.get("buttons") or ())
            history.append(BotTurn(str(turn["bot"]), buttons, context))
        elif "user" in turn:
            entry = dict(turn)
            entry.setdefault("who", who)
            sample = _sample(entry, str(turn.get("label") or ""), at, tuple(history))
            out.append(sample)
            history.append(sample)
        else:
            raise SafetyDataError(f"{at}: a turn has either `bot` or `user`")
    return out


def load_samples(path: Path) -> List[Sample]:
    """Every labelled user message of one file, in file order."""
    name = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SafetyDataError(f"{name}: cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise SafetyDataError(f"{name}: expected a mapping at the top")
    out: List[Sample] = []
    for label in LABELS:
        for i, entry in enumerate(raw.get(label) or []):
            out.append(_sample(entry, label, f"{name}:{label}[{i}]"))
    for i, entry in enumerate(raw.get("messages") or []):
        if not isinstance(entry, dict):
            raise SafetyDataError(f"{name}:messages[{i}]: expected a mapping")
        out.append(_sample(entry, str(entry.get("label") or ""), f"{name}:messages[{i}]"))
    for i, entry in enumerate(raw.get("conversations") or []):
        where = f"{name}:conversations[{i}]"
        if not isinstance(entry, dict):
            raise SafetyDataError(f"{where}: expected a mapping")
        out.extend(_conversation(entry.get("turns"), where, str(entry.get("who") or "")))
    return out


def training_files(root: Path = TRAIN_DIR) -> List[Path]:
    """The team's labelled training files: the development set and the writers' files."""
    return sorted(root.glob("*.yml")) + sorted((root / "writers").glob("*.yml"))


def evaluation_files(root: Path = EVAL_DIR) -> List[Path]:
    """The held-out files: the evaluation set and every blind set (never trained on)."""
    return sorted(root.glob("safety_eval*.yml")) + sorted(root.glob("safety_blind*.yml"))


def load_all(paths: Iterable[Path]) -> List[Sample]:
    """Samples of several files, in order."""
    out: List[Sample] = []
    for path in paths:
        out.extend(load_samples(path))
    return out
