"""Reading a message for the actions: a child's age (or school grade) and a lesson topic."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Tuple

import yaml

from common.content import AGE_BANDS, TOPICS
from common.vietnamese import fold

_NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9,
    "muoi": 10, "muoi mot": 11, "muoi hai": 12, "muoi ba": 13, "muoi bon": 14, "muoi lam": 15,
    "muoi nam": 15, "muoi sau": 16, "muoi bay": 17,
}
_NUMBER = r"(\d{1,2}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_BAND_RE = re.compile(r"\b(\d{1,2})\s*(?:-|den|toi)\s*(\d{1,2})\s*(?:t|tuoi)\b")
# "8 tuổi", "12t", "mười ba tuổi" (a number word only before "tuổi": "ba t" is "bố tao").
_AGE_RE = re.compile(r"\b(\d{1,2})\s*(?:t|tuoi)\b|\b" + _NUMBER + r"\s*tuoi\b")
_GRADE_RE = re.compile(r"\blop\s*" + _NUMBER + r"\b")
SYNONYMS_FILE = Path(__file__).resolve().parent.parent / "nlu_data" / "synonyms.yml"


def _number(word: str) -> int:
    """A number written in digits or in (folded) Vietnamese words."""
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def age_of(message: str) -> Optional[int]:
    """The age a message gives ("8 tuổi", "12t", "mười ba tuổi"; "lớp 3" counts as 8)."""
    folded = " ".join(re.findall(r"\w+|-", fold(message.lower())))
    age = _AGE_RE.search(folded)
    if age:
        return _number(age.group(1) or age.group(2))
    grade = _GRADE_RE.search(folded)
    if grade and 1 <= _number(grade.group(1)) <= 12:
        return _number(grade.group(1)) + 5
    return None


_OPTION_RE = re.compile(r"(?:^|\s)([abcd])(?=\s|$)")
MAX_OPTION_WORDS = 6


def option_from(value: Optional[str], message: str = "") -> str:
    """The answer option (a-d) from the option entity, or the first lone letter of a short
    answer ("đáp án b", "em chọn C ạ": "ạ" is not "a"); empty when there is none."""
    if value and value.strip().lower()[:1] in "abcd":
        return value.strip().lower()[:1]
    words = re.findall(r"\w+", unicodedata.normalize("NFC", message.lower()))
    if not words or len(words) > MAX_OPTION_WORDS:
        return ""
    found = _OPTION_RE.findall(" ".join(words))
    return found[0] if found else ""


def band_of(age: int) -> str:
    """The lesson age band for an age (younger children get the 6–10 lessons)."""
    return "6-10" if age <= 10 else "11-15"


def age_band_from(value: Optional[str], message: str = "") -> Optional[str]:
    """The age band from an age_band or age entity value, or from an age or grade in the text."""
    if value in AGE_BANDS:
        return value
    for source in (value or "", message):
        folded = " ".join(re.findall(r"\w+|-", fold(source.lower())))
        band = _BAND_RE.search(folded)
        if band and f"{band.group(1)}-{band.group(2)}" in AGE_BANDS:
            return f"{band.group(1)}-{band.group(2)}"
        age = age_of(source)
        if age is not None:
            return band_of(age)
    return None


@lru_cache(maxsize=1)
def _topic_surfaces() -> List[Tuple[str, str]]:
    """(folded surface form, topic) pairs from the NLU synonyms, longest first."""
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
    if value in TOPICS:
        return value
    for source in (value or "", message):
        folded = " " + " ".join(re.findall(r"\w+", fold(source.lower()))) + " "
        for surface, topic in _topic_surfaces():
            if f" {surface} " in folded:
                return topic
    return None
