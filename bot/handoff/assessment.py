"""A counsellor's structured risk assessment, and the risk it sets: one pure decision with reasons.

Self-harm (the Crisis Text Line / Columbia questions): thoughts, plan, means, timeframe.
Abuse: is the child safe now, is the person who hurts them near, the child's age, and the place
at the level the child chose to share (kept for a referral; it never changes the risk).
"Không rõ" (unsure) counts as a possible yes: doubt never lowers a risk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from bot.handoff.errors import InvalidAssessment
from common.taxonomy import RiskLevel, default_risk

MAX_PLACE = 200


class AssessmentKind(StrEnum):
    """Which questions were asked."""

    SELF_HARM = "self_harm"
    ABUSE = "abuse"


class Answer(StrEnum):
    """A yes / no question's answer."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


class Timeframe(StrEnum):
    """When the child thinks they might act."""

    NOW = "now"
    TODAY = "today"
    LATER = "later"
    NONE = "none"
    UNSURE = "unsure"


class PlaceLevel(StrEnum):
    """How precisely the child chose to say where they are."""

    NOT_SHARED = "not_shared"
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    ADDRESS = "address"


@dataclass(frozen=True)
class SelfHarmAnswers:
    """Thoughts of self-harm, a plan, access to the means, and when."""

    thoughts: Answer
    plan: Answer
    means: Answer
    timeframe: Timeframe


@dataclass(frozen=True)
class AbuseAnswers:
    """Safety now, the person near, age, place (as shared)."""

    safe_now: Answer
    person_near: Answer
    age: int | None
    place_level: PlaceLevel
    place: str


@dataclass(frozen=True)
class Assessment:
    """The risk an assessment sets, and why (in Vietnamese, shown to counsellors)."""

    risk: RiskLevel
    reasons: tuple[str, ...]


def maybe(answer: Answer) -> bool:
    """A yes, or a doubt (which counts as a possible yes)."""
    return answer is not Answer.NO


def assess_self_harm(a: SelfHarmAnswers) -> Assessment:
    """Imminent with a plan and the means or a near timeframe; high with thoughts; else concern."""
    reasons: list[str] = []
    soon = a.timeframe in (Timeframe.NOW, Timeframe.TODAY)
    if a.plan is Answer.YES and a.means is Answer.YES:
        reasons.append("Có kế hoạch và có phương tiện")
    if maybe(a.thoughts) and a.timeframe is Timeframe.NOW:
        reasons.append("Có thể hành động ngay lúc này")
    elif a.plan is Answer.YES and soon:
        reasons.append("Có kế hoạch, định làm trong hôm nay")
    if reasons:
        return Assessment(RiskLevel.IMMINENT, tuple(reasons))
    if a.thoughts is Answer.YES:
        reasons.append("Có ý nghĩ tự làm hại")
    elif a.thoughts is Answer.UNSURE:
        reasons.append("Chưa rõ có ý nghĩ tự làm hại hay không")
    if maybe(a.plan):
        reasons.append("Có thể đã có kế hoạch" if a.plan is Answer.UNSURE else "Có kế hoạch")
    if a.means is Answer.YES:
        reasons.append("Có sẵn phương tiện")
    if reasons:
        return Assessment(RiskLevel.HIGH, tuple(reasons))
    return Assessment(RiskLevel.CONCERN, ("Không có ý nghĩ hay kế hoạch tự làm hại lúc này",))


def assess_abuse(a: AbuseAnswers, category: str | None) -> Assessment:
    """Imminent when not safe or the person is near; otherwise the category's risk (≤ high)."""
    reasons: list[str] = []
    if a.safe_now is Answer.NO:
        reasons.append("Trẻ không an toàn lúc này")
    if a.person_near is Answer.YES:
        reasons.append("Người gây hại đang ở gần")
    if reasons:
        return Assessment(RiskLevel.IMMINENT, tuple(reasons))
    base = RiskLevel(default_risk(category))
    risk = min(base, RiskLevel.HIGH) if base is not RiskLevel.NONE else RiskLevel.CONCERN
    if a.safe_now is Answer.UNSURE:
        reasons.append("Chưa rõ trẻ có an toàn lúc này không")
    if a.person_near is Answer.UNSURE:
        reasons.append("Chưa rõ người gây hại có ở gần không")
    if a.age is not None and a.age < 10:
        reasons.append("Trẻ nhỏ (dưới 10 tuổi)")
    if reasons:
        risk = RiskLevel.HIGH
    else:
        reasons.append("Trẻ đang an toàn, người gây hại không ở gần")
    return Assessment(risk, tuple(reasons))


def assess(kind: AssessmentKind, answers: SelfHarmAnswers | AbuseAnswers,
           category: str | None = None) -> Assessment:
    """The risk set by an assessment of either kind."""
    if kind is AssessmentKind.SELF_HARM:
        assert isinstance(answers, SelfHarmAnswers)
        return assess_self_harm(answers)
    assert isinstance(answers, AbuseAnswers)
    return assess_abuse(answers, category)


def _choice(raw: Mapping[str, Any], name: str, kind: type[StrEnum]) -> Any:
    value = raw.get(name)
    try:
        return kind(str(value))
    except ValueError:
        raise InvalidAssessment(f"{name}: {value!r}") from None


def parse_answers(kind: str, raw: Mapping[str, Any]) -> tuple[AssessmentKind,
                                                               SelfHarmAnswers | AbuseAnswers]:
    """The answers from a form (every question answered, values known), or InvalidAssessment."""
    chosen = _choice({"kind": kind}, "kind", AssessmentKind)
    if chosen is AssessmentKind.SELF_HARM:
        return chosen, SelfHarmAnswers(
            thoughts=_choice(raw, "thoughts", Answer), plan=_choice(raw, "plan", Answer),
            means=_choice(raw, "means", Answer), timeframe=_choice(raw, "timeframe", Timeframe))
    age = raw.get("age")
    if age in (None, ""):
        age = None
    elif isinstance(age, bool) or not isinstance(age, int | str) or not str(age).isdigit() or not (
        0 <= int(age) <= 17
    ):
        raise InvalidAssessment(f"age: {age!r}")
    place = raw.get("place") or ""
    if not isinstance(place, str) or len(place) > MAX_PLACE:
        raise InvalidAssessment("place")
    level = _choice(raw, "place_level", PlaceLevel)
    return chosen, AbuseAnswers(
        safe_now=_choice(raw, "safe_now", Answer), person_near=_choice(raw, "person_near", Answer),
        age=None if age is None else int(age), place_level=level,
        place="" if level is PlaceLevel.NOT_SHARED else " ".join(place.split()))


def answers_record(answers: SelfHarmAnswers | AbuseAnswers) -> dict[str, Any]:
    """The answers as stored (plain JSON)."""
    return {key: (str(value) if isinstance(value, StrEnum) else value)
            for key, value in asdict(answers).items()}
