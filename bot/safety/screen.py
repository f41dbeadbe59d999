"""The safety screen: one pure function from a message to a SafetyResult, no Rasa, no I/O."""

from __future__ import annotations

import re

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


def _variants(original: str, accented: str) -> list[tuple[str, frozenset[str]]]:
    """The normalised text, plus copies that differ: doubled letters squeezed ("chett"), and
    words as typed without teen-code expansion (the map turns the real word "roi" into "rồi")."""
    texts = [accented, _DOUBLED_RE.sub(r"\1", accented)]
    texts.append(" ".join(squeeze_stretched(w) for w in _WORD_RE.findall(original.lower())))
    out: list[tuple[str, frozenset[str]]] = []
    for text in dict.fromkeys(texts):
        if text:
            out.append((text + " ", frozenset(fold(text).split())))
    return out


def screen(text: str, lexicon: Lexicon | None = None) -> SafetyResult:
    """Screen one message: risk, category, matched rule ids, human request, general question."""
    lex = lexicon or LEXICON
    norm = normalize(text or "")
    if not norm.accented:
        return SafetyResult()
    spans: dict[str, int] = {}
    matched: list[Rule] = []
    request_human = question = disclosure = topic = False
    for body, words in _variants(norm.original, norm.accented):
        for _, idiom in lex.idioms:
            if idiom.anchors is None or not idiom.anchors.isdisjoint(words):
                body = idiom.regex.sub(_mask, body)
        for rule in lex.rules:
            span = _rule_span(rule, body, words)
            if span:
                if rule.id not in spans:
                    matched.append(rule)
                spans[rule.id] = max(span, spans.get(rule.id, 0))
        request_human = request_human or _any(lex.request_human, body, words)
        question = question or _any(lex.markers, body, words)
        disclosure = disclosure or _any(lex.disclosure, body, words)
        topic = topic or _any(lex.topics, body, words)
    if not matched:
        general = question and topic and not disclosure
        ids: tuple[str, ...] = ("request_human",) if request_human else ()
        return SafetyResult(RiskLevel.NONE, None, ids, request_human, general)
    top = max(matched, key=lambda r: (r.risk.rank, spans[r.id]))
    general = question and not disclosure and all(r.question_ok for r in matched)
    ids = tuple(r.id for r in matched) + (("request_human",) if request_human else ())
    return SafetyResult(top.risk, top.category, ids, request_human, general)
