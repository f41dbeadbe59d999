"""Questions asked of the loaded content: a lesson for a topic and age, a FAQ entry, a text."""

from __future__ import annotations

import re
from typing import Any, Optional, Tuple

from common.content.loading import (
    load_faq,
    load_hotlines,
    load_lessons,
    load_messages,
    load_quiz,
)
from common.content.reading import PathLike
from common.content.schema import FaqEntry, Hotline, Lesson, QuizQuestion


def lesson_by_id(lesson_id: str, content_dir: Optional[PathLike] = None) -> Optional[Lesson]:
    """Return the lesson with this id, or None."""
    return next((x for x in load_lessons(content_dir) if x.id == lesson_id), None)


def lessons_by_topic(
    topic: str, age_band: Optional[str] = None, content_dir: Optional[PathLike] = None
) -> Tuple[Lesson, ...]:
    """Return the lessons of a topic, for one age band if given."""
    return tuple(
        x
        for x in load_lessons(content_dir)
        if x.topic == topic and (age_band is None or x.age_band == age_band)
    )


def lesson_for(
    topic: str, age_band: Optional[str] = None, content_dir: Optional[PathLike] = None
) -> Optional[Lesson]:
    """Return the lesson for a topic and age band, falling back to any band of that topic."""
    return next(iter(lessons_by_topic(topic, age_band, content_dir)), None) or next(
        iter(lessons_by_topic(topic, None, content_dir)), None
    )


def quiz_questions(
    topic: Optional[str] = None,
    age_band: Optional[str] = None,
    content_dir: Optional[PathLike] = None,
) -> Tuple[QuizQuestion, ...]:
    """Return quiz questions, filtered by topic and age band (questions for "all" always match)."""
    return tuple(
        q
        for q in load_quiz(content_dir)
        if (topic is None or q.topic == topic)
        and (age_band is None or q.age_band in (age_band, "all"))
    )


def quiz_by_id(question_id: str, content_dir: Optional[PathLike] = None) -> Optional[QuizQuestion]:
    """Return the quiz question with this id, or None."""
    return next((q for q in load_quiz(content_dir) if q.id == question_id), None)


def faq_by_key(key: str, content_dir: Optional[PathLike] = None) -> Optional[FaqEntry]:
    """Return the FAQ entry with this key (with or without the ``faq/`` prefix), or None."""
    key = key[len("faq/") :] if key.startswith("faq/") else key
    return next((f for f in load_faq(content_dir) if f.key == key), None)


def faq_by_category(category: str, content_dir: Optional[PathLike] = None) -> Tuple[FaqEntry, ...]:
    """Return the FAQ entries of one category, in file order."""
    return tuple(f for f in load_faq(content_dir) if f.category == category)


def hotline(number: str, content_dir: Optional[PathLike] = None) -> Optional[Hotline]:
    """Return the hotline with this number (spaces and dashes ignored), or None."""
    digits = re.sub(r"\D", "", number)
    return next((h for h in load_hotlines(content_dir) if h.number == digits), None)


def bot_text(key: str, content_dir: Optional[PathLike] = None, **fields: Any) -> str:
    """The bot's text `key` from content/messages.yml, with ``{name}`` fields filled in."""
    text = load_messages(content_dir)[key]
    return text.format(**fields) if fields else text


def voiced(
    key: str, audience: str, content_dir: Optional[PathLike] = None, **fields: Any
) -> str:
    """The text `key` in the audience's voice: ``<key>_parent`` for a parent, else the child's
    (``<key>_child`` or ``<key>``), with ``{name}`` fields filled in."""
    texts = load_messages(content_dir)
    candidates = ([f"{key}_parent"] if audience == "parent" else []) + [f"{key}_child", key]
    found = next((k for k in candidates if k in texts), None)
    if found is None:
        raise KeyError(key)
    return bot_text(found, content_dir, **fields)
