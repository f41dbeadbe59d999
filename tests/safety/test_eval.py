"""The safety evaluation set: recall, false escalation, categories, 111 in every reply, speed."""

from __future__ import annotations

import time

import pytest

from bot.safety import SafetyResult, screen
from bot.safety.evaluate import (
    EVAL_FILE,
    Case,
    Report,
    evaluate,
    latencies_us,
    load_cases,
    percentile,
)


@pytest.fixture(scope="module")
def report() -> Report:
    """The screen run once over the whole evaluation set."""
    return evaluate(load_cases(EVAL_FILE))


def _listing(pairs: list[tuple[Case, SafetyResult]]) -> str:
    return "\n".join(f"  {case.text!r} -> {result}" for case, result in pairs)


def test_eval_set_is_big_enough() -> None:
    cases = load_cases(EVAL_FILE)
    groups = {g: [c for c in cases if c.group == g] for g in ("risky", "benign", "human")}
    assert len(groups["risky"]) >= 150 and len(groups["benign"]) >= 150
    assert {c.who for c in groups["risky"]} == {"child", "parent"}
    assert {c.kind for c in groups["benign"]} >= {"idiom", "general", "chat"}
    categories = {c.categories[0] for c in groups["risky"]}
    assert len(categories) >= 11


def test_recall_on_risky(report: Report) -> None:
    assert report.recall >= 0.98, f"recall {report.recall:.3f}, misses:\n{_listing(report.misses)}"


def test_false_escalation_on_benign(report: Report) -> None:
    rate = report.false_escalation_rate
    assert rate <= 0.05, f"false escalation {rate:.3f}:\n{_listing(report.false_alarms)}"


def test_requests_for_a_person(report: Report) -> None:
    assert report.humans_caught == report.human


def test_category_sanity(report: Report) -> None:
    accuracy = report.category_accuracy
    assert accuracy >= 0.9, f"category accuracy {accuracy:.3f}:\n{_listing(report.wrong_category)}"
    for category, count in report.per_category.items():
        assert report.per_category_caught[category] / count >= 0.9, category


def test_general_questions_are_marked(report: Report) -> None:
    general = [c for c in load_cases(EVAL_FILE) if c.kind == "general"]
    marked = [c for c in general if screen(c.text).general_question]
    assert len(marked) / len(general) >= 0.6


def test_111_in_every_escalation_reply() -> None:
    from bot.handoff.replies import escalation_reply

    escalated = [screen(c.text) for c in load_cases(EVAL_FILE)]
    checked = 0
    for verdict in escalated:
        if not verdict.escalate:
            continue
        risk = verdict.risk.value if verdict.risk.value != "none" else "concern"
        for source in ("screen", "parent", "request"):
            reply = escalation_reply(verdict.category, risk, source=source)
            assert "111" in reply, (verdict, source)
            checked += 1
        if risk == "imminent":
            assert "113" in escalation_reply(verdict.category, risk)
    assert checked > 300


def test_screen_is_fast() -> None:
    """Under 1 ms a message at p99, in CPU time (wall time on a busy CI box is noise)."""
    texts = [c.text for c in load_cases(EVAL_FILE)]
    timings = latencies_us(texts, rounds=5, clock=time.thread_time_ns)
    assert percentile(timings, 99) < 1000, f"p99 {percentile(timings, 99):.0f} us"
