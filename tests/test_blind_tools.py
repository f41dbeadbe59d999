"""The blind-set tools: sealing drops what the project has seen; conversion annotates entities."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)


def test_sealing_drops_texts_seen_in_training_or_held_out(tmp_path: Path) -> None:
    training = yaml.safe_load((ROOT / "nlu_data" / "faq_parents.yml").read_text("utf-8"))
    seen = next(line.strip()[2:] for line in training["nlu"][0]["examples"].splitlines()
                if line.strip().startswith("- ") and "[" not in line)
    written = tmp_path / "written.yml"
    written.write_text(yaml.safe_dump({"writer": "x", "messages": [
        {"text": seen.upper() + " ạ", "intent": "faq/signs_of_abuse"},  # seen: case, particle
        {"text": "Cây xoài nhà bà Tư năm nay sai quả quá", "intent": "out_of_scope"},
        {"text": "cay xoai nha ba tu nam nay sai qua qua", "intent": "out_of_scope"},  # repeat
    ]}, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "sealed.yml"
    result = run("seal_blind_set.py", str(written), str(out))
    assert result.returncode == 0, result.stderr
    sealed = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert [m["text"] for m in sealed["messages"]] == ["Cây xoài nhà bà Tư năm nay sai quả quá"]
    assert out.read_text(encoding="utf-8").startswith("# 2 messages found")


def test_conversion_annotates_topics_ages_and_options(tmp_path: Path) -> None:
    blind = tmp_path / "blind.yml"
    blind.write_text(yaml.safe_dump({"messages": [
        {"text": "cho em học bài quy tắc đồ lót", "intent": "start_lesson"},
        {"text": "em 9 tuoi", "intent": "inform_age"},
        {"text": "chắc là B", "intent": "answer"},
        {"text": "con tôi hay nói dối thì sao", "intent": "faq/child_wont_open_up"},
    ]}, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "training.yml"
    result = run("blind_to_training.py", str(blind), str(out), "--note", "a test")
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    examples = {b["intent"]: b["examples"].strip() for b in data["nlu"]}
    assert examples["start_lesson"] == (
        '- cho em học bài [quy tắc đồ lót]{"entity": "topic", "value": "body_safety"}')
    assert examples["inform_age"] == "- em [9 tuoi](age)"
    assert examples["answer"] == '- chắc là [B]{"entity": "option", "value": "b"}'
    assert examples["faq/child_wont_open_up"] == "- con tôi hay nói dối thì sao"
