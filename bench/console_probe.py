"""Measure how long a disclosure takes to appear in the console's live event stream."""

from __future__ import annotations

import asyncio
import secrets
import statistics
import subprocess
import sys
import time

import httpx

from tests.support.gateway import ROOT, GatewayProcess


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


async def _one(client: httpx.AsyncClient, base_url: str, index: int) -> float:
    """Open the event stream, post a disclosure, wait until its case is in a queue frame."""
    async with client.stream("GET", "/console/events", timeout=None) as stream:
        lines = stream.aiter_lines()
        async for line in lines:  # wait for the first queue snapshot
            if line.startswith("data:"):
                break
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as child:
            answer = (await child.post("/api/chat", json={
                "user_id": f"probe-{index}-{secrets.token_hex(4)}",
                "text": "bo em danh em dau lam"})).json()
        case_id = answer["handoff"]["case_id"]
        async for line in lines:
            if line.startswith("data:") and case_id in line:
                return (time.perf_counter() - started) * 1000
    raise RuntimeError("stream ended before the case appeared")


async def time_to_queue(base_url: str, gateway: GatewayProcess, rounds: int = 5) -> dict:
    """Median and worst milliseconds from a disclosure until the console stream shows it."""
    username, password = create_supervisor(gateway)
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=10) as client:
        login = await client.post("/console/api/login",
                                  json={"username": username, "password": password})
        login.raise_for_status()
        samples = [await asyncio.wait_for(_one(client, base_url, i), 10) for i in range(rounds)]
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}
