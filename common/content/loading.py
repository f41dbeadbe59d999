"""Loading each content file into validated, cached, frozen dataclasses."""

from __future__ import annotations

import re
from functools import lru_cache
from types import MappingProxyType
from typing import Dict, List, Mapping, Optional, Tuple

from common.content.checks import ID_RE, Entry, entries, unique, where_of
from common.content.reading import PathLike, content_dir_of, label, read
from common.content.schema import (
    CheckQuestion,
    ContentError,
    FaqEntry,
    Hotline,
    Lesson,
    LessonStep,
    QuizQuestion,
)
from common.content.taxonomy import AGE_BANDS, FAQ_CATEGORIES, QUIZ_AGE_BANDS, TOPICS

_DIGITS_RE = re.compile(r"^[0-9]+$")
_CHECK_FIELDS = {"question", "options", "answer", "explanation"}


def _lesson(e: Entry) -> Lesson:
    """One lesson entry, checked."""
    steps_raw = e.raw["steps"]
    if not isinstance(steps_raw, list) or not 2 <= len(steps_raw) <= 6:
        e.fail("'steps' must be a list of 2 to 6 steps")
    steps: List[LessonStep] = []
    for j, step in enumerate(steps_raw):
        if not isinstance(step, dict) or set(step) != {"text"}:
            e.fail(f"'steps[{j}]' must have exactly the field text")
        steps.append(LessonStep(text=e.text("", step["text"], f"steps[{j}].text")))
    check_raw = e.raw["check"]
    if not isinstance(check_raw, dict) or set(check_raw) != _CHECK_FIELDS:
        e.fail("'check' must have exactly the fields question, options, answer, explanation")
    options, answer = e.options(check_raw["options"], check_raw["answer"], "check.")
    check = CheckQuestion(
        question=e.text("", check_raw["question"], "check.question"),
        options=options,
        answer=answer,
        explanation=e.text("", check_raw["explanation"], "check.explanation"),
    )
    return Lesson(
        id=e.ident("id"),
        topic=e.choice("topic", TOPICS),
        age_band=e.choice("age_band", AGE_BANDS),
        title=e.text("title"),
        steps=tuple(steps),
        check=check,
    )


@lru_cache(maxsize=8)
def _lessons(content_dir: str) -> Tuple[Lesson, ...]:
    name = label(content_dir, "lessons.yml")
    raw = entries(name, "lessons", read(content_dir, "lessons.yml", "lessons"))
    fields = ("id", "topic", "age_band", "title", "steps", "check")
    lessons = [
        _lesson(Entry(where_of(name, "lessons", i, item, "id"), item, fields))
        for i, item in enumerate(raw)
    ]
    unique(name, "id", [(f"lessons[{i}]", x.id) for i, x in enumerate(lessons)])
    unique(
        name,
        "topic and age band",
        [(f"lessons[{i}] (id={x.id})", f"{x.topic} {x.age_band}") for i, x in enumerate(lessons)],
    )
    return tuple(lessons)


def _question(e: Entry) -> QuizQuestion:
    """One quiz question entry, checked."""
    options, answer = e.options(e.raw["options"], e.raw["answer"])
    return QuizQuestion(
        id=e.ident("id"),
        topic=e.choice("topic", TOPICS),
        age_band=e.choice("age_band", QUIZ_AGE_BANDS),
        question=e.text("question"),
        options=options,
        answer=answer,
        explanation=e.text("explanation"),
    )


@lru_cache(maxsize=8)
def _quiz(content_dir: str) -> Tuple[QuizQuestion, ...]:
    name = label(content_dir, "quiz.yml")
    raw = entries(name, "questions", read(content_dir, "quiz.yml", "questions"))
    fields = ("id", "topic", "age_band", "question", "options", "answer", "explanation")
    questions = [
        _question(Entry(where_of(name, "questions", i, item, "id"), item, fields))
        for i, item in enumerate(raw)
    ]
    unique(name, "id", [(f"questions[{i}]", q.id) for i, q in enumerate(questions)])
    return tuple(questions)


def _faq_entry(e: Entry) -> FaqEntry:
    """One FAQ entry, checked."""
    return FaqEntry(
        key=e.ident("key"),
        category=e.choice("category", FAQ_CATEGORIES),
        question=e.text("question"),
        answer=e.text("answer"),
        source=e.text("source"),
    )


@lru_cache(maxsize=8)
def _faq(content_dir: str) -> Tuple[FaqEntry, ...]:
    name = label(content_dir, "faq.yml")
    raw = entries(name, "faqs", read(content_dir, "faq.yml", "faqs"))
    fields = ("key", "category", "question", "answer", "source")
    faqs = [
        _faq_entry(Entry(where_of(name, "faqs", i, item, "key"), item, fields))
        for i, item in enumerate(raw)
    ]
    unique(name, "key", [(f"faqs[{i}]", f.key) for i, f in enumerate(faqs)])
    return tuple(faqs)


def _hotline(e: Entry) -> Hotline:
    """One hotline entry, checked (the number is digits only)."""
    number = e.raw["number"]
    if isinstance(number, int) and not isinstance(number, bool):
        number = str(number)
    if not isinstance(number, str) or not _DIGITS_RE.match(number):
        e.fail(f"'number' must be digits only (no spaces or dashes), got {number!r}")
    if not isinstance(e.raw["free"], bool):
        e.fail(f"'free' must be true or false, got {e.raw['free']!r}")
    return Hotline(
        number=str(number),
        name=e.text("name"),
        free=bool(e.raw["free"]),
        hours=e.text("hours"),
        description=e.text("description"),
        how_to_call=e.text("how_to_call"),
        when=e.text("when"),
    )


@lru_cache(maxsize=8)
def _hotlines(content_dir: str) -> Tuple[Hotline, ...]:
    name = label(content_dir, "hotlines.yml")
    raw = entries(name, "hotlines", read(content_dir, "hotlines.yml", "hotlines"))
    fields = ("number", "name", "free", "hours", "description", "how_to_call", "when")
    lines = [
        _hotline(Entry(where_of(name, "hotlines", i, item, "number"), item, fields))
        for i, item in enumerate(raw)
    ]
    unique(name, "number", [(f"hotlines[{i}]", h.number) for i, h in enumerate(lines)])
    return tuple(lines)


@lru_cache(maxsize=8)
def _messages(content_dir: str) -> Mapping[str, str]:
    name = label(content_dir, "messages.yml")
    raw = read(content_dir, "messages.yml", "messages")
    if not isinstance(raw, dict) or not raw:
        raise ContentError(f"{name}: 'messages' must be a non-empty mapping of key: text")
    result: Dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not ID_RE.match(key):
            raise ContentError(f"{name}: messages key {key!r} must be snake_case ASCII")
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{name}: messages.{key}: must be non-empty text")
        result[key] = value.strip()
    return MappingProxyType(result)


def load_lessons(content_dir: Optional[PathLike] = None) -> Tuple[Lesson, ...]:
    """Return every lesson from lessons.yml, validated."""
    return _lessons(content_dir_of(content_dir))


def load_quiz(content_dir: Optional[PathLike] = None) -> Tuple[QuizQuestion, ...]:
    """Return every quiz question from quiz.yml, validated."""
    return _quiz(content_dir_of(content_dir))


def load_faq(content_dir: Optional[PathLike] = None) -> Tuple[FaqEntry, ...]:
    """Return every parents' FAQ entry from faq.yml, validated."""
    return _faq(content_dir_of(content_dir))


def load_hotlines(content_dir: Optional[PathLike] = None) -> Tuple[Hotline, ...]:
    """Return every hotline from hotlines.yml, validated."""
    return _hotlines(content_dir_of(content_dir))


def load_messages(content_dir: Optional[PathLike] = None) -> Mapping[str, str]:
    """Return the read-only mapping of message key to text from messages.yml."""
    return _messages(content_dir_of(content_dir))


def clear_cache() -> None:
    """Forget every loaded file, so the next call reads the disk again."""
    for fn in (_lessons, _quiz, _faq, _hotlines, _messages):
        fn.cache_clear()
