"""`scripts/check_nlu_data.py` fails when an evaluation or blind text is in a training source."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_nlu_data.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--quiet", *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)


def test_the_project_has_no_leak() -> None:
    result = run()
    assert result.returncode == 0, result.stdout


def test_a_blind_text_copied_into_the_safety_data_is_caught(tmp_path: Path) -> None:
    data = tmp_path / "safety"
    shutil.copytree(ROOT / "data" / "safety", data)
    held = tmp_path / "held"
    held.mkdir()
    (held / "safety_blind_x.yml").write_text(
        'messages:\n  - {text: "Chú Tư hay bắt em ngồi lên đùi rồi sờ soạng", label: risky, '
        "category: sexual_abuse}\n", encoding="utf-8")
    # the same text, without diacritics and in other case, in a writer's file
    (data / "writers" / "leak.yml").write_text(
        'messages:\n  - {text: "chu tu hay bat em ngoi len dui roi so soang", label: risky, '
        "category: sexual_abuse}\n", encoding="utf-8")
    result = run("--safety-data", str(data), "--safety-eval", str(held))
    assert result.returncode == 1
    assert "evaluation text in training" in result.stdout and "leak.yml" in result.stdout


def test_a_blind_text_in_the_rasa_data_is_caught(tmp_path: Path) -> None:
    nlu = tmp_path / "nlu"
    shutil.copytree(ROOT / "nlu_data", nlu)
    held = tmp_path / "held"
    held.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "safety_eval.yml", held / "safety_eval.yml")
    first = ROOT / "tests" / "data" / "safety_eval.yml"
    import yaml

    text = yaml.safe_load(first.read_text(encoding="utf-8"))["risky"][0]["text"]
    (nlu / "leak.yml").write_text(
        f'version: "3.1"\nnlu:\n- intent: chitchat\n  examples: |\n    - {text}\n',
        encoding="utf-8")
    result = run("--data", str(nlu), "--safety-eval", str(held))
    assert result.returncode == 1 and "leak.yml" in result.stdout
