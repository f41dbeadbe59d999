"""scripts/build_training_data.py: unaccented copies keep entities; FAQ responses match."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import yaml

from common.content import load_faq
from common.vietnamese import has_diacritics

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_training_data", ROOT / "scripts" / "build_training_data.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fold_example_keeps_entity_annotations() -> None:
    build = _script()
    folded = build.fold_example(
        'dạy em về [quy tắc đồ lót]{"entity": "topic", "value": "body_safety"} đi'
    )
    assert folded == 'day em ve [quy tac do lot]{"entity": "topic", "value": "body_safety"} di'
    assert build.fold_example("[đáp án](option) nhé") == "[dap an](option) nhe"


def test_copies_skip_unaccented_and_existing_examples() -> None:
    build = _script()
    copies = build.unaccented_copies(
        {"greet": ["chào bạn", "chao ban", "xin chào", "hello"], "faq/what_is_111": ["111 là gì"]}
    )
    assert copies == {"greet": ["xin chao"], "faq/what_is_111": ["111 la gi"]}


def test_generated_files(tmp_path: Path) -> None:
    build = _script()
    assert build.main(["--out", str(tmp_path)]) == 0
    nlu = yaml.safe_load((tmp_path / "nlu_unaccented.yml").read_text(encoding="utf-8"))
    examples = [
        line[2:] for item in nlu["nlu"] for line in item["examples"].splitlines() if line
    ]
    assert examples and not any(has_diacritics(e) for e in examples)
    assert any(item["intent"].startswith("faq/") for item in nlu["nlu"])
    responses = yaml.safe_load((tmp_path / "faq_responses.yml").read_text(encoding="utf-8"))
    keys = {k.split("/", 1)[1] for k in responses["responses"]}
    assert keys == {entry.key for entry in load_faq()}
    questions = {f"utter_faq/{entry.key}": entry.question for entry in load_faq()}
    assert {k: r[0]["text"] for k, r in responses["responses"].items()} == questions
