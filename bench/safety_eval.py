"""Bench for the safety screen: recall, false escalation, per-category recall, misses, latency.

Run from the repository root: `.venv/bin/python bench/safety_eval.py [--rounds 20]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.safety.evaluate import (  # noqa: E402
    EVAL_FILE,
    Case,
    evaluate,
    latencies_us,
    load_cases,
    percentile,
)
from bot.safety.screen import screen  # noqa: E402


def reply_check(cases: list[Case]) -> str:
    """Check that every escalation reply for the escalated eval messages gives 111."""
    try:
        from bot.handoff.replies import escalation_reply
    except Exception as exc:  # noqa: BLE001 - report any import problem, do not hide it
        return f"111 in every escalation reply: NOT CHECKED (cannot import escalation_reply: {exc})"
    total = missing = 0
    for case in cases:
        verdict = screen(case.text)
        if not verdict.escalate:
            continue
        for source in ("screen", "parent", "request"):
            total += 1
            risk = verdict.risk.value if verdict.risk.value != "none" else "concern"
            if "111" not in escalation_reply(verdict.category, risk, source=source):
                missing += 1
    return f"111 in every escalation reply: {total - missing}/{total} replies" + (
        "" if missing == 0 else "  <-- FAIL"
    )


def main() -> int:
    """Print the figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", default=str(EVAL_FILE))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    cases = load_cases(args.file)
    report = evaluate(cases)
    print(f"eval set: {args.file}")
    print(f"risky {report.risky}, asking for a person {report.human}, benign {report.benign}")
    print(f"recall on risky:        {report.recall:.3f} ({report.caught}/{report.risky})")
    print(
        f"false escalation rate:  {report.false_escalation_rate:.3f} "
        f"({report.false_escalations}/{report.benign})"
    )
    print(f"request for a person:   {report.humans_caught}/{report.human}")
    print(
        f"category accuracy:      {report.category_accuracy:.3f} "
        f"({report.category_right}/{report.caught})"
    )
    print("per-category recall:")
    for category, count in sorted(report.per_category.items()):
        caught = report.per_category_caught[category]
        print(f"  {category:<18} {caught / count:.3f} ({caught}/{count})")
    print("misses (risky or asking for a person, not escalated):")
    for case, result in report.misses:
        print(
            f"  - [{case.categories[0] if case.categories else 'human'}] {case.text!r} -> "
            f"{result.risk.value} general={result.general_question}"
        )
    print("false escalations (benign, escalated):")
    for case, result in report.false_alarms:
        print(
            f"  - [{case.kind}] {case.text!r} -> {result.risk.value} {result.category} "
            f"{list(result.matched)}"
        )
    print("category mismatches (escalated, other category):")
    for case, result in report.wrong_category:
        print(f"  - {case.text!r}: expected {'/'.join(case.categories)}, got {result.category}")
    texts = [c.text for c in cases]
    timings = latencies_us(texts, args.rounds)
    cpu = latencies_us(texts, args.rounds, clock=time.thread_time_ns)
    for label, values in (("wall", timings), ("cpu ", cpu)):
        print(
            f"latency ({label}) over {len(values)} screens ({args.rounds} rounds): "
            f"p50 {percentile(values, 50):.0f} us, p95 {percentile(values, 95):.0f} us, "
            f"p99 {percentile(values, 99):.0f} us, max {values[-1]:.0f} us"
        )
    print(reply_check(cases))
    ok = (
        report.recall >= 0.98
        and report.false_escalation_rate <= 0.05
        and percentile(cpu, 99) < 1000
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
