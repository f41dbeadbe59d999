"""NLU evaluation on labelled files: accuracy, FAQ right answers, address checks, confusions.

Run from the repository root (gateway environment):
    .venv/bin/python bench/nlu_eval.py [FILE ...] [--model PATH | --rasa-url URL] [--direct]
        [--show-errors] [--latency N]
FILE is Rasa NLU YAML (default tests/nlu_heldout.yml) or `messages: [{text, intent, who?, age?,
scope?, topic?}]` (bench/nlu_labels.py); several files are reported one by one, then together.

By default it starts Rasa and the action server (devtools.devstack) on free loopback ports with the
model: intents and FAQ answers come from /model/parse, and each item's first reply (for the
address and service checks) from /webhooks/rest/webhook, sent as the first message of a new
conversation. --direct parses in-process in the Rasa environment instead (bench/rasa_parse.py:
no servers, no reply checks) and prints the CPU time per message. Texts are printed only with
--show-errors. --latency N also times N ordinary messages through Rasa and a gateway.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.nlu_labels import LabelError, Labelled, load_labelled  # noqa: E402
from bench.nlu_report import Prediction, Report, print_report  # noqa: E402

HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
MODEL = ROOT / "var" / "models" / "current.tar.gz"
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prediction(result: dict[str, Any], reply: str | None = None) -> Prediction:
    """A prediction from Rasa's parse result (server or bench/rasa_parse.py)."""
    if "response_selector" in result:  # the server's /model/parse shape
        faq = (result.get("response_selector") or {}).get("faq") or {}
        selector = faq.get("response") or {}
        intent = str((result.get("intent") or {}).get("name"))
        faq_key = selector.get("intent_response_key")
        confidence = float(selector.get("confidence") or 0.0)
        ranking = [r.get("intent_response_key") for r in (faq.get("ranking") or [])[:3]]
    else:
        intent, faq_key = str(result.get("intent")), result.get("faq_key")
        confidence = float(result.get("faq_confidence") or 0.0)
        ranking = list(result.get("faq_ranking") or [])
    entities = tuple(
        (str(e.get("entity")), str(e.get("value"))) for e in result.get("entities") or []
    )
    return Prediction(intent, str(faq_key) if faq_key else None, entities, reply, confidence,
                      tuple(str(k) for k in ranking if k))


def first_reply(client: httpx.Client, rasa_url: str, text: str) -> str:
    """The first text the bot answers to `text` as the first message of a new conversation."""
    response = client.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": f"nlu-eval-{uuid.uuid4().hex}", "message": text},
    )
    response.raise_for_status()
    return next((str(r["text"]) for r in response.json() if r.get("text")), "")


def evaluate(rasa_url: str, items: list[Labelled], replies: bool = True) -> Report:
    """Parse every item with a running Rasa server (and read its first reply when asked)."""
    report = Report()
    with httpx.Client(timeout=60, trust_env=False) as client:
        for item in items:
            response = client.post(f"{rasa_url}/model/parse", json={"text": item.text})
            response.raise_for_status()
            reply = first_reply(client, rasa_url, item.text) if replies else None
            report.add(item, _prediction(response.json(), reply))
    return report


def evaluate_direct(model: Path, items: list[Labelled]) -> tuple[Report, dict[str, Any]]:
    """Parse every item in-process in the Rasa environment; NLU only."""
    result = subprocess.run(
        [str(RASA_PYTHON), str(ROOT / "bench" / "rasa_parse.py"), str(model)],
        input=json.dumps([i.text for i in items]), capture_output=True, text=True, cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},
             "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"bench/rasa_parse.py failed:\n{result.stderr[-4000:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    report = Report()
    for item, predicted in zip(items, out["predictions"], strict=True):
        report.add(item, _prediction(predicted))
    return report, out


@contextmanager
def rasa_server(model: Path) -> Iterator[str]:
    """Rasa and the action server on free loopback ports with a throw-away tracker store."""
    from devtools.devstack import RasaStack

    work = ROOT / "var" / "bench"
    stack = RasaStack(
        ROOT, rasa_port=free_port(), actions_port=free_port(), model_path=model,
        extra_env={"RASA_TRACKER_DB": str(work / f"tracker-{uuid.uuid4().hex[:8]}.db")},
        log_dir=work, enable_api=True,
    )
    print("starting Rasa and the action server ...", flush=True)
    stack.start()
    try:
        stack.wait_ready()
        yield stack.rasa_url
    finally:
        stack.stop()


def percentile(values: list[float], share: float) -> float:
    """The value at a share (0-1) of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latencies(url: str, body: Callable[[int, str], Any], texts: list[str]) -> list[float]:
    """Milliseconds of one POST per text; body(i, text) builds the JSON."""
    times: list[float] = []
    with httpx.Client(timeout=60, trust_env=False) as client:
        for i, text in enumerate(texts):
            start = time.perf_counter()
            client.post(url, json=body(i, text)).raise_for_status()
            times.append((time.perf_counter() - start) * 1000)
    return times


def print_latency(rasa_url: str, items: list[Labelled], n: int) -> None:
    """Time N ordinary messages through Rasa's webhook and through a gateway."""
    import tempfile

    from devtools.gateway_process import GatewayProcess

    safe = [i.text for i in items if not i.intent.startswith("risk_")
            and i.intent != "request_human"][:n]
    run_id = int(time.time())
    rasa_ms = latencies(f"{rasa_url}/webhooks/rest/webhook",
                        lambda i, t: {"sender": f"bench-{run_id}-{i}", "message": t}, safe)
    gateway = GatewayProcess(Path(tempfile.mkdtemp(prefix="kidsafe-nlu-eval-")), rasa_url)
    gateway.start()
    try:
        gateway_ms = latencies(f"{gateway.url.rstrip('/')}/api/chat",
                               lambda i, t: {"user_id": f"bench-{run_id}-{i}", "text": t}, safe)
    finally:
        gateway.stop()
    print(f"latency over {len(safe)} messages (ms):")
    for name, ms in (("Rasa /webhooks/rest/webhook", rasa_ms),
                     ("gateway POST /api/chat", gateway_ms)):
        print(f"  {name:<28} p50 {statistics.median(ms):7.1f}  p95 {percentile(ms, 0.95):7.1f}")


def report_all(files: list[Path], reports: list[Report], show_errors: bool) -> None:
    """Print each file's report, then all files together, and the errors when asked."""
    for path, report in zip(files, reports, strict=True):
        print_report(report, path.name)
    if len(reports) > 1:
        together = Report()
        for report in reports:
            for item, prediction in zip(report.gold, report.predicted, strict=True):
                together.add(item, prediction)
        print_report(together, "all files")
    if show_errors:
        for report in reports:
            for text, gold, said in report.errors():
                print(f"  ✗ {text!r}: {gold} -> {said}")


def main(argv: list[str] | None = None) -> int:
    """Evaluate the labelled files and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("files", nargs="*", type=Path, default=[HELDOUT])
    parser.add_argument("--model", type=Path, default=MODEL, help="model when no --rasa-url")
    parser.add_argument("--rasa-url", help="a running Rasa server started with --enable-api")
    parser.add_argument("--direct", action="store_true",
                        help="parse in-process in the Rasa env (NLU only, prints CPU/message)")
    parser.add_argument("--show-errors", action="store_true", help="print every wrong text")
    parser.add_argument("--latency", type=int, default=0, metavar="N",
                        help="also time N messages through Rasa and a gateway")
    args = parser.parse_args(argv)
    try:
        labelled = [load_labelled(path) for path in args.files]
    except LabelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.direct:
        reports, timing = [], {}
        for items in labelled:
            report, timing = evaluate_direct(args.model, items)
            reports.append(report)
        report_all(args.files, reports, args.show_errors)
        print(f"in-process parse: {timing['wall_ms_per_message']} ms and "
              f"{timing['cpu_ms_per_message']} ms CPU per message "
              f"(model load {timing['load_s']} s)")
        return 0
    if args.rasa_url:
        reports = [evaluate(args.rasa_url, items) for items in labelled]
        report_all(args.files, reports, args.show_errors)
        if args.latency:
            print_latency(args.rasa_url, labelled[0], args.latency)
        return 0
    with rasa_server(args.model) as url:
        reports = [evaluate(url, items) for items in labelled]
        report_all(args.files, reports, args.show_errors)
        if args.latency:
            print_latency(url, labelled[0], args.latency)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
