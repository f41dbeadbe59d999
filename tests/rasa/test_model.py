"""The trained model: data validation, conversation tests and held-out NLU accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.nlu_eval import HELDOUT, evaluate
from bench.nlu_labels import load_labelled
from bench.nlu_report import Report
from common.speaker import address_of
from tests.rasa.rasa_env import MODEL, RASA_PYTHON, ROOT, run_rasa

# Regression floors on tests/nlu_heldout.yml, a little under what the trained model measures
# (docs/measurements/2026-12-02-faq-retriever.txt: intent 0.933, unaccented 0.954, FAQ right
# answer 0.975 on its 40 FAQ items, where one item is 0.025 and a retraining moves a few). The
# targets themselves are judged on the blind sets with bench/nlu_eval.py, not here.
MIN_ACCURACY = 0.91
MIN_UNACCENTED_ACCURACY = 0.92
MIN_FAQ_RIGHT = 0.92


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated training data (unaccented copies, FAQ responses) in a temporary directory."""
    import subprocess

    from tests.rasa.rasa_env import rasa_env

    out = tmp_path_factory.mktemp("build")
    result = subprocess.run(
        [str(RASA_PYTHON), "scripts/build_training_data.py", "--out", str(out)],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_rasa_data_validate(build_dir: Path) -> None:
    result = run_rasa(
        ["data", "validate", "--data", "nlu_data", str(build_dir),
         "--domain", "domain.yml", "--config", "config.yml"],
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_conversation_stories(tmp_path: Path) -> None:
    assert MODEL.exists(), "no trained model: run `make train`"
    result = run_rasa(
        ["test", "core", "--stories", "tests/test_stories.yml", "--model", str(MODEL),
         "--out", str(tmp_path), "--fail-on-prediction-errors"],
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, (detail + result.stdout + result.stderr)[-6000:]


@pytest.fixture(scope="module")
def heldout_report(rasa_stack: Any) -> Report:
    """The trained model's predictions on the held-out set (never used in training)."""
    return evaluate(rasa_stack.rasa_url, load_labelled(HELDOUT), replies=False)


def test_heldout_set_is_big_enough(heldout_report: Report) -> None:
    assert heldout_report.count() >= 200
    assert heldout_report.count(True) >= heldout_report.count() / 2 - 1


def test_heldout_intent_accuracy(heldout_report: Report) -> None:
    errors = "\n".join(f"{t!r}: {g} -> {p}" for t, g, p in heldout_report.errors())
    assert heldout_report.accuracy() >= MIN_ACCURACY, errors


def test_heldout_unaccented_accuracy(heldout_report: Report) -> None:
    errors = "\n".join(
        f"{t!r}: {g} -> {p}" for t, g, p in heldout_report.errors() if t.isascii()
    )
    assert heldout_report.accuracy(unaccented=True) >= MIN_UNACCENTED_ACCURACY, errors


def test_heldout_faq_right_answer(heldout_report: Report) -> None:
    errors = "\n".join(
        f"{t!r}: {g} -> {p}" for t, g, p in heldout_report.errors() if g.startswith("faq/")
    )
    assert heldout_report.faq_right() >= MIN_FAQ_RIGHT, errors


def _chat(
    rasa_url: str, sender: str, message: str, metadata: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"sender": sender, "message": message}
    if metadata:
        body["metadata"] = metadata
    response = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    response.raise_for_status()
    replies: list[dict[str, Any]] = response.json()
    return replies


def test_lesson_flow_keeps_progress(rasa_stack: Any) -> None:
    url, user = rasa_stack.rasa_url, "test-lesson-user"
    first = _chat(url, user, "cho em hoc bai ve an toan co the")
    assert any("/inform_age" in b["payload"] for r in first for b in r.get("buttons", []))
    step = _chat(url, user, '/inform_age{"age_band":"6-10"}')
    assert any(b["payload"] == "/next_step" for r in step for b in r.get("buttons", []))
    replies: list[dict[str, Any]] = step
    for _ in range(8):
        if any("/answer" in b["payload"] for r in replies for b in r.get("buttons", [])):
            break
        replies = _chat(url, user, "/next_step")
    assert any("/answer" in b["payload"] for r in replies for b in r.get("buttons", []))
    done = _chat(url, user, '/answer{"option":"b"}')
    assert any("1 bài đã học" in r.get("text", "") for r in done), done


def test_faq_answer_names_its_source(rasa_stack: Any) -> None:
    replies = _chat(rasa_stack.rasa_url, "test-faq-user", "Quy tắc đồ lót là gì?")
    assert any("Nguồn:" in r.get("text", "") for r in replies), replies


def test_risk_message_sends_the_signal_with_its_confidence(rasa_stack: Any) -> None:
    replies = _chat(rasa_stack.rasa_url, "test-risk-user", "e ko muon song nua")
    handoff = replies[0]["custom"]["handoff"]
    assert handoff["intent"] == "risk_self_harm" and 0.5 < handoff["confidence"] <= 1.0
    assert (handoff["category"], handoff["risk"]) == ("self_harm", "imminent")
    # the gateway's triage decides; if it does not escalate, the user gets an open answer
    texts = [r["text"] for r in replies[1:] if "text" in r]
    assert texts and "111" in texts[0] and any(r.get("buttons") for r in replies[1:])


def test_quiz_scores_per_user(rasa_stack: Any) -> None:
    url, user = rasa_stack.rasa_url, "test-quiz-user"
    question = _chat(url, user, "/start_quiz")
    buttons = [b["payload"] for r in question for b in r.get("buttons", [])]
    options = [p for p in buttons if p.startswith("/answer")]
    assert len(options) >= 2
    verdict = _chat(url, user, options[0])
    assert any("/1" in r.get("text", "") for r in verdict), verdict


def test_the_gateways_speaker_guess_reaches_the_actions(rasa_stack: Any) -> None:
    url = rasa_stack.rasa_url
    parent = _chat(url, "test-voice-parent", "xin chào", {"speaker": "parent"})
    child = _chat(url, "test-voice-child", "xin chào")
    assert address_of(parent[0]["text"]) == "parent"
    assert address_of(child[0]["text"]) == "child"


def test_a_child_asking_111_gets_the_hotline_as_a_child(rasa_stack: Any) -> None:
    replies = _chat(rasa_stack.rasa_url, "test-111-child", "111 la gi")
    assert "111" in replies[0]["text"] and address_of(replies[0]["text"]) == "child"
    assert not any(b["payload"].startswith("/faq_answer") for b in replies[0].get("buttons", []))
