"""The triage: the one place where a handoff is decided. A pure function of its signals.

Signals: the rule screen (rule ids, flags), the learned classifier's scores, the conversation's
context (state, the quiz or lesson on screen, the buttons just offered, the user's last few
messages) and, when it answered in time, Rasa's risk intent with its confidence. The decision is
`answer`, `review` (doubt: answered as usual, listed for a counsellor) or `escalate` (a case),
with the risk, the category and the reasons a counsellor reads beside the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.safety.learned import LearnedScores
from bot.safety.result import SafetyResult
from common.taxonomy import RiskLevel, default_risk, intent_category, max_risk
from common.vietnamese import normalize


class Decision(StrEnum):
    """What happens to a message."""

    ANSWER = "answer"
    REVIEW = "review"
    ESCALATE = "escalate"


class Activity(StrEnum):
    """What the bot had on screen when the message came."""

    CHAT = "chat"
    QUIZ = "quiz"
    LESSON = "lesson"
    MENU = "menu"


@dataclass(frozen=True)
class Recent:
    """One of the user's earlier messages, as the triage saw it (no text)."""

    risky: float = 0.0
    category: str | None = None
    cues: tuple[str, ...] = ()
    decision: str = Decision.ANSWER


@dataclass(frozen=True)
class Context:
    """The conversation around the message."""

    state: str = "bot"  # bot | waiting | counsellor
    activity: Activity = Activity.CHAT
    options: tuple[str, ...] = ()  # titles of the buttons just offered
    tapped: str | None = None  # the offered payload this message is, if it is one
    recent: tuple[Recent, ...] = ()  # newest last, within the last day
    case_risk: str | None = None
    speaker: str = "child"  # child | parent (unsure: child)


@dataclass(frozen=True)
class RasaSignal:
    """Rasa's top intent when it is a risk intent or a request for a person."""

    intent: str
    confidence: float

    @property
    def category(self) -> str | None:
        """The category of the intent."""
        return intent_category(self.intent)


@dataclass(frozen=True)
class Thresholds:
    """The triage's cut-offs, tuned on out-of-fold scores of the training data only."""

    escalate: float = 0.80  # learned risky alone
    review: float = 0.40  # learned risky alone
    rule_veto: float = 0.15  # a rule hit with the learned score below this is only reviewed
    general: float = 0.60  # learned "general question" above this softens
    human: float = 0.75  # learned request for a person
    rasa_escalate: float = 0.90  # Rasa's confidence that, with learned support, escalates
    rasa_support: float = 0.35  # the learned score that supports Rasa
    rasa_review: float = 0.60  # Rasa's confidence that alone gives a review
    build_up: float = 0.90  # combined risk of the last messages that escalates
    build_up_cues: int = 3  # distinct grooming cues over the last messages that escalate


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Triage:
    """The decision on one message, with why."""

    decision: Decision
    risk: RiskLevel = RiskLevel.NONE
    category: str | None = None
    reasons: tuple[str, ...] = ()
    score: float = 0.0
    request: bool = False  # a request for a person rather than a disclosure
    rules: tuple[str, ...] = field(default=())

    @property
    def escalate(self) -> bool:
        """A case opens."""
        return self.decision is Decision.ESCALATE

    def as_dict(self) -> dict[str, object]:
        """For storage beside the message (no text) and for the console."""
        return {
            "decision": self.decision.value,
            "risk": self.risk.value,
            "category": self.category,
            "score": round(self.score, 3),
            "reasons": list(self.reasons),
            "request": self.request,
        }


# Rule ids that always escalate, question or not: asking for a way to die or to be hurt, asking
# whether what someone did to oneself is "OK", danger now.
ALWAYS_ESCALATE_RULES = frozenset({"self_harm.method_question", "other.is_it_ok"})
_ANSWER_LETTER = re.compile(r"^(?:(?:dap an|chon|cau|y|la)\s+)*([abcd])(?:\s|$)")


def _answers_on_screen(text: str, context: Context) -> bool:
    """The message reads as an answer to the quiz or lesson question on screen."""
    if context.activity not in (Activity.QUIZ, Activity.LESSON):
        return False
    folded = normalize(text).folded
    words = folded.split()
    if not words:
        return False
    if _ANSWER_LETTER.match(folded) and len(words) <= 6:
        return True
    for option in context.options:
        option_words = set(normalize(option).folded.split())
        if option_words and len(option_words & set(words)) / len(option_words) >= 0.6:
            return True
    return len(words) <= 3


def _built_up(recent: tuple[Recent, ...], now: LearnedScores | None, cues: tuple[str, ...],
              limits: Thresholds) -> tuple[float, int]:
    """Combined risk of the last messages and the distinct grooming cues seen across them."""
    risks = [r.risky for r in recent[-4:]] + [now.risky if now else 0.0]
    combined = 1.0
    for risk in risks:
        combined *= 1.0 - min(max(risk, 0.0), 0.99)
    seen = set(cues)
    for r in recent[-6:]:
        seen.update(r.cues)
    return 1.0 - combined, len(seen)


def decide(
    screen: SafetyResult,
    learned: LearnedScores | None,
    context: Context | None = None,
    rasa: RasaSignal | None = None,
    *,
    text: str = "",
    limits: Thresholds = DEFAULT_THRESHOLDS,
) -> Triage:
    """Decide one message: answer, review or escalate, with risk, category and reasons."""
    context = context or Context()
    reasons: list[str] = []
    rules = tuple(r for r in screen.matched if r != "request_human")
    risky = learned.risky if learned is not None else None
    general = learned.general if learned is not None else 0.0
    score = max(risky or 0.0, 0.9 if rules and not screen.general_question else 0.0)

    def result(decision: Decision, risk: RiskLevel | str, category: str | None,
               request: bool = False) -> Triage:
        level = RiskLevel(str(risk))
        if decision is Decision.ESCALATE and level is RiskLevel.NONE:
            level = RiskLevel.CONCERN
        return Triage(decision, level, category, tuple(reasons), score, request, rules)

    if rules:
        reasons.append("rules: " + ", ".join(rules))
    if learned is not None:
        reasons.append(f"learned: risky {learned.risky:.2f}"
                       + (f" ({learned.category} {learned.categories[learned.category]:.2f})"
                          if learned.category else "")
                       + (f", general {learned.general:.2f}" if learned.general >= 0.3 else ""))
    else:
        reasons.append("learned: unavailable")
    if rasa is not None:
        reasons.append(f"rasa: {rasa.intent} {rasa.confidence:.2f}")
    category = screen.category or (learned.category if learned else None)

    # 1. A button the bot offered: our own text, never a disclosure (a request is a request).
    if context.tapped is not None:
        if context.tapped.startswith("/request_human"):
            reasons.append("tapped: talk to a person")
            return result(Decision.ESCALATE, RiskLevel.CONCERN, "other", request=True)
        reasons.append("tapped an offered button")
        return result(Decision.ANSWER, RiskLevel.NONE, None)

    # 2. Always escalate: asking how to die or be hurt, "is it OK that he did this to me".
    hard = sorted(set(rules) & ALWAYS_ESCALATE_RULES)
    if hard:
        reasons.append("always escalates: " + ", ".join(hard))
        return result(Decision.ESCALATE, max_risk(screen.risk, default_risk(screen.category)),
                      screen.category)

    # 3. Quiz or lesson answers on screen are not disclosures unless something happened.
    answering = _answers_on_screen(text, context) and not screen.disclosure
    if answering and (risky is None or risky < limits.escalate):
        reasons.append(f"answers the {context.activity.value} on screen")
        if (risky or 0.0) >= limits.review or (rules and not screen.general_question):
            return result(Decision.REVIEW, RiskLevel.CONCERN, category)
        return result(Decision.ANSWER, RiskLevel.NONE, None)

    # 4. The rule screen.
    decision = Decision.ANSWER
    risk = RiskLevel.NONE
    if rules and not screen.general_question:
        risk = screen.risk
        if risky is not None and risky < limits.rule_veto and screen.risk < RiskLevel.IMMINENT:
            reasons.append("rules and learned disagree")
            decision = Decision.REVIEW
        elif general >= limits.general and not screen.disclosure and risk < RiskLevel.IMMINENT:
            reasons.append("reads as a general question")
            decision = Decision.REVIEW
        else:
            decision = Decision.ESCALATE
    elif rules:  # a rule topic asked as a general question
        reasons.append("general question on a risk topic")
        decision = Decision.REVIEW if (risky or 0.0) >= limits.review else Decision.ANSWER

    # 5. The learned signal catches what no rule foresaw.
    if risky is not None and decision is not Decision.ESCALATE:
        learned_risk = RiskLevel(default_risk(learned.category if learned else None))
        asks_generally = general >= limits.general and not screen.disclosure
        if risky >= limits.escalate and not asks_generally and not screen.general_question:
            reasons.append("learned signal high")
            decision, risk = Decision.ESCALATE, max_risk(risk, learned_risk)
            category = category or (learned.category if learned else None)
        elif risky >= limits.review and decision is Decision.ANSWER:
            reasons.append("learned signal in doubt")
            decision, risk = Decision.REVIEW, max_risk(risk, RiskLevel.CONCERN)
            category = category or (learned.category if learned else None)

    # 6. Rasa's risk intent: one more signal, weighed with its confidence.
    if rasa is not None and rasa.category not in (None, "other") and decision is not (
        Decision.ESCALATE
    ):
        supported = (risky or 0.0) >= limits.rasa_support or bool(rules)
        if rasa.confidence >= limits.rasa_escalate and supported and not screen.general_question:
            reasons.append("rasa and learned agree")
            decision = Decision.ESCALATE
            risk = max_risk(risk, default_risk(rasa.category))
            category = category or rasa.category
        elif rasa.confidence >= limits.rasa_review and decision is Decision.ANSWER:
            reasons.append("rasa in doubt")
            decision, risk = Decision.REVIEW, max_risk(risk, RiskLevel.CONCERN)
            category = category or rasa.category

    # 7. Risk that builds up over the last messages (gifts, then secrecy, then photos ...).
    if decision is not Decision.ESCALATE and context.recent:
        combined, cue_count = _built_up(context.recent, learned, screen.cues, limits)
        if (cue_count >= limits.build_up_cues and screen.cues) or (
            combined >= limits.build_up and (risky or 0.0) >= limits.review / 2
        ):
            reasons.append(f"risk built up over the last messages ({combined:.2f}, "
                           f"{cue_count} cues)")
            decision = Decision.ESCALATE
            category = category or "online_abuse"
            risk = max_risk(risk, default_risk(category))

    # 8. A request for a person.
    wants_person = screen.request_human or (
        learned is not None and learned.human >= limits.human
    )
    if wants_person and decision is not Decision.ESCALATE:
        reasons.append("asks for a person")
        return result(Decision.ESCALATE, RiskLevel.CONCERN, category or "other",
                      request=decision is Decision.ANSWER)
    if (rasa is not None and rasa.category == "other" and rasa.confidence >= limits.rasa_review
            and decision is Decision.ANSWER and context.activity != Activity.QUIZ):
        reasons.append("rasa: asks for a person")
        return result(Decision.ESCALATE, RiskLevel.CONCERN, "other", request=True)

    # 9. A parent's general question never escalates.
    if decision is Decision.ESCALATE and context.speaker == "parent" and (
        screen.general_question or (general >= limits.general and not screen.disclosure)
    ):
        reasons.append("a parent's general question")
        decision = Decision.REVIEW

    if decision is Decision.ANSWER:
        return result(Decision.ANSWER, RiskLevel.NONE, None)
    return result(decision, risk, category)


def with_case(triage: Triage, case_risk: str | None) -> Triage:
    """Inside an open case a message never opens a second one: only a higher risk counts."""
    if case_risk is None or not triage.escalate:
        return triage
    if triage.risk > RiskLevel(case_risk):
        return replace(triage, reasons=triage.reasons + (f"raises the case from {case_risk}",))
    return replace(triage, decision=Decision.ANSWER)
