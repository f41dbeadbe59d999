"""Console load: a child's chat latency beside a busy console and a login flood, side by side.

Starts the real gateway process on a fresh SQLite database with 1,000 open cases, behind the
fake Rasa (devtools/fakes/rasa.py) or the real one, and measures POST /api/chat round trips of a
few children (each keeps the `session` of its first answer) in three phases:

1. quiet: no console open;
2. 50 console live streams (GET /console/events, logged in as a supervisor) over the 1,000 cases;
3. waves of 150 parallel failed logins (unknown usernames, a new forwarded address for each
   attempt, the gateway trusting loopback as its proxy: the hardest case for the hashing pool);
4. quiet again, to show how much the shared machine itself drifted meanwhile.

The consoles and the login flood run in a separate process at a lower CPU priority (they stand
for other machines); the children's round trips are timed in this one.

    .venv/bin/python bench/console_load.py                 # fake Rasa
    .venv/bin/python bench/console_load.py --rasa real     # the trained model (make train)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.console_probe import create_supervisor  # noqa: E402
from bot.handoff.cases import risk_rank  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.encryption import use_keys  # noqa: E402
from bot.storage.models import Case, Conversation, Message, User, utcnow  # noqa: E402
from common.datakeys import new_key  # noqa: E402
from devtools.chat_client import ChatSessions  # noqa: E402
from devtools.devstack import RasaStack  # noqa: E402
from devtools.fakes.rasa import FakeRasa  # noqa: E402
from devtools.gateway_process import GatewayProcess, free_port  # noqa: E402

RISKS = ("concern", "high", "imminent")
CATEGORIES = ("physical_violence", "bullying", "emotional_abuse", "neglect", "self_harm")
CHILD_TEXTS = ("chào bạn", "mình muốn học bài an toàn", "bí mật tốt và bí mật xấu là gì",
               "cảm ơn bạn nha", "mình muốn làm bài đố")
MODEL = ROOT / "var/models/current.tar.gz"


@dataclass
class Phase:
    """The chat round trips measured in one phase."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    notes: str = ""
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process, this phase

    def pct(self, p: float) -> float:
        """A percentile in milliseconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def row(self, quiet: Phase) -> str:
        """One line of the table."""
        p50, p95 = self.pct(0.50), self.pct(0.95)
        cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.cpu.items())
        return (f"| {self.name} | {len(self.latencies)} | {p50:.0f} | {p95:.0f} | "
                f"{max(self.latencies) * 1000:.0f} | {self.errors} | "
                f"{p95 / quiet.pct(0.95):.2f} x | {cpu} | {self.notes} |")


async def insert_cases(database_url: str, count: int) -> None:
    """Open cases as the pipeline leaves them: a waiting conversation, its case, one message."""
    db = Database(database_url)
    now = utcnow()
    try:
        async with db.session() as session:
            for i in range(count):
                user = User(channel="web", pseudonym=f"bench-{i:05d}-{secrets.token_hex(6)}")
                session.add(user)
                await session.flush()
                conversation = Conversation(user_id=user.id, channel="web", state="waiting")
                session.add(conversation)
                await session.flush()
                risk = RISKS[i % len(RISKS)]
                case = Case(conversation_id=conversation.id, channel="web", risk=risk,
                            risk_rank=risk_rank(risk), category=CATEGORIES[i % len(CATEGORIES)],
                            source="triage", opened_at=now - timedelta(seconds=7 * i),
                            reasons=["bench"])
                session.add(case)
                await session.flush()
                conversation.active_case_id = case.id
                session.add(Message(conversation_id=conversation.id, case_id=case.id,
                                    direction="in", author="user",
                                    text=f"em sợ lắm, chuyện số {i}"))
    finally:
        await db.dispose()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


WATCHED: dict[str, int] = {}  # the processes whose CPU each phase reports


async def chat_phase(name: str, base_url: str, children: int, messages: int) -> Phase:
    """Each child chats `messages` times in a row; every round trip is timed."""
    before = {n: cpu_seconds(pid) for n, pid in WATCHED.items()}
    phase, sessions = Phase(name), ChatSessions()
    tag = secrets.token_hex(3)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, trust_env=False) as client:

        async def child(n: int) -> None:
            user = f"child-{tag}-{n}"
            await sessions.post(client, user, CHILD_TEXTS[0])  # the first answer: the session
            for k in range(messages):
                started = time.perf_counter()
                try:
                    response = await sessions.post(client, user, CHILD_TEXTS[k % len(CHILD_TEXTS)])
                except httpx.HTTPError:
                    phase.errors += 1
                    continue
                if response.status_code == 200:
                    phase.latencies.append(time.perf_counter() - started)
                else:
                    phase.errors += 1

        await asyncio.gather(*(child(n) for n in range(children)))
    phase.cpu = {n: cpu_seconds(pid) - before[n] for n, pid in WATCHED.items()}
    return phase


async def _hold_streams(base_url: str, cookies: dict[str, str], count: int,
                        ready: Synchronized[int], stop: EventType) -> int:
    """Open `count` console live streams, tell when all are open, read them until `stop`."""
    received = [0] * count
    limits = httpx.Limits(max_connections=count + 5, max_keepalive_connections=count + 5)
    async with httpx.AsyncClient(base_url=base_url, cookies=cookies, timeout=None,
                                 limits=limits, trust_env=False) as client:

        async def stream(i: int) -> None:
            async with client.stream("GET", "/console/events") as response:
                if response.status_code != 200:
                    raise RuntimeError(f"console stream answered {response.status_code}")
                async for chunk in response.aiter_bytes():
                    if not received[i]:
                        with ready.get_lock():
                            ready.value += 1
                    received[i] += len(chunk)

        tasks = [asyncio.create_task(stream(i)) for i in range(count)]
        stopped = asyncio.create_task(asyncio.to_thread(stop.wait))
        await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception)
                and not isinstance(r, asyncio.CancelledError)]
    if failures:
        raise RuntimeError("a console stream failed") from failures[0]
    return sum(received)


async def _flood(base_url: str, wave: int, ready: Synchronized[int], stop: EventType
                 ) -> dict[int, int]:
    """Waves of `wave` parallel failed logins, each from a new (forwarded) address."""
    statuses: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=wave + 10, max_keepalive_connections=wave + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits,
                                 trust_env=False) as client:
        number = 0
        while not stop.is_set():
            number += 1

            async def attempt(i: int, number: int = number) -> int:
                address = f"10.{number % 250}.{i // 250}.{i % 250 + 1}"
                response = await client.post(
                    "/console/api/login", json={"username": f"nobody{i}",
                                                "password": "wrong-password-123"},
                    headers={"X-Forwarded-For": address})
                return response.status_code

            for result in await asyncio.gather(*(attempt(i) for i in range(wave)),
                                               return_exceptions=True):
                statuses[result if isinstance(result, int) else 0] += 1
            with ready.get_lock():
                ready.value = max(ready.value, 1)
    return dict(statuses)


def _background(kind: str, base_url: str, count: int, cookies: dict[str, str],
                ready: Synchronized[int], stop: EventType, results: Queue[object]) -> None:
    """The body of the background process: its own interpreter, at a lower CPU priority, so
    the load generator's own work (an attacker's or the consoles' machines in real life) takes
    as little as possible from the gateway it loads on this shared machine."""
    os.nice(10)
    if kind == "streams":
        results.put(asyncio.run(_hold_streams(base_url, cookies, count, ready, stop)))
    else:
        results.put(asyncio.run(_flood(base_url, count, ready, stop)))


@contextmanager
def background(kind: str, base_url: str, count: int, cookies: dict[str, str] | None = None,
               until_ready: int = 1) -> Iterator[list[object]]:
    """Run a background load in another process while the block runs; its result after."""
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Value("i", 0), context.Event(), context.Queue()
    process = context.Process(target=_background, args=(kind, base_url, count, cookies or {},
                                                        ready, stop, results))
    process.start()
    outcome: list[object] = []
    try:
        deadline = time.monotonic() + 180
        while ready.value < until_ready:
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {kind} load did not start")
            time.sleep(0.1)
        yield outcome
    finally:
        stop.set()
        outcome.append(results.get(timeout=120))
        process.join(30)


async def measure(base_url: str, gateway: GatewayProcess, args: argparse.Namespace
                  ) -> list[Phase]:
    """The three phases, one after the other, and the quiet one again."""
    await chat_phase("warm-up", base_url, args.children, 5)
    quiet = await chat_phase("quiet: no console open", base_url, args.children, args.messages)
    username, password = create_supervisor(gateway)
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, timeout=30) as client:
        (await client.post("/console/api/login", json={"username": username,
                                                       "password": password})
         ).raise_for_status()
        cookies = dict(client.cookies.items())
    with background("streams", base_url, args.streams, cookies,
                    until_ready=args.streams) as streamed:
        streams = await chat_phase(f"{args.streams} console live streams", base_url,
                                   args.children, args.messages)
    streams.notes = f"{int(streamed[0]) // 1024} KB streamed in all"  # type: ignore[call-overload]
    with background("flood", base_url, args.logins) as answered:
        flood = await chat_phase(f"waves of {args.logins} failed logins", base_url,
                                 args.children, args.messages)
    statuses = answered[0]
    assert isinstance(statuses, dict)
    flood.notes = "logins answered: " + ", ".join(f"{code}: {n}" for code, n
                                                  in sorted(statuses.items()))
    again = await chat_phase("quiet again (how much the machine drifted)", base_url,
                             args.children, args.messages)
    return [quiet, streams, flood, again]


def main() -> int:
    """Start the stack, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rasa", choices=("fake", "real"), default="fake")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--logins", type=int, default=150)
    parser.add_argument("--children", type=int, default=4)
    parser.add_argument("--messages", type=int, default=50, help="per child and phase")
    args = parser.parse_args()
    key = new_key()
    use_keys((key,))
    with tempfile.TemporaryDirectory(prefix="console-load-") as tmp:
        work = Path(tmp)
        fake, stack = None, None
        env = {"DATA_KEYS": key, "COOKIE_SECURE": "0", "TRUSTED_PROXIES": "127.0.0.1",
               "ESCALATION_TIMEOUT": "86400",
               "RASA_TRACKER_DB_URL": f"sqlite+aiosqlite:///{work / 'tracker.db'}"}
        if args.rasa == "real":
            stack = RasaStack(ROOT, rasa_port=free_port(), actions_port=free_port(),
                              model_path=MODEL, log_dir=work,
                              extra_env={"DATA_KEYS": key,
                                         "RASA_TRACKER_DB": str(work / "tracker.db")})
            stack.start()
            stack.wait_ready()
            rasa_url = stack.rasa_url
        else:
            fake = FakeRasa().start()
            rasa_url = fake.url
        gateway = GatewayProcess(work / "gw", rasa_url, env)
        try:
            (work / "gw").mkdir()
            gateway.migrate()
            asyncio.run(insert_cases(f"sqlite+aiosqlite:///{work / 'gw' / 'kidsafe.db'}",
                                     args.cases))
            gateway.start(wait_for="/console/login")
            assert gateway.proc is not None
            WATCHED["gateway"] = gateway.proc.pid
            if stack is not None:
                WATCHED["Rasa"] = stack.pids()["rasa"]
            phases = asyncio.run(measure(gateway.url, gateway, args))
        finally:
            gateway.stop()
            if fake is not None:
                fake.stop()
            if stack is not None:
                stack.stop()
    print(f"\nconsole_load: {args.cases} open cases, {args.rasa} Rasa, {args.children} children"
          f" x {args.messages} POST /api/chat per phase (SQLite, 1 gateway worker)\n")
    print("| phase | round trips | p50 ms | p95 ms | max ms | errors | p95 / quiet | CPU used "
          "| notes |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for phase in phases:
        print(phase.row(phases[0]))
    print(json.dumps({p.name: {"p50_ms": round(p.pct(0.5), 1), "p95_ms": round(p.pct(0.95), 1),
                               "errors": p.errors, "cpu_s": p.cpu} for p in phases}))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores shared with others)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
