"""Compile the lexicon's pattern language into regexes over normalised text, with anchor words.

A compiled pattern runs on `normalized.accented + " "`. Every word of a pattern is tolerant of
missing diacritics ("đánh" matches "danh", not "dành"), so one regex covers accented, unaccented
and half-accented typing. Anchor words (folded) let the screen skip a pattern cheaply when none of
them is in the message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from common.vietnamese import fold

_TOKEN_RE = re.compile(
    r"\{\w+\}|~\d*|![^\s(){}|?~!^$]+|=[^\s(){}|?~!^$=]+|\\[dw][+*]?|[()|?^$]|[^\s(){}|?~!^$\\=]+"
)
_COMMON = frozenset(
    {"em", "toi", "to", "minh", "tui", "con", "chau", "be", "nguoi", "co", "anh", "ba"}
    | {"bi", "di", "o", "khong", "la", "cho", "voi", "thi", "va", "roi", "ve", "lam", "an", "hay"}
    | {"cung", "da", "dang", "se", "mot", "qua", "lai", "nay", "ma", "nha", "me", "bo", "ai"}
)


class PatternError(ValueError):
    """A pattern of the lexicon cannot be compiled; the message says why."""


@dataclass(frozen=True)
class Compiled:
    """One pattern: its source, its regex and the folded words one of which must be present."""

    source: str
    regex: re.Pattern[str]
    anchors: frozenset[str] | None
    vocabulary: frozenset[str] = frozenset()

    def search(self, text: str, words: frozenset[str]) -> re.Match[str] | None:
        """Find the pattern in `text` (accented, space-terminated) if its anchors allow it."""
        if self.anchors is not None and self.anchors.isdisjoint(words):
            return None
        return self.regex.search(text)


def tolerant_word(word: str) -> str:
    """A regex for one lower-case word: as written, or typed with no diacritics at all.

    Whole-word folding only: "đánh" matches "đánh" and "danh", never "dành" or "đanh", so a
    child who typed accents is taken at their word. A word written "=tướng" matches only as
    written: its unaccented form ("tuong") is also another word ("tường", a wall).
    """
    word = unicodedata.normalize("NFC", word.lower())
    if word.startswith("="):
        return re.escape(word[1:])
    folded = fold(word)
    if folded == word:
        return re.escape(word)
    return f"(?:{re.escape(word)}|{re.escape(folded)})"


class _Parser:
    """Recursive-descent parser turning pattern tokens into (regex, anchor set)."""

    def __init__(self, source: str, lists: Mapping[str, Sequence[str]], gap: int) -> None:
        self.source = source
        self.lists = lists
        self.gap = gap
        self.tokens = _TOKEN_RE.findall(source)
        self.vocabulary: set[str] = set()
        leftover = _TOKEN_RE.sub("", source).strip()
        if leftover:
            raise PatternError(f"cannot read {leftover!r} in pattern {source!r}")
        self.pos = 0

    def parse(self) -> tuple[str, frozenset[str] | None]:
        """Parse the whole pattern."""
        regex, anchors = self._alternatives()
        if self.pos != len(self.tokens):
            raise PatternError(f"unbalanced ')' in pattern {self.source!r}")
        if not regex:
            raise PatternError("empty pattern")
        return regex, anchors

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _alternatives(self) -> tuple[str, frozenset[str] | None]:
        branches = [self._sequence()]
        while self._peek() == "|":
            self.pos += 1
            branches.append(self._sequence())
        if len(branches) == 1:
            return branches[0]
        anchor_sets = [a for _, a in branches]
        union: frozenset[str] | None = None
        if all(a is not None for a in anchor_sets):
            union = frozenset().union(*(a for a in anchor_sets if a is not None))
        return "(?:" + "|".join(r for r, _ in branches) + ")", union

    def _sequence(self) -> tuple[str, frozenset[str] | None]:
        parts: list[str] = []
        best: frozenset[str] | None = None
        while (token := self._peek()) is not None and token not in ("|", ")"):
            self.pos += 1
            regex, anchors = self._atom(token)
            if self._peek() == "?":
                if token in ("^", "$") or token[0] in "~!":
                    raise PatternError(f"{token!r} cannot be optional in pattern {self.source!r}")
                self.pos += 1
                regex, anchors = f"(?:{regex})?", None
            parts.append(regex)
            if anchors is not None and (best is None or _score(anchors) < _score(best)):
                best = anchors
        return "".join(parts), best

    def _atom(self, token: str) -> tuple[str, frozenset[str] | None]:
        if token == "(":
            regex, anchors = self._alternatives()
            if self._peek() != ")":
                raise PatternError(f"missing ')' in pattern {self.source!r}")
            self.pos += 1
            return f"(?:{regex})", anchors
        if token in (")", "|", "?"):
            raise PatternError(f"misplaced {token!r} in pattern {self.source!r}")
        if token == "^":
            return "^", None
        if token == "$":
            return "$", None
        if token.startswith("~"):
            count = int(token[1:]) if len(token) > 1 else self.gap
            return f"(?:\\S+ ){{0,{count}}}", None
        if token.startswith("!"):
            self.vocabulary.add(fold(token[1:].lower().lstrip("=")))
            return f"(?<!{tolerant_word(token[1:])} )", None
        if token.startswith("\\"):
            return f"(?:{token} )", None
        if token.startswith("{"):
            return self._list(token[1:-1])
        word = fold(token.lower().lstrip("="))
        self.vocabulary.add(word)
        return f"(?:{tolerant_word(token)} )", frozenset({word})

    def _list(self, name: str) -> tuple[str, frozenset[str] | None]:
        if name not in self.lists:
            raise PatternError(f"unknown list {{{name}}} in pattern {self.source!r}")
        entries = sorted({e.strip().lower() for e in self.lists[name]}, key=len, reverse=True)
        self.vocabulary.update(fold(w.lstrip("=")) for e in entries for w in e.split())
        alts = ["".join(f"{_list_word(w)} " for w in entry.split()) for entry in entries]
        firsts = [entry.split()[0] for entry in entries]
        if any(w.startswith("\\") for w in firsts):
            return "(?:" + "|".join(alts) + ")", None
        anchors = frozenset(fold(w.lstrip("=")) for w in firsts)
        return "(?:" + "|".join(alts) + ")", anchors


def _list_word(word: str) -> str:
    """One word of a list entry: a tolerant word, or a number ("\\d+", "\\d+h") as a regex."""
    if word.startswith("\\d+"):
        return r"\d+" + re.escape(word[3:])
    return tolerant_word(word)


def _score(anchors: frozenset[str]) -> int:
    """Prefer rare, small anchor sets: sets with very common words are poor filters."""
    return len(anchors) + (1000 if anchors & _COMMON else 0)


def compile_pattern(source: str, lists: Mapping[str, Sequence[str]], gap: int) -> Compiled:
    """Compile one lexicon pattern; raise PatternError with the reason when it is malformed."""
    parser = _Parser(source, lists, gap)
    regex, anchors = parser.parse()
    try:
        compiled = re.compile(r"(?<!\S)" + regex)
    except re.error as exc:
        raise PatternError(f"pattern {source!r} is not a valid expression: {exc}") from exc
    return Compiled(source, compiled, anchors, frozenset(parser.vocabulary))
