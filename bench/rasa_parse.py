"""Parse texts with a trained Rasa model in-process (Rasa env): predictions and CPU per message.

Run in the Rasa environment from the repository root:
    PYTHONPATH=. .venv-rasa/bin/python bench/rasa_parse.py MODEL < texts.json > predictions.json
stdin is a JSON list of texts; stdout one JSON object: {"predictions": [{"intent", "confidence",
"faq_key", "faq_confidence", "faq_ranking" (top 3), "entities"}], "load_s",
"wall_ms_per_message", "cpu_ms_per_message"}.
No server, no action server: NLU only. bench/nlu_eval.py --direct calls it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def prediction(result: dict[str, Any]) -> dict[str, Any]:
    """The parts of Rasa's parse result the evaluation reads."""
    selector = ((result.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    return {
        "intent": str((result.get("intent") or {}).get("name")),
        "confidence": float((result.get("intent") or {}).get("confidence") or 0.0),
        "faq_key": selector.get("intent_response_key"),
        "faq_confidence": float(selector.get("confidence") or 0.0),
        "faq_ranking": [r.get("intent_response_key") for r in (
            ((result.get("response_selector") or {}).get("faq") or {}).get("ranking") or [])[:3]],
        "entities": [
            {"entity": e.get("entity"), "value": e.get("value")}
            for e in result.get("entities") or []
        ],
    }


async def parse_all(model: str, texts: list[str]) -> dict[str, Any]:
    """Load the model, parse each text once (after one warm-up), time it."""
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(model)
    load_s = time.perf_counter() - started
    await agent.parse_message("xin chào")
    wall, cpu = time.perf_counter(), time.process_time()
    predictions = [prediction(await agent.parse_message(text)) for text in texts]
    count = max(len(texts), 1)
    return {
        "predictions": predictions,
        "load_s": round(load_s, 2),
        "wall_ms_per_message": round((time.perf_counter() - wall) * 1000 / count, 2),
        "cpu_ms_per_message": round((time.process_time() - cpu) * 1000 / count, 2),
    }


def main() -> int:
    """Read texts on stdin, print the predictions as one JSON line."""
    texts = json.load(sys.stdin)
    out = asyncio.run(parse_all(sys.argv[1], [str(t) for t in texts]))
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
