"""Load and validate the bot's content files (lessons, quiz, FAQ, hotlines, messages).

Standard library and PyYAML only, so the Rasa actions (Python 3.10) and the gateway (3.11+)
share it. Every loader returns frozen dataclasses and is cached; bad content raises
`ContentError` naming the file and the entry, e.g.
``content/lessons.yml: lessons[3] (id=bullying_6_10): 'check.answer' must be one of ...``.
Run ``python -m common.content`` to validate everything and print a summary.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import yaml

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

TOPICS: Tuple[str, ...] = (
    "body_safety",
    "safe_touch",
    "secrets",
    "trusted_adults",
    "say_no",
    "online_safety",
    "strangers",
    "bullying",
    "drowning",
    "road_safety",
    "feelings",
    "violence_at_home",
    "online_scams",
    "substances",
    "puberty",
    "child_rights",
)
TOPIC_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "body_safety": "An toàn cơ thể",
        "safe_touch": "Chạm an toàn, chạm không an toàn",
        "secrets": "Bí mật tốt, bí mật xấu",
        "trusted_adults": "Người lớn tin cậy",
        "say_no": "Nói KHÔNG – Chạy đi – Kể lại",
        "online_safety": "An toàn trên mạng",
        "strangers": "Người lạ và dụ dỗ",
        "bullying": "Bắt nạt",
        "drowning": "Phòng đuối nước",
        "road_safety": "An toàn giao thông",
        "feelings": "Cảm xúc và tìm giúp đỡ khi buồn",
        "violence_at_home": "Khi ở nhà không an toàn",
        "online_scams": "Lừa đảo và “bắt cóc online”",
        "substances": "Ma túy, rượu bia, thuốc lá điện tử",
        "puberty": "Cơ thể em lớn lên – Tuổi dậy thì",
        "child_rights": "Quyền trẻ em",
    }
)
AGE_BANDS: Tuple[str, ...] = ("6-10", "11-15")
QUIZ_AGE_BANDS: Tuple[str, ...] = AGE_BANDS + ("all",)
FAQ_CATEGORIES: Tuple[str, ...] = (
    "signs_of_abuse",
    "talking_with_children",
    "body_safety",
    "online_safety",
    "grooming",
    "discipline",
    "law",
    "reporting",
    "hotlines",
    "disclosure",
    "confidentiality",
    "injury_prevention",
    "child_labour",
    "bullying",
    "trafficking",
    "justice",
    "family",
    "mental_health",
    "substances",
    "puberty_sexual_health",
)
FAQ_CATEGORY_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "signs_of_abuse": "Dấu hiệu trẻ bị xâm hại",
        "talking_with_children": "Trò chuyện với con",
        "body_safety": "Dạy con an toàn cơ thể",
        "online_safety": "An toàn trên mạng",
        "grooming": "Dụ dỗ, lừa đảo, tống tiền trên mạng",
        "discipline": "Dạy con không dùng bạo lực",
        "law": "Pháp luật về trẻ em",
        "reporting": "Báo tin, tố giác",
        "hotlines": "Tổng đài, đường dây nóng",
        "disclosure": "Khi con kể chuyện bị xâm hại",
        "confidentiality": "Bảo mật thông tin của trẻ",
        "injury_prevention": "Phòng đuối nước, tai nạn thương tích",
        "child_labour": "Lao động trẻ em",
        "bullying": "Bắt nạt",
        "trafficking": "Mua bán người",
        "justice": "Công an, tòa án và trợ giúp pháp lý",
        "family": "Gia đình, ly hôn và bạo lực gia đình",
        "mental_health": "Sức khỏe tinh thần của con",
        "substances": "Ma túy, rượu bia, thuốc lá điện tử",
        "puberty_sexual_health": "Dậy thì và sức khỏe sinh sản",
    }
)

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTION_KEY_RE = re.compile(r"^[a-d]$")
_DIGITS_RE = re.compile(r"^[0-9]+$")
_MAX_ID_LEN = 40
_FROM_FIELD: Any = object()

PathLike = Union[str, Path]


class ContentError(Exception):
    """A content file is missing or breaks its schema; the message names the file and the entry."""


# --------------------------------------------------------------------------- data classes


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


# --------------------------------------------------------------------------- YAML reading


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of silently keeping the last."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> Dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: Dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def _dir(content_dir: Optional[PathLike]) -> str:
    return str(Path(content_dir).resolve()) if content_dir is not None else str(CONTENT_DIR)


def _label(content_dir: str, filename: str) -> str:
    return f"{Path(content_dir).name}/{filename}"


def _read(content_dir: str, filename: str, top_key: str) -> Any:
    """Read one YAML file and return the value under its top-level key."""
    label = _label(content_dir, filename)
    path = Path(content_dir) / filename
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"{label}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{label}: cannot read file ({exc})") from exc
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ContentError(f"{label}: invalid YAML: {exc.problem or exc}{where}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{label}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or top_key not in data:
        raise ContentError(f"{label}: top-level key '{top_key}' is missing")
    extra = sorted(str(k) for k in data if k != top_key)
    if extra:
        raise ContentError(f"{label}: unexpected top-level key(s): {', '.join(extra)}")
    return data[top_key]


# --------------------------------------------------------------------------- field checks


class _Entry:
    """Field checks for one entry, raising ContentError that names file and entry."""

    def __init__(self, where: str, raw: Any, fields: Sequence[str]) -> None:
        self.where = where
        if not isinstance(raw, dict):
            self.fail(f"must be a mapping with fields {', '.join(fields)}")
        self.raw: Dict[str, Any] = raw
        unknown = sorted(str(k) for k in raw if k not in fields)
        if unknown:
            self.fail(f"unexpected field(s): {', '.join(unknown)}")
        for name in fields:
            if name not in raw:
                self.fail(f"missing '{name}'")

    def fail(self, message: str) -> None:
        """Raise a ContentError for this entry."""
        raise ContentError(f"{self.where}: {message}")

    def text(self, name: str, value: Any = _FROM_FIELD, label: Optional[str] = None) -> str:
        """Return a non-empty string field, with runs of whitespace squeezed."""
        value = self.raw[name] if value is _FROM_FIELD else value
        label = label or name
        if not isinstance(value, str):
            self.fail(f"'{label}' must be text, got {type(value).__name__}")
        stripped = " ".join(value.split())
        if not stripped:
            self.fail(f"'{label}' must not be empty")
        return stripped

    def ident(self, name: str, pattern: "re.Pattern[str]" = _ID_RE) -> str:
        """Return a snake_case ASCII identifier field."""
        value = self.text(name)
        if not pattern.match(value) or len(value) > _MAX_ID_LEN:
            self.fail(
                f"'{name}' must be snake_case ASCII (a-z, 0-9, _), at most {_MAX_ID_LEN} "
                f"characters, got {value!r}"
            )
        return value

    def choice(self, name: str, allowed: Sequence[str]) -> str:
        """Return a field whose value must be one of `allowed`."""
        value = self.raw[name]
        if not isinstance(value, str) or value not in allowed:
            self.fail(f"'{name}' must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    def options(self, raw: Any, answer: Any, prefix: str = "") -> Tuple[Tuple[Option, ...], str]:
        """Return 2-4 options with unique keys a-d and the answer, which must be one of them."""
        label = f"{prefix}options"
        if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
            self.fail(f"'{label}' must be a list of 2 to 4 options")
        result: List[Option] = []
        for i, item in enumerate(raw):
            opt_label = f"{label}[{i}]"
            if not isinstance(item, dict) or set(item) != {"key", "text"}:
                self.fail(f"'{opt_label}' must have exactly the fields key, text")
            key = item["key"]
            if not isinstance(key, str) or not _OPTION_KEY_RE.match(key):
                self.fail(f"'{opt_label}.key' must be one of a, b, c, d, got {key!r}")
            if any(o.key == key for o in result):
                self.fail(f"'{opt_label}.key' {key!r} is used twice")
            result.append(Option(key=key, text=self.text("", item["text"], f"{opt_label}.text")))
        keys = [o.key for o in result]
        if not isinstance(answer, str) or answer.strip().lower() not in keys:
            self.fail(
                f"'{prefix}answer' must be one of the option keys ({', '.join(keys)}), "
                f"got {answer!r}"
            )
        return tuple(result), str(answer).strip().lower()


def _entries(label: str, top_key: str, raw: Any) -> List[Any]:
    if not isinstance(raw, list) or not raw:
        raise ContentError(f"{label}: '{top_key}' must be a non-empty list")
    return raw


def _unique(label: str, kind: str, values: Sequence[Tuple[str, str]]) -> None:
    seen: Dict[str, str] = {}
    for where, value in values:
        if value in seen:
            raise ContentError(
                f"{label}: {where}: duplicate {kind} {value!r} (first at {seen[value]})"
            )
        seen[value] = where


# --------------------------------------------------------------------------- loaders


@lru_cache(maxsize=8)
def _lessons(content_dir: str) -> Tuple[Lesson, ...]:
    label = _label(content_dir, "lessons.yml")
    raw = _entries(label, "lessons", _read(content_dir, "lessons.yml", "lessons"))
    lessons: List[Lesson] = []
    for i, item in enumerate(raw):
        ident = item.get("id") if isinstance(item, dict) else None
        where = f"{label}: lessons[{i}]" + (f" (id={ident})" if ident else "")
        e = _Entry(where, item, ("id", "topic", "age_band", "title", "steps", "check"))
        steps_raw = e.raw["steps"]
        if not isinstance(steps_raw, list) or not 2 <= len(steps_raw) <= 6:
            e.fail("'steps' must be a list of 2 to 6 steps")
        steps: List[LessonStep] = []
        for j, step in enumerate(steps_raw):
            if not isinstance(step, dict) or set(step) != {"text"}:
                e.fail(f"'steps[{j}]' must have exactly the field text")
            steps.append(LessonStep(text=e.text("", step["text"], f"steps[{j}].text")))
        check_raw = e.raw["check"]
        fields = {"question", "options", "answer", "explanation"}
        if not isinstance(check_raw, dict) or set(check_raw) != fields:
            e.fail("'check' must have exactly the fields question, options, answer, explanation")
        options, answer = e.options(check_raw["options"], check_raw["answer"], "check.")
        check = CheckQuestion(
            question=e.text("", check_raw["question"], "check.question"),
            options=options,
            answer=answer,
            explanation=e.text("", check_raw["explanation"], "check.explanation"),
        )
        lessons.append(
            Lesson(
                id=e.ident("id"),
                topic=e.choice("topic", TOPICS),
                age_band=e.choice("age_band", AGE_BANDS),
                title=e.text("title"),
                steps=tuple(steps),
                check=check,
            )
        )
    _unique(label, "id", [(f"lessons[{i}]", x.id) for i, x in enumerate(lessons)])
    _unique(
        label,
        "topic and age band",
        [(f"lessons[{i}] (id={x.id})", f"{x.topic} {x.age_band}") for i, x in enumerate(lessons)],
    )
    return tuple(lessons)


@lru_cache(maxsize=8)
def _quiz(content_dir: str) -> Tuple[QuizQuestion, ...]:
    label = _label(content_dir, "quiz.yml")
    raw = _entries(label, "questions", _read(content_dir, "quiz.yml", "questions"))
    questions: List[QuizQuestion] = []
    for i, item in enumerate(raw):
        ident = item.get("id") if isinstance(item, dict) else None
        where = f"{label}: questions[{i}]" + (f" (id={ident})" if ident else "")
        e = _Entry(
            where, item, ("id", "topic", "age_band", "question", "options", "answer", "explanation")
        )
        options, answer = e.options(e.raw["options"], e.raw["answer"])
        questions.append(
            QuizQuestion(
                id=e.ident("id"),
                topic=e.choice("topic", TOPICS),
                age_band=e.choice("age_band", QUIZ_AGE_BANDS),
                question=e.text("question"),
                options=options,
                answer=answer,
                explanation=e.text("explanation"),
            )
        )
    _unique(label, "id", [(f"questions[{i}]", q.id) for i, q in enumerate(questions)])
    return tuple(questions)


@lru_cache(maxsize=8)
def _faq(content_dir: str) -> Tuple[FaqEntry, ...]:
    label = _label(content_dir, "faq.yml")
    raw = _entries(label, "faqs", _read(content_dir, "faq.yml", "faqs"))
    faqs: List[FaqEntry] = []
    for i, item in enumerate(raw):
        ident = item.get("key") if isinstance(item, dict) else None
        where = f"{label}: faqs[{i}]" + (f" (key={ident})" if ident else "")
        e = _Entry(where, item, ("key", "category", "question", "answer", "source"))
        faqs.append(
            FaqEntry(
                key=e.ident("key"),
                category=e.choice("category", FAQ_CATEGORIES),
                question=e.text("question"),
                answer=e.text("answer"),
                source=e.text("source"),
            )
        )
    _unique(label, "key", [(f"faqs[{i}]", f.key) for i, f in enumerate(faqs)])
    return tuple(faqs)


@lru_cache(maxsize=8)
def _hotlines(content_dir: str) -> Tuple[Hotline, ...]:
    label = _label(content_dir, "hotlines.yml")
    raw = _entries(label, "hotlines", _read(content_dir, "hotlines.yml", "hotlines"))
    lines: List[Hotline] = []
    for i, item in enumerate(raw):
        ident = item.get("number") if isinstance(item, dict) else None
        where = f"{label}: hotlines[{i}]" + (f" (number={ident})" if ident is not None else "")
        e = _Entry(
            where, item, ("number", "name", "free", "hours", "description", "how_to_call", "when")
        )
        number = e.raw["number"]
        if isinstance(number, int) and not isinstance(number, bool):
            number = str(number)
        if not isinstance(number, str) or not _DIGITS_RE.match(number):
            e.fail(f"'number' must be digits only (no spaces or dashes), got {number!r}")
        if not isinstance(e.raw["free"], bool):
            e.fail(f"'free' must be true or false, got {e.raw['free']!r}")
        lines.append(
            Hotline(
                number=str(number),
                name=e.text("name"),
                free=bool(e.raw["free"]),
                hours=e.text("hours"),
                description=e.text("description"),
                how_to_call=e.text("how_to_call"),
                when=e.text("when"),
            )
        )
    _unique(label, "number", [(f"hotlines[{i}]", h.number) for i, h in enumerate(lines)])
    return tuple(lines)


@lru_cache(maxsize=8)
def _messages(content_dir: str) -> Mapping[str, str]:
    label = _label(content_dir, "messages.yml")
    raw = _read(content_dir, "messages.yml", "messages")
    if not isinstance(raw, dict) or not raw:
        raise ContentError(f"{label}: 'messages' must be a non-empty mapping of key: text")
    result: Dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not _ID_RE.match(key):
            raise ContentError(f"{label}: messages key {key!r} must be snake_case ASCII")
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{label}: messages.{key}: must be non-empty text")
        result[key] = value.strip()
    return MappingProxyType(result)


def load_lessons(content_dir: Optional[PathLike] = None) -> Tuple[Lesson, ...]:
    """Return every lesson from lessons.yml, validated."""
    return _lessons(_dir(content_dir))


def load_quiz(content_dir: Optional[PathLike] = None) -> Tuple[QuizQuestion, ...]:
    """Return every quiz question from quiz.yml, validated."""
    return _quiz(_dir(content_dir))


def load_faq(content_dir: Optional[PathLike] = None) -> Tuple[FaqEntry, ...]:
    """Return every parents' FAQ entry from faq.yml, validated."""
    return _faq(_dir(content_dir))


def load_hotlines(content_dir: Optional[PathLike] = None) -> Tuple[Hotline, ...]:
    """Return every hotline from hotlines.yml, validated."""
    return _hotlines(_dir(content_dir))


def load_messages(content_dir: Optional[PathLike] = None) -> Mapping[str, str]:
    """Return the read-only mapping of message key to text from messages.yml."""
    return _messages(_dir(content_dir))


def clear_cache() -> None:
    """Forget every loaded file, so the next call reads the disk again."""
    for fn in (_lessons, _quiz, _faq, _hotlines, _messages):
        fn.cache_clear()


# --------------------------------------------------------------------------- helpers


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


def message(key: str, content_dir: Optional[PathLike] = None, **fields: Any) -> str:
    """Return a message text by key, with ``{name}`` fields filled in."""
    text = load_messages(content_dir)[key]
    return text.format(**fields) if fields else text


# --------------------------------------------------------------------------- validation


def validate_all(content_dir: Optional[PathLike] = None) -> None:
    """Re-read and validate every content file, raising ContentError on the first problem."""
    clear_cache()
    load_lessons(content_dir)
    load_quiz(content_dir)
    load_faq(content_dir)
    load_hotlines(content_dir)
    load_messages(content_dir)


def summary(content_dir: Optional[PathLike] = None) -> str:
    """Return a short human summary of the loaded content."""
    lessons = load_lessons(content_dir)
    bands = ", ".join(f"{b}: {sum(x.age_band == b for x in lessons)}" for b in AGE_BANDS)
    topics = len({x.topic for x in lessons})
    return "\n".join(
        [
            f"lessons:  {len(lessons)} ({topics} topics; {bands})",
            f"quiz:     {len(load_quiz(content_dir))} questions",
            f"faq:      {len(load_faq(content_dir))} entries",
            f"hotlines: {', '.join(h.number for h in load_hotlines(content_dir))}",
            f"messages: {len(load_messages(content_dir))} texts",
        ]
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Validate all content (optionally in another directory) and print a summary."""
    args = list(sys.argv[1:] if argv is None else argv)
    content_dir = args[0] if args else None
    try:
        validate_all(content_dir)
    except ContentError as exc:
        print(f"content error: {exc}", file=sys.stderr)
        return 1
    print(f"content OK ({_dir(content_dir)})")
    print(summary(content_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
