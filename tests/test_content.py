"""Content files: schema, counts, FAQ training data coverage, safe wording, loud failures."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from common import content as c
from common.vietnamese import fold, has_diacritics

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
FAQ_NLU = ROOT / "nlu_data" / "faq_parents.yml"
NLU_DIR = ROOT / "nlu_data"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
ABUSE_TOPICS = {
    "body_safety",
    "safe_touch",
    "secrets",
    "trusted_adults",
    "say_no",
    "online_safety",
    "strangers",
    "bullying",
    "feelings",
    "violence_at_home",
    "online_scams",
    "substances",
}
# Topics added for issue 9: each needs at least 3 quiz questions of its own in each age band.
NEW_TOPICS = (
    "feelings", "violence_at_home", "online_scams", "substances", "puberty", "child_rights"
)
# The action prefixes its own right/wrong verdict, so an explanation never starts with praise.
PRAISE_RE = re.compile(
    r"^\W*(đúng rồi|đúng vậy|chính xác|giỏi (lắm|quá)|tuyệt|hay lắm|rất tốt)", re.I
)
MAX_SYLLABLES_6_10 = 35

# A promise of secrecy to a child is never allowed (DESIGN.md, Escalation).
SECRECY_PATTERNS = [
    r"giữ bí mật cho (em|bạn|cháu|con|anh|chị)\b",
    r"\b(mình|tớ|chúng tôi|chúng mình)\s+(sẽ\s+|hứa\s+)*(giữ bí mật|giữ kín|không kể|không nói)",
    r"(?<!không )\bhứa (sẽ )?giữ bí mật",
    r"\bbí mật giữa (mình|chúng ta|hai ta)\b",
]
# Graphic or vulgar words have no place in content for children and parents.
GRAPHIC_WORDS = [
    "hiếp",
    "giao cấu",
    "dương vật",
    "âm đạo",
    "lồn",
    "cặc",
    "địt",
    "đụ",
    "khỏa thân",
    "lõa thể",
    "máu me",
    "cắt cổ",
]


# ----------------------------------------------------------------------------- helpers


def _texts(content_dir: Path | None = None) -> list[tuple[str, str]]:
    """Every user-facing text in content, labelled by where it comes from."""
    out: list[tuple[str, str]] = []
    for lesson in c.load_lessons(content_dir):
        out.append((f"lesson {lesson.id} title", lesson.title))
        out += [(f"lesson {lesson.id} step", s.text) for s in lesson.steps]
        ch = lesson.check
        out += [
            (f"lesson {lesson.id} check", t)
            for t in (ch.question, ch.explanation, *(o.text for o in ch.options))
        ]
    for q in c.load_quiz(content_dir):
        out += [
            (f"quiz {q.id}", t) for t in (q.question, q.explanation, *(o.text for o in q.options))
        ]
    for f in c.load_faq(content_dir):
        out += [(f"faq {f.key}", t) for t in (f.question, f.answer)]
    for h in c.load_hotlines(content_dir):
        out += [(f"hotline {h.number}", t) for t in (h.name, h.description, h.how_to_call, h.when)]
    out += [(f"message {k}", v) for k, v in c.load_messages(content_dir).items()]
    return out


def _wording_problems(content_dir: Path | None = None) -> list[str]:
    """Promises of secrecy and graphic words anywhere in the content, with where they are."""
    problems = []
    for where, text in _texts(content_dir):
        low = text.lower()
        problems += [f"{where}: secrecy {p!r}" for p in SECRECY_PATTERNS if re.search(p, low)]
        problems += [
            f"{where}: graphic {w!r}"
            for w in GRAPHIC_WORDS
            if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low)
        ]
    return problems


def _praised(content_dir: Path | None = None) -> list[str]:
    """Lessons and quiz questions whose explanation starts with praise."""
    checks = [(lesson.id, lesson.check.explanation) for lesson in c.load_lessons(content_dir)]
    checks += [(q.id, q.explanation) for q in c.load_quiz(content_dir)]
    return [ident for ident, text in checks if PRAISE_RE.search(text)]


def _faq_examples() -> dict[str, list[str]]:
    data = yaml.safe_load(FAQ_NLU.read_text(encoding="utf-8"))
    assert str(data["version"]) == "3.1"
    result: dict[str, list[str]] = {}
    for item in data["nlu"]:
        intent = item["intent"]
        assert intent.startswith("faq/"), intent
        assert intent not in result, f"{intent} listed twice"
        result[intent] = [
            line.strip()[2:].strip() for line in item["examples"].splitlines() if line.strip()
        ]
    return result


def _plain(example: str) -> str:
    """Drop entity annotations from an NLU example."""
    return re.sub(r"\[([^\]]*)\](\{[^}]*\}|\([^)]*\))", r"\1", example).strip()


@pytest.fixture()
def broken(tmp_path: Path) -> Callable[[str, Callable[[dict], None]], Path]:
    """Copy the real content to tmp_path/content and apply one edit to one file."""

    def make(filename: str, edit: Callable[[dict], None]) -> Path:
        target = tmp_path / "content"
        shutil.copytree(CONTENT, target, dirs_exist_ok=True)
        data = yaml.safe_load((target / filename).read_text(encoding="utf-8"))
        edit(data)
        (target / filename).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return target

    return make


def _error(content_dir: Path) -> str:
    with pytest.raises(c.ContentError) as info:
        c.validate_all(content_dir)
    return str(info.value)


# ----------------------------------------------------------------------------- real content


def test_all_content_validates() -> None:
    c.validate_all()


def test_every_topic_has_a_lesson_in_both_age_bands() -> None:
    lessons = c.load_lessons()
    assert len(lessons) >= 20
    for topic in c.TOPICS:
        for band in c.AGE_BANDS:
            assert c.lessons_by_topic(topic, band), f"no lesson for {topic} {band}"
    for lesson in lessons:
        assert 3 <= len(lesson.steps) <= 5, lesson.id
        assert all(len(s.text) <= 320 for s in lesson.steps), f"{lesson.id}: a step is too long"
        if lesson.age_band == "6-10":
            for i, step in enumerate(lesson.steps):
                syllables = len(step.text.split())
                assert syllables <= MAX_SYLLABLES_6_10, (
                    f"{lesson.id} step {i}: {syllables} syllables"
                )


def test_explanations_never_start_with_praise() -> None:
    assert not _praised(), _praised()


def test_praise_planted_in_a_copy_of_the_content_is_found(broken) -> None:
    def praise(d: dict) -> None:
        d["questions"][2]["explanation"] = "Giỏi lắm! " + d["questions"][2]["explanation"]

    quiz_id = c.load_quiz()[2].id
    assert _praised(broken("quiz.yml", praise)) == [quiz_id]


def test_run_home_advice_names_a_trusted_home() -> None:
    for lesson in c.load_lessons():
        for step in lesson.steps:
            if re.search(r"\b(về nhà|nhà mình)\b", step.text):
                assert "hoặc nhà người em tin" in step.text, lesson.id
    assert "hoặc nhà người em tin" in " ".join(s.text for s in c.lesson_by_id("say_no_6_10").steps)


def test_lessons_give_a_hotline_and_never_blame() -> None:
    problems = []
    for lesson in c.load_lessons():
        text = " ".join([s.text for s in lesson.steps] + [lesson.check.explanation])
        if not re.search(r"\b11[135]\b", text):
            problems.append(f"{lesson.id} names no hotline")
        if lesson.topic in ABUSE_TOPICS:
            if "111" not in text:
                problems.append(f"{lesson.id} does not give 111")
            if not re.search(r"không (bao giờ )?(phải )?(là )?lỗi|không có lỗi", text):
                problems.append(f"{lesson.id} does not say it is not the child's fault")
    assert not problems, "\n".join(problems)


def test_quiz_counts_and_spread() -> None:
    quiz = c.load_quiz()
    assert len(quiz) >= 40
    for topic in c.TOPICS:
        assert len(c.quiz_questions(topic)) >= 3, topic
    for topic in NEW_TOPICS:
        for band in c.AGE_BANDS:
            own = [q for q in quiz if q.topic == topic and q.age_band == band]
            assert len(own) >= 3, f"{topic} {band}: {len(own)} questions"
    for band in c.AGE_BANDS:
        assert len(c.quiz_questions(age_band=band)) >= 20, band


def test_faq_counts_and_sources() -> None:
    faqs = c.load_faq()
    assert len(faqs) >= 90
    assert all(f.source for f in faqs)
    categories = {f.category for f in faqs}
    for needed in (
        "signs_of_abuse",
        "talking_with_children",
        "online_safety",
        "discipline",
        "law",
        "reporting",
        "hotlines",
        "injury_prevention",
        "child_labour",
    ):
        assert needed in categories, needed
    assert c.faq_by_key("what_is_111") is not None
    assert c.faq_by_key("faq/underwear_rule") is not None
    assert c.faq_by_key("signs_of_abuse") is not None
    assert c.faq_by_key("no_such_key") is None


def test_hotlines_present() -> None:
    numbers = {h.number: h for h in c.load_hotlines()}
    assert {"111", "18008077", "113", "115"} <= set(numbers)
    assert all(h.free for h in numbers.values())
    assert "24/7" in numbers["111"].hours
    assert "mua bán người" in numbers["111"].description
    assert c.hotline("1800 8077") is numbers["18008077"]


def test_loaders_are_cached_and_read_only() -> None:
    assert c.load_lessons() is c.load_lessons()
    assert c.load_faq(CONTENT) is c.load_faq()
    with pytest.raises(TypeError):
        c.load_messages()["welcome"] = "x"  # type: ignore[index]


def test_no_promise_of_secrecy_and_no_graphic_words() -> None:
    problems = _wording_problems()
    assert not problems, "\n".join(problems)


def test_secrecy_and_graphic_words_planted_in_a_copy_of_the_content_are_found(
    tmp_path: Path,
) -> None:
    planted = {
        "messages.yml": ("messages", "welcome", "Yên tâm, mình hứa không nói với ai đâu."),
        "faq.yml": ("faqs", 1, "Trẻ có thể bị hiếp dâm bởi người quen."),
        "lessons.yml": ("lessons", 0, "Người lớn không hứa giữ bí mật chuyện nguy hiểm."),
    }
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    for filename, (top, index, sentence) in planted.items():
        data = yaml.safe_load((target / filename).read_text(encoding="utf-8"))
        entry = data[top]
        if filename == "messages.yml":
            entry[index] = sentence
        elif filename == "faq.yml":
            entry[index]["answer"] = sentence
        else:
            entry[index]["steps"][0]["text"] = sentence  # allowed: it refuses secrecy
        (target / filename).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    faq_key = c.load_faq()[1].key
    found = _wording_problems(target)
    assert [p.split(": ")[0] for p in found] == [f"faq {faq_key}", "message welcome"]
    assert "graphic 'hiếp'" in found[0] and "secrecy" in found[1]


# ----------------------------------------------------------------------------- FAQ training data


def test_every_faq_key_has_enough_training_examples() -> None:
    examples = _faq_examples()
    keys = {f"faq/{f.key}" for f in c.load_faq()}
    assert set(examples) - keys == set(), "faq intents without content"
    assert keys - set(examples) == set(), "faq entries without training examples"
    for intent, items in examples.items():
        assert len(items) >= 8, f"{intent}: {len(items)} examples"
        unaccented = sum(not has_diacritics(x) for x in items)
        assert unaccented >= 2, f"{intent}: too few examples without diacritics"
    flat = [x for items in examples.values() for x in items]
    assert sum(not has_diacritics(x) for x in flat) * 3 >= len(flat)


def test_no_faq_example_is_duplicated_anywhere() -> None:
    seen: dict[str, str] = {}
    for intent, items in _faq_examples().items():
        for item in items:
            key = fold(item.lower()).strip(" ?!.")
            assert key not in seen, f"{item!r} in {intent} and {seen[key]}"
            seen[key] = intent
    for path in NLU_DIR.glob("*.yml"):
        if path == FAQ_NLU:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    key = fold(_plain(line.strip()[2:]).lower()).strip(" ?!.")
                    assert key not in seen, f"{line.strip()!r} in {path.name} and {seen[key]}"


# ----------------------------------------------------------------------------- loud failures


def test_answer_not_among_options(broken) -> None:
    def edit(d: dict) -> None:
        d["lessons"][3]["check"]["answer"] = "d"

    msg = _error(broken("lessons.yml", edit))
    lesson_id = c.load_lessons()[3].id
    assert msg.startswith(f"content/lessons.yml: lessons[3] (id={lesson_id}): ")
    assert "'check.answer' must be one of the option keys" in msg


def test_missing_steps(broken) -> None:
    msg = _error(broken("lessons.yml", lambda d: d["lessons"][0].pop("steps")))
    assert msg == "content/lessons.yml: lessons[0] (id=body_safety_6_10): missing 'steps'"


def test_too_many_steps_and_empty_text(broken) -> None:
    msg = _error(
        broken("lessons.yml", lambda d: d["lessons"][1]["steps"].extend([{"text": "x"}] * 3))
    )
    assert "lessons[1]" in msg and "2 to 6 steps" in msg
    msg = _error(broken("lessons.yml", lambda d: d["lessons"][2]["steps"][1].update(text="  ")))
    assert "lessons[2]" in msg and "'steps[1].text' must not be empty" in msg


def test_unknown_topic_and_age_band(broken) -> None:
    msg = _error(broken("lessons.yml", lambda d: d["lessons"][4].update(topic="cooking")))
    assert "lessons[4]" in msg and "'topic' must be one of" in msg and "'cooking'" in msg
    msg = _error(broken("quiz.yml", lambda d: d["questions"][5].update(age_band="6-12")))
    assert msg.startswith("content/quiz.yml: questions[5] (id=") and "'age_band'" in msg


def test_quiz_option_problems(broken) -> None:
    msg = _error(broken("quiz.yml", lambda d: d["questions"][0]["options"][1].update(key="a")))
    assert "questions[0]" in msg and "used twice" in msg
    msg = _error(
        broken("quiz.yml", lambda d: d["questions"][2].update(options=[{"key": "a", "text": "x"}]))
    )
    assert "questions[2]" in msg and "2 to 4 options" in msg


def test_faq_problems(broken) -> None:
    def dup(d: dict) -> None:
        d["faqs"][7]["key"] = d["faqs"][2]["key"]

    msg = _error(broken("faq.yml", dup))
    assert msg.startswith("content/faq.yml: faqs[7]") and "duplicate key" in msg
    msg = _error(broken("faq.yml", lambda d: d["faqs"][1].update(key="Dấu hiệu")))
    assert "faqs[1]" in msg and "snake_case" in msg
    msg = _error(broken("faq.yml", lambda d: d["faqs"][3].update(category="misc")))
    assert "faqs[3]" in msg and "'category'" in msg
    msg = _error(broken("faq.yml", lambda d: d["faqs"][4].pop("source")))
    assert "faqs[4]" in msg and "missing 'source'" in msg


def test_hotline_number_must_be_digits(broken) -> None:
    msg = _error(broken("hotlines.yml", lambda d: d["hotlines"][1].update(number="1800 8077")))
    assert msg.startswith("content/hotlines.yml: hotlines[1] (number=1800 8077)")
    assert "digits only" in msg


def test_unexpected_field_and_bad_messages(broken) -> None:
    msg = _error(broken("quiz.yml", lambda d: d["questions"][0].update(anwser="a")))
    assert "questions[0]" in msg and "unexpected field(s): anwser" in msg
    msg = _error(broken("messages.yml", lambda d: d["messages"].update(welcome="")))
    assert "content/messages.yml: messages.welcome" in msg


def test_invalid_yaml_duplicate_keys_and_missing_file(tmp_path: Path) -> None:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    (target / "messages.yml").write_text("messages:\n  a: x\n  a: y\n", encoding="utf-8")
    msg = _error(target)
    assert msg.startswith("content/messages.yml: invalid YAML") and "duplicate key" in msg
    assert "line 3" in msg
    shutil.copy(CONTENT / "messages.yml", target / "messages.yml")
    (target / "quiz.yml").write_text("questions: [unclosed\n", encoding="utf-8")
    assert _error(target).startswith("content/quiz.yml: invalid YAML")
    (target / "lessons.yml").unlink()
    assert _error(target) == "content/lessons.yml: file not found"


# ----------------------------------------------------------------------------- CLI


def test_cli_summary_and_failure(broken) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "common.content"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "lessons:" in ok.stdout and "faq:" in ok.stdout
    bad_dir = broken("faq.yml", lambda d: d["faqs"][0].update(answer=""))
    bad = subprocess.run(
        [sys.executable, "-m", "common.content", str(bad_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "content/faq.yml: faqs[0] (key=signs_of_abuse): 'answer' must not be empty" in bad.stderr


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="Rasa environment not created yet")
def test_content_loads_on_the_rasa_python() -> None:
    result = subprocess.run(
        [str(RASA_PYTHON), "-m", "common.content"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
