"""How long a disclosure takes to reach the console's live stream, and what open consoles cost.

`time_to_queue` (used by bench/stack.py) opens one console stream, posts disclosures from new
web users and times each until its case arrives as an `item` frame.

Run alone, it starts a real gateway process (no Rasa needed: disclosures escalate on the
triage alone), inserts `--open-cases` waiting cases with SQL, then prints a child's
POST /api/chat p50/p95 and the disclosure-to-console median and worst time three times: with
no console stream, with `--streams` idle streams open, and with none again (the last shows
how much the machine drifted meanwhile).

    .venv/bin/python bench/console_probe.py --open-cases 1000 --streams 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.gateway_process import GatewayProcess  # noqa: E402

DISCLOSURE = "bo em danh em dau lam"
QUIET = "hom nay em di hoc vui lam"


def create_supervisor(gateway: GatewayProcess) -> tuple[str, str]:
    """Create a supervisor account on the gateway's database with the real CLI."""
    username, password = f"bench{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "create-user", "--username", username, "--role",
         "supervisor", "--password-stdin"],
        input=password + "\n", text=True, env=gateway.env, cwd=ROOT, check=True,
        capture_output=True,
    )
    return username, password


async def _until_hello(lines: Any) -> None:
    async for line in lines:
        if line.startswith("event: hello"):
            return
    raise RuntimeError("the console stream did not open (logged in? COOKIE_SECURE=0 on http)")


async def _one(client: httpx.AsyncClient, base_url: str, index: int) -> float:
    """Open the event stream, post a disclosure, wait until its case comes as an item frame."""
    async with client.stream("GET", "/console/events", timeout=None) as stream:
        lines = stream.aiter_lines()
        await _until_hello(lines)
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as child:
            answer = (await child.post("/api/chat", json={
                "user_id": f"probe-{index}-{secrets.token_hex(4)}", "text": DISCLOSURE})).json()
        case_id = answer["handoff"]["case_id"]
        async for line in lines:
            if line.startswith("data:") and f'"id": "{case_id}"' in line:
                return (time.perf_counter() - started) * 1000
    raise RuntimeError("stream ended before the case appeared")


async def _login(client: httpx.AsyncClient, gateway: GatewayProcess) -> None:
    username, password = create_supervisor(gateway)
    login = await client.post("/console/api/login",
                              json={"username": username, "password": password})
    login.raise_for_status()


async def time_to_queue(base_url: str, gateway: GatewayProcess, rounds: int = 5) -> dict:
    """Median and worst milliseconds from a disclosure until the console stream shows it."""
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=10) as client:
        await _login(client, gateway)
        samples = [await asyncio.wait_for(_one(client, base_url, i), 10) for i in range(rounds)]
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


async def chat_latency(base_url: str, rounds: int) -> dict[str, float]:
    """A child's POST /api/chat p50 and p95 in ms (ordinary messages, answered by the bot)."""
    samples = []
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=30) as child:
        for index in range(rounds):
            started = time.perf_counter()
            response = await child.post("/api/chat", json={
                "user_id": f"quiet-{index}-{secrets.token_hex(3)}", "text": QUIET})
            response.raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1)}


async def idle_streams(client: httpx.AsyncClient, count: int) -> contextlib.AsyncExitStack:
    """`count` console streams open (each past its hello frame), kept until the stack closes."""
    stack = contextlib.AsyncExitStack()
    for _ in range(count):
        stream = await stack.enter_async_context(
            client.stream("GET", "/console/events", timeout=None))
        await _until_hello(stream.aiter_lines())
    return stack


async def seed(gateway: GatewayProcess, count: int) -> None:
    """Insert `count` waiting cases into the gateway's database (with its keys)."""
    from bot.storage.db import Database
    from devtools.seed_cases import seed_open_cases

    db = Database(f"sqlite+aiosqlite:///{gateway.data_dir / 'kidsafe.db'}")
    try:
        await seed_open_cases(db, count, prefix="bench")
    finally:
        await db.dispose()


async def measure(args: argparse.Namespace, gateway: GatewayProcess) -> dict[str, Any]:
    """The figures with no stream open, then with the streams open."""
    await seed(gateway, args.open_cases)
    figures: dict[str, Any] = {"open_cases": args.open_cases}
    async with httpx.AsyncClient(base_url=gateway.url, trust_env=False, timeout=30,
                                 limits=httpx.Limits(max_connections=args.streams + 10)) as client:
        await _login(client, gateway)
        figures["quiet"] = {**await chat_latency(gateway.url, args.rounds),
                            **await time_to_queue(gateway.url, gateway, 5)}
        async with await idle_streams(client, args.streams):
            figures[f"{args.streams}_streams"] = {
                **await chat_latency(gateway.url, args.rounds),
                **await time_to_queue(gateway.url, gateway, 5)}
        figures["quiet_again"] = {**await chat_latency(gateway.url, args.rounds),
                                  **await time_to_queue(gateway.url, gateway, 5)}
    return figures


def main() -> int:
    """Start a gateway, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open-cases", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=60, help="chat messages per figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        gateway = GatewayProcess(Path(work) / "gw", "http://127.0.0.1:9",
                                 env={"ESCALATION_TIMEOUT": "86400", "RASA_TIMEOUT": "1",
                                      "COOKIE_SECURE": "0"})  # plain http on loopback
        gateway.start(wait_for="/console/login")
        try:
            figures = asyncio.run(measure(args, gateway))
        finally:
            gateway.stop()
    for name, values in figures.items():
        print(f"{name}: {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
