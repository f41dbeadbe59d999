"""The content's shapes: frozen dataclasses for lessons, quiz questions, FAQ entries, hotlines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple


class ContentError(Exception):
    """A content file is missing or breaks its schema; the message names the file and the entry."""


@dataclass(frozen=True)
class Option:
    """One answer option of a check or quiz question."""

    key: str
    text: str


class _MultipleChoice:
    """Answer checking shared by lesson check questions and quiz questions."""

    options: Tuple[Option, ...]
    answer: str

    def option(self, key: str) -> Optional[Option]:
        """Return the option with this key, or None."""
        return next((o for o in self.options if o.key == key), None)

    def is_correct(self, key: str) -> bool:
        """Tell whether the key is the right answer (case-insensitive)."""
        return key.strip().lower() == self.answer


@dataclass(frozen=True)
class CheckQuestion(_MultipleChoice):
    """The question that closes a lesson."""

    question: str
    options: Tuple[Option, ...]
    answer: str
    explanation: str


@dataclass(frozen=True)
class LessonStep:
    """One short step of a lesson."""

    text: str


@dataclass(frozen=True)
class Lesson:
    """A lesson for one topic and one age band."""

    id: str
    topic: str
    age_band: str
    title: str
    steps: Tuple[LessonStep, ...]
    check: CheckQuestion


@dataclass(frozen=True)
class QuizQuestion(_MultipleChoice):
    """One quiz question with the reason behind its answer."""

    id: str
    topic: str
    age_band: str
    question: str
    options: Tuple[Option, ...]
    answer: str
    explanation: str


@dataclass(frozen=True)
class FaqEntry:
    """A parents' question with its answer and source; `key` is the retrieval sub-intent."""

    key: str
    category: str
    question: str
    answer: str
    source: str

    @property
    def intent(self) -> str:
        """The Rasa retrieval intent name, e.g. ``faq/what_is_111``."""
        return f"faq/{self.key}"


@dataclass(frozen=True)
class Hotline:
    """A phone line the bot tells people about."""

    number: str
    name: str
    free: bool
    hours: str
    description: str
    how_to_call: str
    when: str
