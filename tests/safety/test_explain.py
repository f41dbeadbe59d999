"""The triage's reasons, rendered in Vietnamese for counsellors."""

from __future__ import annotations

from bot.safety import screen
from bot.safety.explain import in_vietnamese, reason_in_vietnamese
from bot.safety.learned import LearnedScores
from bot.safety.triage import Context, RasaSignal, decide, with_case


def test_every_reason_the_triage_gives_is_rendered() -> None:
    learned = LearnedScores(risky=0.97, human=0.1, general=0.4,
                            categories={"self_harm": 0.9, "bullying": 0.1})
    found = screen("cach tu tu nhanh nhat la gi")
    triage = with_case(decide(found, learned, Context(), RasaSignal("risk_self_harm", 0.93),
                              text="cach tu tu nhanh nhat la gi"), "concern")
    rendered = in_vietnamese(triage.reasons)
    assert len(rendered) == len(triage.reasons)
    for english, vietnamese in zip(triage.reasons, rendered, strict=True):
        assert vietnamese != english, f"no Vietnamese for {english!r}"


def test_parts_of_a_reason_are_kept() -> None:
    text = reason_in_vietnamese("learned: risky 0.82, self_harm 0.70, general 0.40")
    assert text == "Mô hình học máy: nguy cơ 0.82, tự làm hại 0.70, câu hỏi chung 0.40"
    assert "(dạng câu hỏi chung)" in reason_in_vietnamese("rules: bullying.hit (as a question)")
    assert reason_in_vietnamese("fused 0.91 (escalate at 0.85, review at 0.50)") == (
        "Điểm tổng hợp 0.91 (chuyển ca từ 0.85, cần xem từ 0.50)")
    assert "tự làm hại (self_harm.method_question)" in reason_in_vietnamese(
        "always escalates: self_harm.method_question")


def test_an_unknown_reason_is_shown_as_stored() -> None:
    assert reason_in_vietnamese("something new") == "something new"
