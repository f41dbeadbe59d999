"""Run code and commands in the Rasa environment (.venv-rasa, Python 3.10) from the test suite."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "var" / "models" / "current.tar.gz"


def rasa_env() -> dict[str, str]:
    """Environment for Rasa commands: the repo on PYTHONPATH, quiet TensorFlow, no telemetry."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "ACTIONS_PORT": env.get("ACTIONS_PORT", "5055"),
            "RASA_TRACKER_DB": env.get("RASA_TRACKER_DB", str(ROOT / "var" / "rasa_tracker.db")),
        }
    )
    return env


def run_python(code: str, payload: Any, timeout: float = 300) -> Any:
    """Run Python code in the Rasa env with JSON on stdin; return the JSON it prints last."""
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", code],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=rasa_env(),
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_rasa(args: list[str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a `rasa` command from the repo root."""
    return subprocess.run(
        [str(RASA), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=rasa_env(),
        timeout=timeout,
        check=False,
    )
