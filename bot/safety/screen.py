"""The safety screen: one pure function from a message to a SafetyResult, no Rasa, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.safety.lexicon import Lexicon, Rule, load_lexicon
from bot.safety.patterns import Compiled
from bot.safety.result import RiskLevel, SafetyResult
from common.vietnamese import fold, normalize, squeeze_stretched

_MASK_RE = re.compile(r"\S+")
_DOUBLED_RE = re.compile(r"([a-zđ])\1", re.UNICODE)
_WORD_RE = re.compile(r"\w+", re.UNICODE)

LEXICON: Lexicon = load_lexicon()
normalize("")  # load the teen-code map now, so that no call reads a file


def _mask(match: re.Match[str]) -> str:
    """Replace each word of an idiom by a placeholder, keeping the word count for gaps."""
    return _MASK_RE.sub("_", match.group(0))


def _any(patterns: tuple[Compiled, ...], text: str, words: frozenset[str]) -> bool:
    return any(p.search(text, words) is not None for p in patterns)


def _rule_span(rule: Rule, text: str, words: frozenset[str]) -> int:
    """Length of the rule's longest match (0: no match, or cancelled by context)."""
    spans = [m.end() - m.start() for p in rule.patterns if (m := p.search(text, words))]
    if not spans:
        return 0
    if rule.requires and not _any(rule.requires, text, words):
        return 0
    if rule.unless and _any(rule.unless, text, words):
        return 0
    return max(spans)


def _respell(text: str, spellings: Mapping[str, str]) -> str:
    """Replace the lexicon's extra spellings ("hk", "chít") word by word."""
    if not spellings:
        return text
    return " ".join(spellings.get(w, w) for w in text.split())


def _variants(
    original: str, accented: str, spellings: Mapping[str, str] | None = None
) -> list[tuple[str, frozenset[str]]]:
    """The normalised text, plus copies that differ: doubled letters squeezed ("chett"), and
    words as typed without teen-code expansion (the map turns the real word "roi" into "rồi").
    The lexicon's own extra spellings apply to every copy."""
    spellings = spellings or {}
    accented = _respell(accented, spellings)
    texts = [accented, _DOUBLED_RE.sub(r"\1", accented)]
    raw = " ".join(squeeze_stretched(w) for w in _WORD_RE.findall(original.lower()))
    texts.append(_respell(raw, spellings))
    out: list[tuple[str, frozenset[str]]] = []
    for text in dict.fromkeys(texts):
        if text:
            out.append((text + " ", frozenset(fold(text).split())))
    return out


class _RuleIndex:
    """Which rules can match a message, by its words: each rule is tried only when one of its
    patterns' anchor words is present (or a pattern has no anchor), in lexicon order."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.always: set[int] = set()
        self.by_word: dict[str, set[int]] = {}
        self.by_vocabulary: dict[str, set[int]] = {}
        for i, rule in enumerate(rules):
            for pattern in rule.patterns + rule.unless + rule.requires:
                for word in pattern.vocabulary:
                    self.by_vocabulary.setdefault(word, set()).add(i)
            for pattern in rule.patterns:
                if pattern.anchors is None:
                    self.always.add(i)
                    continue
                for word in pattern.anchors:
                    self.by_word.setdefault(word, set()).add(i)

    def candidates(
        self, words: frozenset[str], changed: frozenset[str] | None = None
    ) -> list[Rule]:
        """The rules worth trying on a message with these (folded) words.

        For a second reading of the same message, `changed` holds the words that differ from the
        first: a rule that uses none of them reads both the same and is not tried again."""
        found = set(self.always)
        for word in words:
            hit = self.by_word.get(word)
            if hit:
                found |= hit
        if changed is not None:
            touched: set[int] = set()
            for word in changed:
                touched |= self.by_vocabulary.get(word, set())
            found &= touched
        return [self.rules[i] for i in sorted(found)]


_INDEXES: dict[int, tuple[Lexicon, _RuleIndex]] = {}


def _index(lex: Lexicon) -> _RuleIndex:
    """The rule index of a lexicon, built once (the lexicon is kept alive beside it)."""
    cached = _INDEXES.get(id(lex))
    if cached is None or cached[0] is not lex:
        cached = (lex, _RuleIndex(lex.rules))
        _INDEXES[id(lex)] = cached
    return cached[1]


def screen(text: str, lexicon: Lexicon | None = None) -> SafetyResult:
    """Screen one message: risk, category, matched rule ids, human request, general question."""
    lex = lexicon or LEXICON
    norm = normalize(text or "")
    if not norm.accented:
        return SafetyResult()
    spans: dict[str, int] = {}
    matched: list[Rule] = []
    request_human = question = disclosure = topic = False
    cues: list[str] = []
    index = _index(lex)
    first: set[str] | None = None
    for body, words in _variants(norm.original, norm.accented, lex.spellings):
        changed: frozenset[str] | None = None
        if first is None:
            first = set(body.split())
        else:
            changed = frozenset(fold(w) for w in set(body.split()) ^ first)
        for _, idiom in lex.idioms:
            if idiom.anchors is None or not idiom.anchors.isdisjoint(words):
                body = idiom.regex.sub(_mask, body)
        for rule in index.candidates(words, changed):
            span = _rule_span(rule, body, words)
            if span:
                if rule.id not in spans:
                    matched.append(rule)
                spans[rule.id] = max(span, spans.get(rule.id, 0))
        request_human = request_human or _any(lex.request_human, body, words)
        question = question or _any(lex.markers, body, words)
        disclosure = disclosure or _any(lex.disclosure, body, words)
        topic = topic or _any(lex.topics, body, words)
        for cue, patterns in lex.cues:
            if cue not in cues and _any(patterns, body, words):
                cues.append(cue)
    if not matched:
        general = question and topic and not disclosure
        ids: tuple[str, ...] = ("request_human",) if request_human else ()
        return SafetyResult(RiskLevel.NONE, None, ids, request_human, general, question,
                            disclosure, tuple(cues))
    top = max(matched, key=lambda r: (r.risk.rank, spans[r.id]))
    general = question and not disclosure and all(r.question_ok for r in matched)
    ids = tuple(r.id for r in matched) + (("request_human",) if request_human else ())
    return SafetyResult(top.risk, top.category, ids, request_human, general, question,
                        disclosure, tuple(cues))
