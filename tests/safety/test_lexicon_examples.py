"""Every safety rule carries a message it must match and a near miss it must not.

The examples live beside the rules (`example:` and `not:` in content/safety/lexicon/*.yml), so
whoever edits a pattern sees at once what it is for and what it must leave alone.
"""

from __future__ import annotations

import pytest

from bot.safety import load_lexicon, screen

RULES = load_lexicon().rules


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_has_examples(rule):
    assert rule.examples, f"{rule.id} ({rule.source}) has no `example:` it must match"
    assert rule.counter_examples, f"{rule.id} ({rule.source}) has no `not:` near miss"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_matches_its_examples(rule):
    for text in rule.examples:
        matched = screen(text).matched
        assert rule.id in matched, f"{rule.id} does not match its example {text!r} (got {matched})"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_leaves_its_near_misses(rule):
    for text in rule.counter_examples:
        matched = screen(text).matched
        assert rule.id not in matched, f"{rule.id} matches its near miss {text!r} ({matched})"
