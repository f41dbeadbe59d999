"""Shared helpers for the actions: message texts, buttons and entity reading."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import yaml
from rasa_sdk import Tracker

from common.content import load_messages
from common.vietnamese import fold

Button = Dict[Text, Text]

MENU_BUTTONS: List[Button] = [
    {"title": "📚 Học bài", "payload": "/start_lesson"},
    {"title": "❓ Đố vui", "payload": "/start_quiz"},
    {"title": "👪 Hỏi đáp cho bố mẹ", "payload": "/faq_menu"},
    {"title": "☎️ Số điện thoại giúp đỡ", "payload": "/ask_hotline"},
    {"title": "⚖️ Quyền trẻ em", "payload": "/ask_rights"},
    {"title": "🙋 Nói chuyện với người thật", "payload": "/request_human"},
]
MENU_BUTTON: Button = {"title": "🏠 Menu", "payload": "/show_menu"}
HOTLINE_REMINDER = "Cần giúp ngay: gọi 111 (miễn phí, 24/7)."


def text(key: str, default: str) -> str:
    """A text from content/messages.yml, or the default when the key is missing."""
    try:
        value = load_messages().get(key)
    except Exception:  # content errors are caught by the content tests, never mid-chat
        value = None
    return value if isinstance(value, str) and value.strip() else default


def entity(tracker: Tracker, name: str) -> Optional[str]:
    """The value of an entity in the latest user message, if any."""
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value).strip() if value is not None and str(value).strip() else None


def latest_text(tracker: Tracker) -> str:
    """The latest user message text."""
    return str((tracker.latest_message or {}).get("text") or "")


def as_int(value: Any, default: int = 0) -> int:
    """A slot value as an int."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


_AGE_RE = re.compile(r"(\d{1,2})\s*(?:t\b|tuổi|tuoi)", re.IGNORECASE)
_GRADE_RE = re.compile(r"(?:lớp|lop)\s*(\d{1,2})", re.IGNORECASE)


def age_band_from(value: Optional[str], message: str = "") -> Optional[str]:
    """Map an age_band entity value (or ages/grades in the text) to "6-10" or "11-15"."""
    if value in ("6-10", "11-15"):
        return value
    for source in (value or "", message):
        age = _AGE_RE.search(source)
        grade = _GRADE_RE.search(source)
        if age:
            years = int(age.group(1))
        elif grade:
            years = int(grade.group(1)) + 5
        else:
            continue
        return "6-10" if years <= 10 else "11-15"
    return None


SYNONYMS_FILE = Path(__file__).resolve().parent.parent / "nlu_data" / "synonyms.yml"


@lru_cache(maxsize=1)
def _topic_surfaces() -> List[Tuple[str, str]]:
    """(folded surface form, topic) pairs from the NLU synonyms, longest first."""
    from common.content import TOPICS

    pairs: List[Tuple[str, str]] = [(fold(t.replace("_", " ")), t) for t in TOPICS]
    try:
        data = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        data = {}
    for item in data.get("nlu") or []:
        if isinstance(item, dict) and item.get("synonym") in TOPICS:
            for line in str(item.get("examples") or "").splitlines():
                surface = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
                if surface:
                    pairs.append((fold(surface.lower()), str(item["synonym"])))
    return sorted(pairs, key=lambda p: -len(p[0]))


def topic_from(value: Optional[str], message: str = "") -> Optional[str]:
    """A lesson topic from the topic entity, or from a known topic phrase in the text."""
    from common.content import TOPICS

    if value in TOPICS:
        return value
    for source in (value or "", message):
        folded = " " + " ".join(re.findall(r"\w+", fold(source.lower()))) + " "
        for surface, topic in _topic_surfaces():
            if f" {surface} " in folded:
                return topic
    return None
