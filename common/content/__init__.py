"""The bot's content files (lessons, quiz, FAQ, hotlines, messages): one module per job.

- ``taxonomy``: lesson topics, age bands, FAQ categories and their titles;
- ``schema``: the frozen dataclasses each file becomes, and ``ContentError``;
- ``reading``: YAML that refuses duplicate keys, errors naming the file;
- ``checks``: field checks naming the entry, e.g.
  ``content/lessons.yml: lessons[3] (id=bullying_6_10): 'check.answer' must be one of ...``;
- ``loading``: each file loaded, validated and cached;
- ``queries``: a lesson for a topic and age, a quiz pool, a FAQ entry, a text in a child's or
  a parent's voice;
- ``validation``: everything validated at once, a summary, ``python -m common.content``.

Standard library and PyYAML only, so the Rasa actions (Python 3.10) and the gateway (3.11+)
share it. Callers import from the package: ``from common.content import load_faq``.
"""

from common.content.loading import (
    clear_cache,
    load_faq,
    load_hotlines,
    load_lessons,
    load_messages,
    load_quiz,
)
from common.content.queries import (
    bot_text,
    faq_by_category,
    faq_by_key,
    hotline,
    lesson_by_id,
    lesson_for,
    lessons_by_topic,
    quiz_by_id,
    quiz_questions,
    voiced,
)
from common.content.reading import CONTENT_DIR, PathLike
from common.content.schema import (
    CheckQuestion,
    ContentError,
    FaqEntry,
    Hotline,
    Lesson,
    LessonStep,
    Option,
    QuizQuestion,
)
from common.content.taxonomy import (
    AGE_BANDS,
    FAQ_CATEGORIES,
    FAQ_CATEGORY_LESSON,
    FAQ_CATEGORY_TITLES,
    QUIZ_AGE_BANDS,
    TOPIC_TITLES,
    TOPICS,
)
from common.content.validation import main, summary, validate_all

__all__ = [
    "AGE_BANDS",
    "CONTENT_DIR",
    "FAQ_CATEGORIES",
    "FAQ_CATEGORY_LESSON",
    "FAQ_CATEGORY_TITLES",
    "QUIZ_AGE_BANDS",
    "TOPICS",
    "TOPIC_TITLES",
    "CheckQuestion",
    "ContentError",
    "FaqEntry",
    "Hotline",
    "Lesson",
    "LessonStep",
    "Option",
    "PathLike",
    "QuizQuestion",
    "clear_cache",
    "faq_by_category",
    "faq_by_key",
    "hotline",
    "lesson_by_id",
    "lesson_for",
    "lessons_by_topic",
    "load_faq",
    "load_hotlines",
    "load_lessons",
    "load_messages",
    "load_quiz",
    "main",
    "bot_text",
    "quiz_by_id",
    "quiz_questions",
    "summary",
    "validate_all",
    "voiced",
]
