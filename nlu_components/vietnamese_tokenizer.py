"""Vietnamese tokenizer for Rasa 3.6: folds diacritics, expands teen code, keeps original offsets.

Each token indexes the ORIGINAL message text (start/end), while its text (used for features) is
the lower-cased, tone-normalised, teen-code-expanded and accent-folded form. Input that carries
diacritics is word-segmented with underthesea (compounds joined with "_"); unaccented input is
left as plain word tokens, because segmentation turns unaccented text into nonsense compounds.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from common.vietnamese import expand_token, fold, has_diacritics, squeeze_stretched

logger = logging.getLogger(__name__)

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
# A word: letters/digits, combining marks (decomposed input) and invisible joiners inside it.
_WORD_RE = re.compile(r"[\w\u0300-\u036f" + _INVISIBLE + r"]+", re.UNICODE)
_DROP = dict.fromkeys(map(ord, _INVISIBLE), None)
MAX_SEGMENT_CHARS = 1000
MAX_WORD_CHARS = 40


def _normalise_word(raw: str) -> str:
    """NFC, invisible characters out, lower case, stretched letters squeezed, tone marks fixed."""
    word = unicodedata.normalize("NFC", raw).translate(_DROP).lower()
    word = squeeze_stretched(word)
    if word and len(word) <= MAX_WORD_CHARS and has_diacritics(word):
        word = _text_normalize(word)
    return word


def _text_normalize(word: str) -> str:
    """underthesea's tone-mark placement fix on one word; unchanged if it splits the word."""
    try:
        from underthesea import text_normalize

        fixed = text_normalize(word).strip()
    except Exception:  # pragma: no cover - underthesea failing must never break NLU
        return word
    return fixed if fixed and " " not in fixed else word


def _segment(words: List[str]) -> Optional[List[List[str]]]:
    """Run underthesea word segmentation over space-joined words; None if it fails."""
    try:
        from underthesea import word_tokenize

        compounds = word_tokenize(" ".join(words))
    except Exception:  # pragma: no cover
        logger.debug("word segmentation failed", exc_info=True)
        return None
    return [c.split() for c in compounds if c.strip()]


class _Unit:
    """One original word span with its expanded sub-words."""

    __slots__ = ("start", "end", "subwords")

    def __init__(self, start: int, end: int, subwords: List[str]) -> None:
        self.start = start
        self.end = end
        self.subwords = subwords


def _units(text: str) -> List[_Unit]:
    """Find the words of the original text and their normalised, teen-code-expanded forms."""
    units: List[_Unit] = []
    for match in _WORD_RE.finditer(text):
        word = _normalise_word(match.group(0))
        if not word:
            continue
        expanded = expand_token(word)
        units.append(_Unit(match.start(), match.end(), expanded.split() or [word]))
    return units


def _groups(units: List[_Unit], segment: bool) -> List[List[int]]:
    """Group unit indices into compounds following word segmentation (when asked)."""
    single = [[i] for i in range(len(units))]
    if not segment or len(units) < 2:
        return single
    flat: List[Tuple[int, str]] = [(i, w) for i, u in enumerate(units) for w in u.subwords]
    if any(len(w) > MAX_WORD_CHARS for _, w in flat):
        return single
    compounds = _segment([w for _, w in flat])
    if compounds is None or sum(len(c) for c in compounds) != len(flat):
        return single
    parent = list(range(len(units)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pos = 0
    for compound in compounds:
        members = [flat[pos + k][0] for k in range(len(compound))]
        if [flat[pos + k][1] for k in range(len(compound))] != compound:
            return single
        for m in members[1:]:
            parent[find(m)] = find(members[0])
        pos += len(compound)
    grouped: Dict[int, List[int]] = {}
    for i in range(len(units)):
        grouped.setdefault(find(i), []).append(i)
    return sorted(grouped.values())


def vietnamese_tokens(text: str) -> List[Token]:
    """Tokenize a message: original offsets, folded and expanded token text."""
    if not text:
        return []
    units = _units(text)
    if not units:
        stripped = text.strip()
        if not stripped:
            return []
        start = text.index(stripped)
        return [Token(fold(stripped.lower()), start, start + len(stripped))]
    segment = len(text) <= MAX_SEGMENT_CHARS and has_diacritics(unicodedata.normalize("NFC", text))
    tokens: List[Token] = []
    for group in _groups(units, segment):
        words = [w for i in group for w in units[i].subwords]
        token_text = fold("_".join(words))
        tokens.append(Token(token_text, units[group[0]].start, units[group[-1]].end))
    return tokens


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class VietnameseTokenizer(Tokenizer):
    """Tokenizer for Vietnamese typed with or without diacritics, and in teen code."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        """Vietnamese only."""
        return ["vi"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        """Creates a new component."""
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenize one attribute of a message."""
        text = message.get(attribute) or ""
        tokens = vietnamese_tokens(text)
        if not tokens:
            # Rasa's featurizers expect at least one token, like its WhitespaceTokenizer gives.
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
