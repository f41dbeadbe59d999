"""Labelled NLU files for the evaluation: Rasa NLU YAML or the `messages:` list of the blind sets.

Two shapes are read:
- Rasa NLU YAML (``nlu: [{intent, examples}]``, e.g. tests/nlu_heldout.yml); entity annotations
  are stripped;
- ``messages: [{text, intent, who?, age?, scope?, topic?}]`` where intent is an intent name or
  ``faq/<key>``, who is ``child`` or ``parent`` (``teen``, ``grandparent``, ``teacher`` and
  ``sibling`` are read as child, parent, parent, either), scope names the service an
  out-of-scope question belongs to (e.g. ``health``, ``homework``, ``safety``), topic a lesson
  topic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common.vietnamese import has_diacritics

_ANNOTATION_RE = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")
WHO = ("child", "parent")
# Writers name speakers more finely; the bot addresses a child or an adult (a sibling: either).
WHO_ALIASES = {"teen": "child", "grandparent": "parent", "teacher": "parent", "sibling": None}


class LabelError(ValueError):
    """A labelled file that cannot be read; the message names the file and the item."""


@dataclass(frozen=True)
class Labelled:
    """One utterance with its gold label (`faq/<key>` for FAQ questions) and optional facts."""

    text: str
    label: str
    who: str | None = None
    age: str | None = None
    scope: str | None = None
    topic: str | None = None
    source: str = ""

    @property
    def intent(self) -> str:
        """The intent without the retrieval key."""
        return self.label.split("/", 1)[0]

    @property
    def faq_key(self) -> str | None:
        """The FAQ key of a `faq/<key>` label."""
        return self.label.split("/", 1)[1] if self.label.startswith("faq/") else None

    @property
    def unaccented(self) -> bool:
        """Typed without diacritics."""
        return not has_diacritics(unicodedata.normalize("NFC", self.text))


def _rasa_nlu(data: dict[str, Any], source: str) -> list[Labelled]:
    """Examples of a Rasa NLU file, annotations stripped."""
    items: list[Labelled] = []
    for item in data.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        for line in str(item.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- ") and line[2:].strip():
                text = _ANNOTATION_RE.sub(r"\1", line[2:].strip())
                items.append(Labelled(text, str(item["intent"]), source=source))
    return items


def _optional(raw: dict[str, Any], name: str) -> str | None:
    """An optional field as text (None when absent or empty)."""
    value = raw.get(name)
    return str(value).strip() if value is not None and str(value).strip() else None


def _messages(data: dict[str, Any], source: str) -> list[Labelled]:
    """Items of a `messages:` file, checked."""
    raw = data.get("messages")
    if not isinstance(raw, list):
        raise LabelError(f"{source}: 'messages' must be a list")
    items: list[Labelled] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise LabelError(f"{source}: messages[{i}] must be a mapping")
        text, intent = _optional(entry, "text"), _optional(entry, "intent")
        if text is None or intent is None:
            raise LabelError(f"{source}: messages[{i}] needs 'text' and 'intent'")
        who = _optional(entry, "who")
        who = WHO_ALIASES.get(who, who) if who is not None else None
        if who is not None and who not in WHO:
            raise LabelError(f"{source}: messages[{i}]: 'who' must be child, teen, parent, "
                             "grandparent, teacher or sibling")
        items.append(Labelled(text, intent, who, _optional(entry, "age"),
                              _optional(entry, "scope"), _optional(entry, "topic"), source))
    return items


def load_labelled(path: Path) -> list[Labelled]:
    """Read one labelled file in either shape."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise LabelError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise LabelError(f"{path}: expected a mapping with 'messages' or 'nlu'")
    if "messages" in data:
        return _messages(data, path.name)
    if "nlu" in data:
        return _rasa_nlu(data, path.name)
    raise LabelError(f"{path}: expected a mapping with 'messages' or 'nlu'")
