"""The structured risk assessment: one pure decision, its reasons, and the answers it accepts."""

from __future__ import annotations

import pytest

from bot.handoff.assessment import (
    AbuseAnswers,
    Answer,
    AssessmentKind,
    PlaceLevel,
    SelfHarmAnswers,
    Timeframe,
    answers_record,
    assess,
    assess_abuse,
    assess_self_harm,
    parse_answers,
)
from bot.handoff.errors import InvalidAssessment
from common.taxonomy import RiskLevel

Y, N, U = Answer.YES, Answer.NO, Answer.UNSURE


def self_harm(thoughts: Answer, plan: Answer, means: Answer,
              timeframe: Timeframe) -> RiskLevel:
    return assess_self_harm(SelfHarmAnswers(thoughts, plan, means, timeframe)).risk


@pytest.mark.parametrize(("answers", "risk"), [
    ((Y, Y, Y, Timeframe.LATER), RiskLevel.IMMINENT),   # a plan and the means
    ((Y, N, N, Timeframe.NOW), RiskLevel.IMMINENT),     # may act right now
    ((U, N, N, Timeframe.NOW), RiskLevel.IMMINENT),     # doubt about thoughts, but "now"
    ((Y, Y, N, Timeframe.TODAY), RiskLevel.IMMINENT),   # a plan for today
    ((Y, Y, N, Timeframe.LATER), RiskLevel.HIGH),       # a plan, no means, not soon
    ((Y, N, N, Timeframe.NONE), RiskLevel.HIGH),        # thoughts alone
    ((U, N, N, Timeframe.UNSURE), RiskLevel.HIGH),      # doubt never lowers a risk
    ((N, U, N, Timeframe.NONE), RiskLevel.HIGH),        # maybe a plan
    ((N, N, Y, Timeframe.NONE), RiskLevel.HIGH),        # the means at hand
    ((N, N, N, Timeframe.NONE), RiskLevel.CONCERN),     # none of it now
])
def test_self_harm_risk_follows_thoughts_plan_means_timeframe(answers, risk) -> None:
    assert self_harm(*answers) is risk


def test_every_self_harm_result_says_why() -> None:
    result = assess_self_harm(SelfHarmAnswers(Y, Y, N, Timeframe.TODAY))
    assert result.reasons == ("Có kế hoạch, định làm trong hôm nay",)
    calm = assess_self_harm(SelfHarmAnswers(N, N, N, Timeframe.NONE))
    assert calm.reasons and "Không có" in calm.reasons[0]


def abuse(safe: Answer, near: Answer, age: int | None = 12,
          category: str | None = "physical_violence") -> RiskLevel:
    return assess_abuse(AbuseAnswers(safe, near, age, PlaceLevel.PROVINCE, "Nghệ An"),
                        category).risk


def test_not_safe_now_or_the_person_near_is_imminent_whatever_the_category() -> None:
    assert abuse(N, N, category="bullying") is RiskLevel.IMMINENT
    assert abuse(Y, Y, category="emotional_abuse") is RiskLevel.IMMINENT


def test_safe_and_alone_takes_the_category_risk_at_most_high() -> None:
    assert abuse(Y, N, category="sexual_abuse") is RiskLevel.HIGH
    assert abuse(Y, N, category="bullying") is RiskLevel.CONCERN
    assert abuse(Y, N, category="immediate_danger") is RiskLevel.HIGH  # safe now: not imminent
    assert abuse(Y, N, category=None) is RiskLevel.CONCERN


def test_doubt_or_a_young_child_raises_to_high() -> None:
    assert abuse(U, N, category="bullying") is RiskLevel.HIGH
    assert abuse(Y, U, category="bullying") is RiskLevel.HIGH
    young = assess_abuse(AbuseAnswers(Y, N, 7, PlaceLevel.NOT_SHARED, ""), "bullying")
    assert young.risk is RiskLevel.HIGH and "dưới 10 tuổi" in " ".join(young.reasons)


def test_answers_are_parsed_strictly_and_place_kept_only_as_shared() -> None:
    kind, answers = parse_answers("abuse", {"safe_now": "yes", "person_near": "no",
                                            "age": "9", "place_level": "not_shared",
                                            "place": "12 Lý Thường Kiệt"})
    assert kind is AssessmentKind.ABUSE
    assert isinstance(answers, AbuseAnswers) and answers.age == 9 and answers.place == ""
    assert answers_record(answers) == {"safe_now": "yes", "person_near": "no", "age": 9,
                                       "place_level": "not_shared", "place": ""}
    _, district = parse_answers("abuse", {"safe_now": "yes", "person_near": "no", "age": "",
                                          "place_level": "district", "place": " Quận  3 "})
    assert isinstance(district, AbuseAnswers) and district.place == "Quận 3"
    for bad in ({"thoughts": "maybe", "plan": "no", "means": "no", "timeframe": "now"},
                {"plan": "no", "means": "no", "timeframe": "now"}):
        with pytest.raises(InvalidAssessment):
            parse_answers("self_harm", bad)
    for age in ("18", "-1", "nine", True):
        with pytest.raises(InvalidAssessment):
            parse_answers("abuse", {"safe_now": "yes", "person_near": "no", "age": age,
                                    "place_level": "province", "place": ""})
    with pytest.raises(InvalidAssessment):
        parse_answers("bullying", {})


def test_assess_dispatches_by_kind() -> None:
    kind, answers = parse_answers("self_harm", {"thoughts": "yes", "plan": "yes",
                                                "means": "yes", "timeframe": "later"})
    assert assess(kind, answers).risk is RiskLevel.IMMINENT
