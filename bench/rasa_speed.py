"""Rasa alone at full load: messages per second, latency, and CPU per message of each process.

Run from the repository root (gateway environment):
    .venv/bin/python bench/rasa_speed.py [--model PATH] [--concurrency 16] [--duration 30]
Starts Rasa and the action server (devtools.devstack) on free loopback ports with the model and a
throw-away SQLite tracker store, plays bench/conversations.py's scripts against Rasa's REST
webhook as fast as `concurrency` conversations go (bench/load.py's Rasa-alone phase), and
reads each process's CPU time (user + system, /proc) before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import closed_loop, send_rasa  # noqa: E402
from bench.nlu_eval import MODEL, free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / TICKS


def main(argv: list[str] | None = None) -> int:
    """Start Rasa, load it, print throughput, latency and CPU per message."""
    from devtools.devstack import RasaStack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kidsafe-rasa-speed-") as tmp:
        stack = RasaStack(ROOT, rasa_port=free_port(), actions_port=free_port(),
                          model_path=args.model, log_dir=Path(tmp),
                          extra_env={"RASA_TRACKER_DB": str(Path(tmp) / "tracker.db")})
        stack.start()
        try:
            stack.wait_ready()
            asyncio.run(closed_loop("warmup", stack.rasa_url, send_rasa, 2, args.warmup))
            pids = stack.pids()
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            run = asyncio.run(closed_loop("rasa-max", stack.rasa_url, send_rasa,
                                          args.concurrency, args.duration))
            after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        finally:
            stack.stop()
    summary = run.summary()
    done = max(int(summary["requests"]) - int(summary["errors"]), 1)
    print(f"Rasa alone, {args.concurrency} conversations for {args.duration:.0f} s on "
          f"{os.cpu_count()} cores, model {args.model.name}:")
    print(f"  throughput {summary['throughput_rps']} msg/s, p50 {summary['p50_ms']} ms, "
          f"p95 {summary['p95_ms']} ms, errors {summary['errors']} of {summary['requests']}")
    for name in pids:
        used = (after[name] - before[name]) * 1000 / done
        print(f"  CPU per message, {name:<8} {used:6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
