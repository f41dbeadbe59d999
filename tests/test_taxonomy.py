"""One taxonomy: Rasa's domain, its rules and the training builder agree with common.taxonomy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from bot.safety.result import CATEGORIES as SCREEN_CATEGORIES
from common.taxonomy import (
    CATEGORIES,
    DEFAULT_RISK,
    HANDOFF_INTENTS,
    RISK_CATEGORIES,
    RISK_INTENTS,
    RiskLevel,
    default_risk,
    intent_category,
    max_risk,
)

ROOT = Path(__file__).resolve().parents[1]


def test_domain_has_every_risk_intent_and_no_other() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    risk_intents = {i for i in domain["intents"] if str(i).startswith("risk_")}
    assert risk_intents == set(RISK_INTENTS)
    assert "request_human" in domain["intents"]


def test_every_handoff_intent_has_a_rule_to_action_handoff() -> None:
    rules = yaml.safe_load((ROOT / "nlu_data" / "rules.yml").read_text(encoding="utf-8"))
    mapped = {
        rule["steps"][0]["intent"]
        for rule in rules["rules"]
        if {"action": "action_handoff"} in rule["steps"]
    }
    assert mapped == set(HANDOFF_INTENTS)


def test_builder_writes_only_domain_intents(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_training_data", ROOT / "scripts" / "build_training_data.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.main(["--out", str(tmp_path)]) == 0
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    written = yaml.safe_load((tmp_path / "nlu_safety_dev.yml").read_text(encoding="utf-8"))
    intents = {item["intent"] for item in written["nlu"]}
    assert intents <= set(domain["intents"])
    assert set(RISK_INTENTS) <= intents  # the safety data teaches every risk intent


def test_categories_levels_and_defaults() -> None:
    assert SCREEN_CATEGORIES == CATEGORIES and set(DEFAULT_RISK) == set(CATEGORIES)
    assert set(RISK_CATEGORIES) == set(CATEGORIES) - {"other"}
    assert intent_category("risk_self_harm") == "self_harm"
    assert intent_category("request_human") == "other" and intent_category("greet") is None
    assert default_risk("self_harm") == "imminent" and default_risk(None) == "concern"
    assert max_risk("concern", RiskLevel.HIGH, None) is RiskLevel.HIGH
    assert max_risk() is RiskLevel.NONE
    assert RiskLevel("high") > "concern" and str(RiskLevel.IMMINENT) == "imminent"
