"""Vietnamese text normalisation shared by the Rasa tokenizer (Python 3.10) and the gateway (3.11+).

Standard library and PyYAML only, so both environments can import it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

import yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
TEENCODE_FILE = CONTENT_DIR / "teencode.yml"

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_STRETCH_RE = re.compile(r"(\w)\1{2,}", re.UNICODE)


def fold_char(char: str) -> str:
    """Return one character without its Vietnamese diacritics (đ becomes d)."""
    if char in "đĐ":
        return "d" if char == "đ" else "D"
    base = unicodedata.normalize("NFD", char)[0]
    return base


def fold(text: str) -> str:
    """Strip diacritics character by character, keeping the length of NFC text."""
    return "".join(fold_char(c) if ord(c) > 127 else c for c in text)


def has_diacritics(text: str) -> bool:
    """Tell whether the text carries any Vietnamese diacritic."""
    return fold(text) != text


def clean(text: str) -> str:
    """NFC-compose, drop zero-width characters and squeeze runs of whitespace."""
    text = unicodedata.normalize("NFC", text).translate(ZERO_WIDTH)
    return " ".join(text.split())


def squeeze_stretched(text: str) -> str:
    """Shorten letters stretched for emphasis ("sợợợ" becomes "sợ", "điiii" becomes "đi")."""
    return _STRETCH_RE.sub(r"\1", text)


@lru_cache(maxsize=1)
def teencode_map(path: Optional[str] = None) -> Dict[str, str]:
    """Load the curated teen-code map, keyed by token exactly as listed (accents matter)."""
    raw = yaml.safe_load(Path(path or TEENCODE_FILE).read_text(encoding="utf-8")) or {}
    mapping: Dict[str, str] = {}
    for key, value in (raw.get("teencode") or {}).items():
        key_text = unicodedata.normalize("NFC", str(key)).lower()
        value_text = unicodedata.normalize("NFC", str(value)).lower()
        mapping[key_text] = value_text
    return mapping


def expand_token(token: str) -> str:
    """Expand one lower-case token if it is a known teen-code abbreviation."""
    return teencode_map().get(token, token)


@dataclass(frozen=True)
class Token:
    """A word of the original text with its offsets and its normalised forms."""

    text: str
    start: int
    end: int
    normalized: str
    folded: str


def tokenize(text: str) -> List[Token]:
    """Split NFC text into word tokens with offsets, expanded teen code and a folded form."""
    tokens: List[Token] = []
    for match in _WORD_RE.finditer(text):
        word = match.group(0)
        normalized = expand_token(squeeze_stretched(word.lower()))
        tokens.append(Token(word, match.start(), match.end(), normalized, fold(normalized)))
    return tokens


@dataclass(frozen=True)
class Normalized:
    """A message normalised for matching: accented and unaccented forms of the same words."""

    original: str
    accented: str
    folded: str
    had_diacritics: bool


@lru_cache(maxsize=512)
def normalize(text: str) -> Normalized:
    """Normalise a message: NFC, zero-width, lower case, stretched letters, teen code, folding.

    Cached: one message is normalised once, however many readers (screen, embedding, n-grams,
    speaker, quiz-answer check) ask for it."""
    cleaned = clean(text)
    words = [t.normalized for t in tokenize(cleaned)]
    accented = " ".join(words)
    return Normalized(cleaned, accented, fold(accented), has_diacritics(cleaned))
