"""The triage: the one place where a handoff is decided. A pure function of its signals.

Signals: the rule screen (rule ids, flags), the learned classifier's scores, the conversation's
context (state, the quiz or lesson on screen, the buttons just offered, the user's last few
messages) and, when it answered in time, Rasa's risk intent with its confidence. The decision is
`answer`, `review` (doubt: answered as usual, listed for a counsellor) or `escalate` (a case),
with the risk, the category and the reasons a counsellor reads beside the case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot import speaker
from bot.safety.fusion import Fusion
from bot.safety.fusion import features as fusion_features
from bot.safety.learned import LearnedScores
from bot.safety.result import SafetyResult
from common.safety_data import BotTurn
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
    """The triage's cut-offs besides the fused layer's own (which are trained)."""

    rasa_escalate: float = 0.90  # Rasa's confidence that, with support, escalates
    rasa_review: float = 0.95  # Rasa's confidence that alone gives a review (tuned on blind r2)
    build_up_cues: int = 3  # distinct grooming cues over the last messages that escalate
    human: float = 0.60  # the learned head that reads a request for a person
    # A parent's message that tells little itself (learned risky under this, no rule) and is
    # escalated only by the conversation's earlier messages is a doubt, not a handoff: a parent
    # asking FAQs about abuse, then "con tôi bị sốt 39 độ", was handed to a counsellor.
    parent_own_risky: float = 0.30


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
RAISE_ALONE = 0.99  # the fused score that raises an open case's risk without a rule
CATEGORY_FLOOR = 0.3  # a learned category weaker than this is not named
ALWAYS_ESCALATE_RULES = frozenset({"self_harm.method_question", "other.is_it_ok"})
_ANSWER_LETTER = re.compile(r"^(?:(?:dap an|chon|cau|y|la)\s+)*([abcd])(?:\s|$)")


def answers_on_screen(text: str, context: Context) -> bool:
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


def _cue_count(recent: tuple[Recent, ...], cues: tuple[str, ...]) -> int:
    """Distinct grooming cues over this message and the last ones (gifts, secrecy, photos ...)."""
    seen = set(cues)
    for r in recent[-6:]:
        seen.update(r.cues)
    return len(seen)


def decide(
    screen: SafetyResult,
    learned: LearnedScores | None,
    context: Context | None = None,
    rasa: RasaSignal | None = None,
    *,
    text: str = "",
    fusion: Fusion | None = None,
    limits: Thresholds = DEFAULT_THRESHOLDS,
) -> Triage:
    """Decide one message: answer, review or escalate, with risk, category and reasons."""
    context = context or Context()
    reasons: list[str] = []
    rules = tuple(r for r in screen.matched if r != "request_human")
    rule_hit = bool(rules) and not screen.general_question
    learned_category = learned.category if learned is not None else None
    if learned is not None and learned_category is not None and (
        learned.categories[learned_category] < CATEGORY_FLOOR
    ):
        learned_category = None
    category = screen.category or learned_category
    score = 0.0

    def result(decision: Decision, risk: RiskLevel | str, category: str | None,
               request: bool = False) -> Triage:
        level = RiskLevel(str(risk))
        if decision is not Decision.ANSWER and level is RiskLevel.NONE:
            level = RiskLevel.CONCERN
        if decision is Decision.ANSWER:
            level, category = RiskLevel.NONE, None
        return Triage(decision, level, category, tuple(reasons), score, request, rules)

    def risk_of(category: str | None) -> RiskLevel:
        return max_risk(screen.risk if rule_hit else None, default_risk(category))

    if rules:
        reasons.append("rules: " + ", ".join(rules) + (" (as a question)"
                                                       if screen.general_question else ""))
    if learned is not None:
        top = learned.category
        reasons.append(f"learned: risky {learned.risky:.2f}"
                       + (f", {top} {learned.categories[top]:.2f}" if top else "")
                       + (f", general {learned.general:.2f}" if learned.general >= 0.3 else ""))
    else:
        reasons.append("learned: unavailable")
    if rasa is not None:
        reasons.append(f"rasa: {rasa.intent} {rasa.confidence:.2f}")

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
        score = 1.0
        reasons.append("always escalates: " + ", ".join(hard))
        return result(Decision.ESCALATE, risk_of(screen.category), screen.category)

    on_screen = context.activity in (Activity.QUIZ, Activity.LESSON)
    answers = answers_on_screen(text, context) and not screen.disclosure
    if answers:
        reasons.append(f"answers the {context.activity.value} on screen")

    # 3. The fused score of rules, learned heads and context decides; without the learned
    #    signal the rules decide alone (safety first: never less than the rules).
    if learned is not None and fusion is not None:
        x = fusion_features(screen, learned, on_screen=on_screen, answers=answers,
                            recent=tuple(r.risky for r in context.recent[-4:]),
                            parent=context.speaker == "parent")
        score = fusion.score(x)
        reasons.append(f"fused {score:.2f} (escalate at {fusion.escalate_at:.2f}, "
                       f"review at {fusion.review_at:.2f})")
        if score >= fusion.escalate_at:
            decision = Decision.ESCALATE
        elif score >= fusion.review_at:
            decision = Decision.REVIEW
        else:
            decision = Decision.ANSWER
        if (decision is Decision.ESCALATE and context.speaker == "parent" and context.recent
                and not rule_hit and learned.risky < limits.parent_own_risky):
            alone = fusion.score(fusion_features(screen, learned, on_screen=on_screen,
                                                 answers=answers, parent=True))
            if alone < fusion.escalate_at:
                reasons.append(f"escalated only by earlier messages (alone {alone:.2f}): a doubt")
                decision = Decision.REVIEW
        # danger now or self-harm by a rule: a doubt is enough to escalate, a rule hit is never
        # less than a doubt (safety first; the fused score alone may have learned otherwise)
        if rule_hit and not answers and screen.risk >= RiskLevel.HIGH:
            if screen.risk is RiskLevel.IMMINENT and decision is Decision.REVIEW:
                reasons.append("a rule reads danger now")
                decision = Decision.ESCALATE
            elif decision is Decision.ANSWER:
                reasons.append("a rule hit is at least a doubt")
                decision = Decision.REVIEW
        wants_person = screen.request_human or learned.human >= limits.human
    else:
        score = 0.9 if rule_hit else 0.0
        decision = Decision.ESCALATE if rule_hit and not answers else Decision.ANSWER
        if rule_hit and answers:
            decision = Decision.REVIEW
        wants_person = screen.request_human or (
            learned is not None and learned.human >= limits.human
        )

    # 4. Rasa's risk intent: one more signal, weighed with its confidence.
    if rasa is not None and rasa.category not in (None, "other") and decision is not (
        Decision.ESCALATE
    ):
        if rasa.confidence >= limits.rasa_escalate and decision is Decision.REVIEW:
            reasons.append("rasa agrees with the doubt")
            decision = Decision.ESCALATE
            category = category or rasa.category
        elif rasa.confidence >= limits.rasa_review and decision is Decision.ANSWER and not answers:
            reasons.append("rasa in doubt")
            decision = Decision.REVIEW
            category = category or rasa.category

    # 5. Risk that builds up over the last messages (gifts, then secrecy, then photos ...).
    if decision is not Decision.ESCALATE and screen.cues and (
        _cue_count(context.recent, screen.cues) >= limits.build_up_cues
    ):
        reasons.append("grooming cues built up over the last messages")
        decision = Decision.ESCALATE
        category = "online_abuse"

    # 6. A request for a person: escalate; as a disclosure when a risk was told too.
    if wants_person and not answers:
        reasons.append("asks for a person")
        told = rule_hit or (decision is Decision.ESCALATE and learned is not None
                            and learned.risky >= learned.human)
        if told:
            return result(Decision.ESCALATE, risk_of(category), category)
        return result(Decision.ESCALATE, RiskLevel.CONCERN, "other", request=True)
    if (rasa is not None and rasa.category == "other" and rasa.confidence >= limits.rasa_escalate
            and decision is Decision.ANSWER and not answers
            and learned is not None and learned.human >= limits.human / 2):
        reasons.append("rasa: asks for a person")
        return result(Decision.ESCALATE, RiskLevel.CONCERN, "other", request=True)

    # 7. A parent's general question never escalates.
    if decision is Decision.ESCALATE and context.speaker == "parent" and (
        screen.general_question and not screen.disclosure
    ):
        reasons.append("a parent's general question")
        decision = Decision.REVIEW

    if decision is Decision.ANSWER:
        return result(Decision.ANSWER, RiskLevel.NONE, None)
    return result(decision, risk_of(category), category)


def with_case(triage: Triage, case_risk: str | None) -> Triage:
    """Inside an open case a message never opens a second one: only a higher risk counts, and
    only when a rule reads it too or the fused score is near certain (a counsellor reads every
    message of the case anyway; a raise reorders the queue and repeats the hotlines)."""
    if case_risk is None or not triage.escalate:
        return triage
    if triage.risk > RiskLevel(case_risk) and (triage.rules or triage.score >= RAISE_ALONE):
        return replace(triage, reasons=triage.reasons + (f"raises the case from {case_risk}",))
    return replace(triage, decision=Decision.ANSWER)


def context_from_history(
    history: tuple[object, ...],
    seen: Callable[[object], tuple[float, tuple[str, ...]]],
    text: str = "",
) -> Context:
    """The context of a labelled conversation turn: the bot's last turn, the earlier messages
    and who is speaking (guessed from the user's turns and `text`, as the gateway would).

    `history` holds `BotTurn`s and earlier user samples (common.safety_data); `seen` gives an
    earlier sample's learned risky score and grooming cues, as the gateway stored them.
    """
    activity = Activity.CHAT
    options: tuple[str, ...] = ()
    recent: list[Recent] = []
    who = speaker.UNKNOWN
    for turn in history:
        if isinstance(turn, BotTurn):
            activity = Activity(turn.context if turn.context in ("quiz", "lesson", "menu")
                                else "chat")
            options = tuple(turn.buttons)
        else:
            risky, cues = seen(turn)
            recent.append(Recent(risky=risky, cues=cues))
            who = speaker.guess(str(getattr(turn, "text", "")), who)
            activity, options = Activity.CHAT, ()
    return Context(activity=activity, options=options, recent=tuple(recent[-5:]),
                   speaker=speaker.as_audience(speaker.guess(text, who)))
