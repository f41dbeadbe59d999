"""Unit tests for the safety screen: normalisation, idioms, questions, reports, bad lexicons."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml

from bot.safety import LEXICON_DIR, LexiconError, RiskLevel, SafetyResult, load_lexicon, screen


def escalates(text: str) -> bool:
    """Whether the screen hands this message to a human."""
    return screen(text).escalate


# ------------------------------------------------------------------ API and risk order
def test_risk_levels_are_ordered_strings() -> None:
    assert RiskLevel.NONE < RiskLevel.CONCERN < RiskLevel.HIGH < RiskLevel.IMMINENT
    assert RiskLevel.IMMINENT > "high" and RiskLevel.HIGH >= "high" and RiskLevel.NONE <= "none"
    assert RiskLevel.HIGH == "high" and RiskLevel.HIGH.value == "high"
    assert RiskLevel.HIGH.at_least(RiskLevel.CONCERN) and not RiskLevel.CONCERN.at_least("high")
    assert max([RiskLevel.CONCERN, RiskLevel.IMMINENT, RiskLevel.HIGH]) is RiskLevel.IMMINENT
    assert sorted(["high", RiskLevel.NONE, RiskLevel.IMMINENT], key=RiskLevel) == [
        "none",
        "high",
        "imminent",
    ]


def test_result_escalate_rules() -> None:
    assert not SafetyResult().escalate
    assert SafetyResult(RiskLevel.CONCERN, "bullying").escalate
    assert not SafetyResult(RiskLevel.CONCERN, "bullying", general_question=True).escalate
    assert SafetyResult(request_human=True).escalate


def test_matched_holds_rule_ids_not_text() -> None:
    result = screen("chú hàng xóm hay sờ vào chỗ kín của em")
    assert result.escalate and result.category == "sexual_abuse"
    assert result.risk >= RiskLevel.HIGH
    assert result.matched and all("." in rule or rule == "request_human" for rule in result.matched)
    assert not any("chỗ kín" in rule for rule in result.matched)


def test_empty_and_odd_input_is_calm() -> None:
    for text in [
        "",
        "   ",
        "😀😀😀",
        "/start",
        "'; DROP TABLE users; --",
        "<script>x</script>",
        "a" * 20000,
        "\u200b\u200b",
        "\u0301\u0301",
    ]:
        assert screen(text) == SafetyResult() or not screen(text).escalate


# ------------------------------------------------------------------ normalisation
@pytest.mark.parametrize(
    "text",
    [
        "bố đánh em",
        unicodedata.normalize("NFD", "bố đánh em"),  # decomposed Unicode
        "bố đánh\u200b em",  # zero-width space
        "b\u200bố đ\u00adánh e\u2060m",  # zero-width characters inside words
        "BỐ ĐÁNH EM",
        "bo danh em",  # no diacritics
        "bố danh em",  # half the diacritics
        "bố đánh emmmm",  # stretched letters
        "bố đánh e",  # teen code e = em
    ],
)
def test_normalisation_variants_all_escalate(text: str) -> None:
    result = screen(text)
    assert result.escalate and result.category == "physical_violence", text


@pytest.mark.parametrize(
    "text",
    [
        "em muốn chết",
        "em muốn chếttttt",
        "e k muon song nua",
        "ko muốn sống nữa",
        unicodedata.normalize("NFD", "em muốn chết"),
        "em mu\u200bốn chết",
        "EM MUỐN CHẾT",
    ],
)
def test_self_harm_in_every_spelling(text: str) -> None:
    result = screen(text)
    assert result.escalate and result.category == "self_harm" and result.risk >= "high"


def test_stretched_fear_is_not_alone_a_disclosure() -> None:
    assert not escalates("sợợợ quáaaa")
    assert escalates("huhu e sợợợ quá, chú kia cứ sờ vào người e")


def test_wrong_diacritics_do_not_merge_words() -> None:
    # "dành" (to save) is not "đánh" (to hit) once the child typed the accent.
    assert not escalates("bố em dành tiền mua xe đạp cho em")
    assert not escalates("mẹ dành thời gian chơi với em")
    assert escalates("mẹ đánh em")


def test_unaccented_fear_is_not_touch() -> None:
    # "em so lam" is "em sợ lắm" (I am scared), not "em sờ": no sexual-abuse match on it alone.
    assert screen("em so lam").category != "sexual_abuse"
    assert not escalates("e so qua huhu")


def test_half_accented_words_do_not_merge() -> None:
    # "đưa đi" must not be read as "đứa đĩ" (an insult): only whole-word folding is tolerated.
    assert not escalates("em sốt mấy hôm rồi mẹ đưa đi khám")


def test_real_word_roi_survives_teen_code() -> None:
    # The teen-code map turns "roi" into "rồi"; the screen also reads the words as typed.
    assert screen("ông bà lấy roi quật em").category == "physical_violence"


def test_secrecy_is_a_concern() -> None:
    result = screen("chú ấy dặn em không được kể với ai")
    assert result.escalate and result.category == "other" and result.risk == "concern"
    assert not escalates("mẹ dặn không được nói cho người lạ biết địa chỉ nhà")


# ------------------------------------------------------------------ idioms
@pytest.mark.parametrize(
    "text",
    [
        "cười chết mất",
        "chết cười với thằng bạn",
        "em đánh răng rồi",
        "e danh rang r",
        "giết thời gian bằng cách chơi game",
        "con bị giết trong game",
        "em đánh đàn piano",
        "đi đánh cầu lông không",
        "em đang tập đánh vần",
        "bố em làm nghề đánh giày",
        "nóng muốn chết",
        "đói chết mất",
        "em sợ ma lắm",
        "em bị ăn đòn trong liên quân",
        "cứu em với, bài tập toán khó quá",
        "em đi xe đạp đến trường",
    ],
)
def test_idioms_do_not_escalate(text: str) -> None:
    assert not escalates(text), screen(text)


def test_idiom_is_masked_not_the_whole_message() -> None:
    assert escalates("bố đánh em xong em đi đánh răng")
    assert escalates("em cười chết mất nhưng thật ra em muốn chết")


# ------------------------------------------------------------------ categories and risk
@pytest.mark.parametrize(
    ("text", "category", "risk"),
    [
        ("cứu em với bố đang đánh em", "immediate_danger", "imminent"),
        ("em đang bị nhốt trong nhà kho", "immediate_danger", "imminent"),
        ("nó đang ở ngoài cửa, em sợ lắm", "immediate_danger", "imminent"),
        ("e bi hiep r", "sexual_abuse", "high"),
        ("dượng bắt em cởi quần", "sexual_abuse", "high"),
        ("mẹ chửi em là đồ vô dụng ngày nào cũng thế", "emotional_abuse", "concern"),
        ("bố dọa đuổi em ra khỏi nhà", "emotional_abuse", "concern"),
        ("bố mẹ bỏ em ở nhà mấy ngày không có gì ăn", "neglect", "high"),
        ("có người hứa cho em việc lương cao bên kia biên giới", "trafficking", "high"),
        ("họ nói sẽ bán em sang trung quốc", "trafficking", "high"),
        ("chủ quán bắt em rửa bát cả ngày không trả tiền", "child_labour", "concern"),
        ("có người bắt em gửi ảnh khỏa thân", "online_abuse", "high"),
        ("anh ấy dọa tung ảnh của em", "online_abuse", "high"),
        ("em bị cả lớp tẩy chay", "bullying", "concern"),
        ("em muốn bỏ nhà đi", "runaway", "concern"),
        ("em vừa cắt tay", "self_harm", "imminent"),
    ],
)
def test_category_and_risk(text: str, category: str, risk: str) -> None:
    result = screen(text)
    assert result.escalate, text
    assert (result.category, result.risk.value) == (category, risk), result


# ------------------------------------------------------------------ general questions
@pytest.mark.parametrize(
    "text",
    [
        "dấu hiệu trẻ bị xâm hại là gì",
        "dau hieu tre bi xam hai la gi",
        "làm sao dạy con về an toàn cơ thể",
        "thế nào là bạo lực gia đình",
        "cha mẹ đánh con có vi phạm pháp luật không",
        "làm sao để biết con có ý định tự tử",
        "nếu bị người lạ sờ vào người thì phải làm gì ạ",
        "mua bán người là gì",
    ],
)
def test_general_questions_are_answered_not_escalated(text: str) -> None:
    result = screen(text)
    assert not result.escalate, result
    assert result.general_question, result


@pytest.mark.parametrize(
    "text",
    [
        "con tôi bị thầy giáo xâm hại, giờ phải làm sao",
        "cháu tôi bị bố dượng đánh, có nên báo không",
        "em bị xâm hại là gì cũng được, em cần giúp",
        "dấu hiệu gì đâu, em muốn chết",
        "bé nhà tôi bị hàng xóm sờ vào vùng kín, luật xử thế nào",
    ],
)
def test_questions_with_a_real_child_escalate(text: str) -> None:
    result = screen(text)
    assert result.escalate and not result.general_question, result


# ------------------------------------------------------------------ parents reporting
@pytest.mark.parametrize(
    "text",
    [
        "con gái tôi 7 tuổi kể là bị ông hàng xóm sờ vào vùng kín",
        "con tôi bị cô giáo mầm non đánh, về người có vết bầm",
        "con trai tôi bỏ nhà đi từ hôm qua chưa về",
        "con tôi nói nó muốn chết",
    ],
)
def test_parent_reports_escalate(text: str) -> None:
    assert escalates(text)


# ------------------------------------------------------------------ asking for a person
@pytest.mark.parametrize(
    "text",
    [
        "cho em nói chuyện với người thật",
        "gap tu van vien",
        "cho gặp người thật đi",
        "em muốn nói chuyện với tư vấn viên",
        "cho e gặp ng thật",
    ],
)
def test_request_human(text: str) -> None:
    result = screen(text)
    assert result.request_human and result.escalate
    assert "request_human" in result.matched


def test_everyday_chat_is_not_a_request_for_a_person() -> None:
    for text in ["em muốn học bài về người lạ", "chào bạn", "em gặp bạn ở trường"]:
        assert not screen(text).request_human, text


# ------------------------------------------------------------------ lexicon validation
def _write(tmp_path: Path, text: str) -> Path:
    """A lexicon folder from one YAML text: its rules go to one file per category."""
    folder = tmp_path / "lexicon"
    folder.mkdir()
    data = yaml.safe_load(text)
    rules = data.pop("rules", [])
    (folder / "common.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    by_category: dict[str, list[object]] = {}
    for rule in rules:
        by_category.setdefault(rule["category"], []).append(rule)
    for category, entries in by_category.items():
        (folder / f"{category}.yml").write_text(
            yaml.safe_dump({"rules": entries}, allow_unicode=True), encoding="utf-8"
        )
    return folder


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the project's lexicon with `old` replaced once, in the file that has it."""
    folder = tmp_path / "lexicon"
    shutil.copytree(LEXICON_DIR, folder)
    for path in sorted(folder.glob("*.yml")):
        source = path.read_text(encoding="utf-8")
        if old in source:
            path.write_text(source.replace(old, new, 1), encoding="utf-8")
            return folder
    raise AssertionError(f"{old!r} is not in the lexicon")


def test_project_lexicon_loads() -> None:
    lexicon = load_lexicon()
    assert len(lexicon.rules) >= 20 and lexicon.path.endswith("common.yml")
    assert {r.source.rsplit("/", 1)[-1] for r in lexicon.rules} == {
        f"{r.category}.yml" for r in lexicon.rules
    }


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("category: sexual_abuse", "category: sex_abuse", "(id=sexual.rape): category"),
        ("risk: imminent", "risk: urgent", "(id=danger.call_for_help): risk"),
        ("id: sexual.rape", "id: sexual.topic", "(id=sexual.topic): duplicate id"),
        ('"{touch} ~3 {private}"', '"{touch} ~3 {privat}"', "unknown list {privat}"),
        ('"{touch} ~3 {private}"', '"({touch} ~3 {private}"', "missing ')'"),
        ("question_ok: false", "question_ok: maybe", "question_ok"),
        ("gap: 4", "gap: many", "gap"),
        ('"^ cứu", "help me"', '"^? cứu", "help me"', "cannot be optional"),
        ('"111"', "111", "general.topics"),
    ],
)
def test_bad_lexicon_fails_loudly_naming_file_and_entry(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(LexiconError) as info:
        load_lexicon(path)
    message = str(info.value)
    assert str(path) in message and expected in message, message


def test_unreadable_lexicon_fails_loudly(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "common.yml").write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(LexiconError, match="common.yml"):
        load_lexicon(folder)
    with pytest.raises(LexiconError, match="missing"):
        load_lexicon(tmp_path / "missing")


def test_a_rule_in_the_wrong_category_file_fails(tmp_path: Path) -> None:
    folder = _broken(tmp_path, "id: bullying.school", "id: bullying.school")
    source = (folder / "bullying.yml").read_text(encoding="utf-8")
    (folder / "bullying.yml").write_text(
        source.replace("category: bullying", "category: neglect", 1), encoding="utf-8"
    )
    with pytest.raises(LexiconError, match=r"bullying.yml.*\(id=bullying.school\): category"):
        load_lexicon(folder)


def test_a_custom_lexicon_changes_the_screen(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
version: 1
lists: {pet: [mèo, chó]}
general: {markers: [là gì], disclosure: [hôm qua]}
request_human: [người thật]
rules:
  - id: other.pet_hurt
    category: other
    risk: concern
    patterns: ["{pet} ~2 bị thương"]
""",
    )
    lexicon = load_lexicon(path)
    result = screen("con meo bi thuong roi", lexicon)
    assert result.escalate and result.matched == ("other.pet_hurt",)
    assert not screen("bố đánh em", lexicon).escalate


# ------------------------------------------------------------------ engine features
def test_strict_word_does_not_match_its_unaccented_twin(tmp_path: Path) -> None:
    # "=tướng" (a game hero) must not cancel "tuong" typed for "tường" (a wall).
    path = _write(
        tmp_path,
        """
version: 1
general: {markers: [là gì], disclosure: [hôm qua]}
request_human: [người thật]
rules:
  - id: other.wall
    category: other
    risk: concern
    patterns: ["đập ~2 tường"]
    unless: ["=tướng"]
""",
    )
    lexicon = load_lexicon(path)
    assert screen("dap dau vo tuong", lexicon).escalate
    assert not screen("đập vỡ tướng", lexicon).escalate


def test_numbers_in_lists_and_extra_spellings(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
version: 1
spellings: {chít: chết}
lists: {age: ['\\d+ tuổi']}
general: {markers: [là gì], disclosure: [hôm qua]}
request_human: [người thật]
rules:
  - id: other.age
    category: other
    risk: concern
    patterns: ["{age} ~2 đi làm"]
  - id: other.dead
    category: other
    risk: concern
    patterns: ["muốn chết"]
""",
    )
    lexicon = load_lexicon(path)
    assert screen("em 12 tuổi phải đi làm", lexicon).matched == ("other.age",)
    assert screen("e mún chít", lexicon).matched == ("other.dead",)
    assert not screen("em mười tuổi đi học", lexicon).escalate


def test_bad_spelling_fails_loudly(tmp_path: Path) -> None:
    path = _broken(tmp_path, "  hk: không", "  hk kk: không")
    with pytest.raises(LexiconError, match="spellings"):
        load_lexicon(path)


def test_rule_index_gives_the_same_verdicts_as_trying_every_rule() -> None:
    """The word index only skips work: the verdict is the one every rule would give."""
    from dataclasses import replace

    from bot.safety.screen import LEXICON
    from common.safety_data import EVAL_DIR, load_samples

    # a copy of the lexicon whose rules have no anchors is screened by trying every rule
    unanchored = replace(
        LEXICON,
        rules=tuple(
            replace(r, patterns=tuple(replace(p, anchors=None) for p in r.patterns))
            for r in LEXICON.rules
        ),
    )
    for case in load_samples(EVAL_DIR / "safety_eval.yml")[:200]:
        assert screen(case.text).escalate == screen(case.text, unanchored).escalate, case.text


# ------------------------------------------------------------------ fresh wording
@pytest.mark.parametrize(
    "text",
    [
        "chú ấy bắt em làm chuyện người lớn",
        "tối nào dượng cũng vào phòng em",
        "em bị ba quánh bầm hết chân",
        "e hok mún về nhà nữa",
        "có ng trên mạng đòi e gửi hình ko mặc đồ",
        "mẹ bỏ đi, ba say suốt, e nhịn đói 2 ngày rồi",
        "e nghĩ e nên biến mất",
        "tụi nó chặn đường đòi tiền e mỗi ngày",
        "e ko bit co nen ke ko nhung chu e hay bat e ngoi len dui",
    ],
)
def test_indirect_disclosures_escalate(text: str) -> None:
    assert escalates(text), text


@pytest.mark.parametrize(
    "text",
    [
        "mẹ đánh thức em dậy lúc 6 giờ",
        "em bị muỗi đốt ngứa quá",
        "ông nội mất rồi em buồn",
        "ba em đánh trứng làm bánh flan",
        "bố em đánh con cờ hay lắm",
        "mẹ so sánh em với anh họ làm em hơi buồn",
        "bố mẹ ly hôn em nên ở với ai",
        "em đang ở bến xe đợi mẹ ra đón",
        "mẹ em dặn không được nói chuyện với người lạ",
        "em phải làm gì nếu bạn em bị bắt nạt",
        "em xem phim tài liệu về buôn người ở môn GDCD",
    ],
)
def test_risky_looking_everyday_words_do_not_escalate(text: str) -> None:
    assert not escalates(text), text


def test_wall_is_not_a_game_hero() -> None:
    # "tuong" typed for "tường" (a wall) must not cancel a beating as if it were "tướng" (a hero)
    assert screen("hom qua tia uong say dap e vo tuong").category == "physical_violence"
