"""The triage as a pure function: every combination of rules, learned signal, context and Rasa."""

from __future__ import annotations

import numpy as np
import pytest

from bot.safety import RiskLevel, SafetyResult, screen
from bot.safety.fusion import FEATURE_NAMES, Fusion, Trees
from bot.safety.learned import LearnedScores
from bot.safety.triage import (
    Activity,
    Context,
    Decision,
    RasaSignal,
    Recent,
    decide,
    with_case,
)


def fusion_on(feature: str, weight: float = 8.0, bias: float = -4.0, steps: int = 10) -> Fusion:
    """A fused layer that reads one feature only, as `steps` stumps adding up to about
    weight * feature + bias: on (1.0) escalates, off answers, half-way is a doubt."""
    index = FEATURE_NAMES.index(feature)
    cuts = (np.arange(steps) + 0.5) / steps
    trees = Trees(
        feature=np.full((steps, 3), index), threshold=np.column_stack([cuts, cuts, cuts]),
        left=np.tile([1, 1, 2], (steps, 1)), right=np.tile([2, 1, 2], (steps, 1)),
        value=np.tile([0.0, 0.0, weight / steps], (steps, 1)),
        leaf=np.tile([False, True, True], (steps, 1)),
    )
    return Fusion(trees, bias, escalate_at=0.9, review_at=0.4)


LEARNED = fusion_on("learned.risky")
QUIET = LearnedScores(risky=0.02, human=0.01, general=0.1, categories={"bullying": 0.02})
LOUD = LearnedScores(risky=0.99, human=0.01, general=0.0, categories={"online_abuse": 0.95})
DOUBT = LearnedScores(risky=0.55, human=0.01, general=0.0, categories={"neglect": 0.5})


def test_the_fused_score_decides_escalate_review_answer() -> None:
    assert decide(SafetyResult(), LOUD, fusion=LEARNED).decision is Decision.ESCALATE
    assert decide(SafetyResult(), DOUBT, fusion=LEARNED).decision is Decision.REVIEW
    assert decide(SafetyResult(), QUIET, fusion=LEARNED).decision is Decision.ANSWER


def test_escalation_carries_category_risk_and_reasons() -> None:
    result = decide(SafetyResult(), LOUD, fusion=LEARNED)
    assert result.category == "online_abuse" and result.risk is RiskLevel.HIGH
    assert any(r.startswith("learned: risky 0.99") for r in result.reasons)
    assert any(r.startswith("fused ") for r in result.reasons)
    assert result.as_dict()["decision"] == "escalate"


def test_an_answer_has_no_risk_or_category() -> None:
    result = decide(screen("hôm nay trời đẹp quá"), QUIET, fusion=LEARNED)
    assert result.decision is Decision.ANSWER
    assert result.risk is RiskLevel.NONE and result.category is None


def test_a_rule_hit_is_never_less_than_a_doubt() -> None:
    result = decide(screen("bố đánh em"), QUIET, fusion=LEARNED)  # this layer ignores rules
    assert result.decision is Decision.REVIEW and result.category == "physical_violence"
    assert any(r.startswith("rules: ") for r in result.reasons)
    danger = decide(screen("cứu em với, có người đang đuổi theo em"), DOUBT, fusion=LEARNED)
    assert danger.decision is Decision.ESCALATE  # danger now: a doubt is enough


def test_without_the_learned_signal_the_rules_decide() -> None:
    assert decide(screen("bố đánh em chảy máu"), None).decision is Decision.ESCALATE
    assert decide(screen("hôm nay trời đẹp"), None).decision is Decision.ANSWER
    assert "learned: unavailable" in decide(screen("hi"), None).reasons


@pytest.mark.parametrize("text", ["cách tự tử nhanh nhất là gì",
                                  "chú hay sờ người em vậy có sao không"])
def test_method_questions_and_is_it_ok_always_escalate(text: str) -> None:
    result = decide(screen(text), QUIET, fusion=LEARNED, text=text)
    assert result.decision is Decision.ESCALATE
    assert any(r.startswith("always escalates") for r in result.reasons)


def test_a_tapped_button_is_never_a_disclosure_but_a_request_is_a_request() -> None:
    tapped = Context(tapped='/answer{"option":"b"}')
    assert decide(SafetyResult(), LOUD, tapped, fusion=LEARNED).decision is Decision.ANSWER
    person = decide(SafetyResult(), QUIET, Context(tapped="/request_human"), fusion=LEARNED)
    assert person.escalate and person.request and person.category == "other"


def test_a_quiz_answer_on_screen_is_answered() -> None:
    context = Context(activity=Activity.QUIZ, options=("A. Im lặng", "B. Nói không và kể lại"))
    text = "noi khong va ke lai"
    answers = fusion_on("context.answers", weight=-8.0, bias=4.0)  # answering lowers the score
    assert decide(screen(text), DOUBT, context, fusion=answers, text=text).decision is (
        Decision.ANSWER)
    assert decide(screen(text), DOUBT, Context(), fusion=answers, text=text).decision is (
        Decision.ESCALATE)


def test_rasa_alone_gives_at_most_a_review() -> None:
    rasa = RasaSignal("risk_sexual_abuse", 0.99)
    result = decide(SafetyResult(), QUIET, rasa=rasa, fusion=LEARNED)
    assert result.decision is Decision.REVIEW and result.category == "sexual_abuse"
    assert decide(SafetyResult(), QUIET, rasa=RasaSignal("risk_sexual_abuse", 0.3),
                  fusion=LEARNED).decision is Decision.ANSWER


def test_rasa_confident_with_doubt_escalates() -> None:
    rasa = RasaSignal("risk_neglect", 0.95)
    assert decide(SafetyResult(), DOUBT, rasa=rasa, fusion=LEARNED).decision is Decision.ESCALATE
    weak = RasaSignal("risk_neglect", 0.7)
    assert decide(SafetyResult(), DOUBT, rasa=weak, fusion=LEARNED).decision is Decision.REVIEW


def test_a_request_for_a_person_escalates_as_a_request() -> None:
    text = "cho em nói chuyện với người thật"
    result = decide(screen(text), QUIET, fusion=LEARNED, text=text)
    assert result.escalate and result.request and result.risk is RiskLevel.CONCERN


def test_grooming_cues_add_up_over_messages() -> None:
    found = screen("anh ấy bảo em gửi ảnh")
    assert "photos" in found.cues
    recent = (Recent(cues=("gift",)), Recent(cues=("secrecy",)))
    built = decide(found, QUIET, Context(recent=recent), fusion=LEARNED)
    assert built.escalate and built.category == "online_abuse"
    alone = decide(found, QUIET, Context(recent=(Recent(cues=("gift",)),)), fusion=LEARNED)
    assert alone.decision is Decision.ANSWER


def test_a_parents_general_question_never_escalates() -> None:
    text = "làm sao để biết con bị xâm hại"
    found = screen(text)
    assert found.general_question
    rules_only = fusion_on("rules.any")
    parent = decide(found, LOUD, Context(speaker="parent"), fusion=rules_only, text=text)
    assert parent.decision is not Decision.ESCALATE


def test_a_parents_quiet_message_escalated_only_by_earlier_ones_is_a_doubt() -> None:
    by_context = fusion_on("context.recent_max")
    earlier = (Recent(risky=0.99),)
    text = "con tôi bị sốt 39 độ"
    parent = decide(screen(text), QUIET, Context(recent=earlier, speaker="parent"),
                    fusion=by_context, text=text)
    assert parent.decision is Decision.REVIEW
    assert any(r.startswith("escalated only by earlier messages") for r in parent.reasons)
    # a child's, or a parent's message that tells something itself, still escalates
    child = decide(screen(text), QUIET, Context(recent=earlier, speaker="child"),
                   fusion=by_context, text=text)
    assert child.decision is Decision.ESCALATE
    telling = decide(screen(text), DOUBT, Context(recent=earlier, speaker="parent"),
                     fusion=by_context, text=text)
    assert telling.decision is Decision.ESCALATE


def test_inside_a_case_only_a_higher_risk_read_by_a_rule_counts() -> None:
    danger = "nó đang đứng ngoài cửa cầm dao đòi giết em"
    ruled = decide(screen(danger), LOUD, fusion=LEARNED, text=danger)
    assert ruled.rules and with_case(ruled, "concern").escalate
    assert "raises the case from concern" in with_case(ruled, "concern").reasons
    assert with_case(ruled, "imminent").decision is Decision.ANSWER  # not higher
    alone = decide(SafetyResult(), LOUD, fusion=LEARNED)  # fused 0.98, no rule
    assert alone.escalate and with_case(alone, "concern").decision is Decision.ANSWER
    certain = decide(SafetyResult(), LOUD, fusion=fusion_on("learned.risky", weight=12.0))
    assert certain.score >= 0.99 and with_case(certain, "concern").escalate
    assert with_case(alone, None) is alone
