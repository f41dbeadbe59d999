"""Load benchmark: many simulated conversations against POST /api/chat beside Rasa alone.

Prints throughput, p50/p95/p99 latency, errors, lost and duplicated messages, and each
process's peak memory. Starts its own Rasa and gateway on loopback unless URLs are given.

    .venv/bin/python bench/load.py                 # SQLite, one gateway worker, one Rasa
    .venv/bin/python bench/load.py --scaled        # also PostgreSQL + Redis, 2 workers, 2 Rasa
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conversations import BUTTON, Script, ordinary_scripts, scripts  # noqa: E402
from devtools.chat_client import ChatSessions  # noqa: E402

SESSIONS = ChatSessions()  # each simulated user keeps its chat's session, as the page does


@dataclass
class Sample:
    """Outcome of one request."""

    latency: float
    ok: bool


@dataclass
class Run:
    """Every sample of one load phase."""

    name: str
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    sent_ids: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float | int | str]:
        """Throughput, latency percentiles and errors."""
        lat = sorted(s.latency for s in self.samples if s.ok) or [float("nan")]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        return {
            "phase": self.name,
            "requests": len(self.samples),
            "errors": sum(1 for s in self.samples if not s.ok),
            "throughput_rps": round(len(self.samples) / self.elapsed, 1) if self.elapsed else 0,
            "p50_ms": round(pct(0.50), 1),
            "p95_ms": round(pct(0.95), 1),
            "p99_ms": round(pct(0.99), 1),
            "mean_ms": round(statistics.fmean(lat) * 1000, 1),
        }


Send = Callable[[httpx.AsyncClient, str, str, str], Awaitable[list[dict[str, object]]]]


async def send_gateway(client: httpx.AsyncClient, user: str, text: str, msg_id: str) -> list:
    """One message through the gateway; returns its replies."""
    response = await SESSIONS.post(client, user, text, message_id=msg_id)
    response.raise_for_status()
    return list(response.json()["replies"])


async def send_rasa(client: httpx.AsyncClient, user: str, text: str, _msg_id: str) -> list:
    """One message to Rasa's own REST webhook; returns its replies."""
    response = await client.post("/webhooks/rest/webhook", json={"sender": user, "message": text})
    response.raise_for_status()
    return list(response.json())


async def converse(send: Send, client: httpx.AsyncClient, run: Run, user: str, script: Script,
                   gate: Callable[[], Awaitable[None]], deadline: float) -> None:
    """Play one conversation; tap the first offered button when the script says so."""
    buttons: list[dict[str, str]] = []
    for step, text in enumerate(script.messages):
        if time.monotonic() > deadline:
            return
        await gate()
        if text == BUTTON:
            if not buttons:
                continue
            text = str(buttons[0]["payload"])
        msg_id = f"{user}-{step}"
        started = time.perf_counter()
        try:
            replies = await send(client, user, text, msg_id)
            run.samples.append(Sample(time.perf_counter() - started, True))
            run.sent_ids.append(msg_id)
            buttons = [b for r in replies for b in (r.get("buttons") or [])]  # type: ignore[union-attr]
        except (httpx.HTTPError, KeyError, ValueError):
            run.samples.append(Sample(time.perf_counter() - started, False))
            run.sent_ids.append(msg_id)


async def open_loop(name: str, base_url: str, send: Send, rate: float, duration: float,
                    seed: int = 7) -> Run:
    """Start conversations so that messages arrive at about `rate` per second."""
    run = Run(name)
    rng = random.Random(seed)
    pool = scripts()
    interval = 1.0 / rate
    next_slot = time.monotonic()
    lock = asyncio.Lock()

    async def gate() -> None:
        nonlocal next_slot
        async with lock:
            now = time.monotonic()
            next_slot = max(next_slot + interval, now)
            wait = next_slot - now
        if wait > 0:
            await asyncio.sleep(wait)

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits,
                                 trust_env=False) as client:
        started = time.monotonic()
        deadline = started + duration
        tasks = []
        user = 0
        while time.monotonic() < deadline:
            script = rng.choice(pool)
            tasks.append(asyncio.create_task(converse(
                send, client, run, f"{name}-u{user}-{seed}", script, gate, deadline)))
            user += 1
            await asyncio.sleep(interval * len(script.messages) * 0.6)
        await asyncio.gather(*tasks)
        run.elapsed = time.monotonic() - started
    return run


async def closed_loop(name: str, base_url: str, send: Send, concurrency: int, duration: float,
                      seed: int = 11, pool: list[Script] | None = None) -> Run:
    """As many messages as `concurrency` simultaneous conversations can push (max throughput)."""
    run = Run(name)
    rng = random.Random(seed)
    pool = pool or scripts()

    async def no_gate() -> None:
        return None

    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits,
                                 trust_env=False) as client:
        started = time.monotonic()
        deadline = started + duration

        async def worker(index: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                await converse(send, client, run, f"{name}-w{index}-{n}-{seed}",
                               rng.choice(pool), no_gate, deadline)
                n += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        run.elapsed = time.monotonic() - started
    return run


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children, in MB."""
    total = 0.0
    for p in [pid, *child_pids(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return round(total, 1)


def main() -> int:
    """Parse arguments, start what is needed, run the phases and print the figures."""
    from bench.stack import Stack

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second (open loop)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop conversations")
    parser.add_argument("--scaled", action="store_true", help="also run the scaled layout")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    layouts = ["single"] + (["scaled"] if args.scaled else [])
    report: dict[str, object] = {"rate": args.rate, "duration": args.duration,
                                 "concurrency": args.concurrency, "layouts": {}}
    for layout in layouts:
        with tempfile.TemporaryDirectory(prefix="kidsafe-load-") as tmp, \
                Stack(Path(tmp), layout) as stack:
            report["layouts"][layout] = asyncio.run(measure(stack, args))  # type: ignore[index]
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print_report(report)
    return 0


async def measure(stack: object, args: argparse.Namespace) -> dict[str, object]:
    """Run Rasa alone and the gateway under the same load; check loss and duplicates."""
    from bench.stack import Stack

    assert isinstance(stack, Stack)
    phases: dict[str, object] = {}
    rasa_max = await closed_loop("rasa-max", stack.rasa_urls[0], send_rasa, args.concurrency,
                                 args.duration)
    gw_max = await closed_loop("gateway-max", stack.gateway_url, send_gateway, args.concurrency,
                               args.duration)
    rasa_rate = await open_loop("rasa-rate", stack.rasa_urls[0], send_rasa, args.rate,
                                args.duration)
    gw_rate = await open_loop("gateway-rate", stack.gateway_url, send_gateway, args.rate,
                              args.duration)
    for run in (rasa_max, gw_max, rasa_rate, gw_rate):
        phases[run.name] = run.summary()
    sent = set(gw_max.sent_ids + gw_rate.sent_ids)  # each (user, step) once
    stored = stack.stored_message_ids()  # keyed references, one per message the gateway kept
    phases["delivery"] = {
        "sent": len(sent),
        "lost": len(sent) - len(set(stored)),
        "duplicated": len(stored) - len(set(stored)),
    }
    phases["gateway_vs_rasa_throughput"] = ratio(gw_max, rasa_max)
    phases.update(await ordinary_traffic(stack, args))
    phases["escalation_visible_ms"] = await stack.escalation_visible_ms()
    phases["peak_rss_mb"] = stack.peak_memory()
    return phases


def ratio(gateway: Run, rasa: Run) -> float:
    """The gateway's throughput as a share of Rasa alone's."""
    shares = float(gateway.summary()["throughput_rps"]) / max(
        float(rasa.summary()["throughput_rps"]), 1e-9)
    return round(shares, 3)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process, its threads and its live children have used."""
    total = 0.0
    for p in [pid, *child_pids(pid)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def child_pids(pid: int) -> list[int]:
    """The live children of a process (a gateway with several workers)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class CpuMeter:
    """CPU seconds of each process of the stack, and the gateway's safety model, over a phase."""

    def __init__(self, stack: object, client: httpx.Client) -> None:
        self.pids = stack.pids()  # type: ignore[attr-defined]
        self.client = client
        self.start = self.read()

    def read(self) -> dict[str, float]:
        """The counters now."""
        health = self.client.get("/healthz").json()
        figures = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        figures["gateway safety model"] = float(health.get("safety_model_cpu_seconds", 0.0))
        return figures

    def per_message(self, messages: int) -> dict[str, float]:
        """Milliseconds of CPU per message since the meter started, by process."""
        end = self.read()
        used = {name: end[name] - self.start[name] for name in end}
        used["gateway without the model"] = used["gateway"] - used["gateway safety model"]
        return {name: round(1000 * seconds / max(messages, 1), 2)
                for name, seconds in used.items()}


async def ordinary_traffic(stack: object, args: argparse.Namespace) -> dict[str, object]:
    """Traffic with no escalation (every message goes through the triage and Rasa): the
    gateway's throughput as a share of Rasa alone's, and the CPU per message of each process."""
    pool = ordinary_scripts()
    figures: dict[str, object] = {}
    with httpx.Client(base_url=stack.gateway_url, trust_env=False) as health:  # type: ignore[attr-defined]
        runs = []
        for name, url, send in (("rasa-ordinary-max", stack.rasa_urls[0], send_rasa),  # type: ignore[attr-defined]
                                ("gateway-ordinary-max", stack.gateway_url, send_gateway)):  # type: ignore[attr-defined]
            meter = CpuMeter(stack, health)
            run = await closed_loop(name, url, send, args.concurrency, args.duration, seed=13,
                                    pool=pool)
            figures[name] = run.summary()
            figures[f"{name} cpu_ms_per_message"] = meter.per_message(len(run.samples))
            runs.append(run)
    figures["ordinary gateway_vs_rasa_throughput"] = ratio(runs[1], runs[0])
    gateway = figures["gateway-ordinary-max cpu_ms_per_message"]
    rasa = figures["rasa-ordinary-max cpu_ms_per_message"]
    rasa_cpu = sum(v for k, v in rasa.items() if k.startswith(("rasa", "actions")))  # type: ignore[union-attr]
    figures["gateway without the model / Rasa CPU per message"] = round(
        gateway["gateway without the model"] / max(rasa_cpu, 1e-9), 3)  # type: ignore[index]
    return figures


def print_report(report: dict[str, object]) -> None:
    """Human-readable figures."""
    print(f"load: {report['rate']} msg/s open loop, {report['concurrency']} conversations "
          f"closed loop, {report['duration']} s per phase, on {os.cpu_count()} cores")
    for layout, phases in report["layouts"].items():  # type: ignore[attr-defined]
        print(f"\n== layout: {layout}")
        for name, figures in phases.items():
            print(f"  {name:28} {figures}")


if __name__ == "__main__":
    sys.exit(main())
