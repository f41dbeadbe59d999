"""The chosen stack's floor under the gateway's CPU per message, against 5 % of Rasa's.

    .venv/bin/python bench/stack_floor.py [--requests 1500] [--rasa-ms 28.9]

Runs the smallest servers the gateway could be, in Sanic as the gateway is, each in its own
process with one worker, and sends them the load benchmark's ordinary messages one at a time:
1. Sanic alone: parse the JSON, answer JSON;
2. + the reply from Rasa: one POST to a fake Rasa (in this process) with httpx, as bot/rasa_client;
3. + storage: one SQLAlchemy Core transaction inserting the message on aiosqlite, as bot/storage;
4. + the rule screen: bot.safety.screen on the text (the triage without its learned model);
5. the leanest this could be made: Sanic, a hand-written keep-alive HTTP/1.1 client to Rasa, the
   rule screen and the gateway's three transactions as synchronous SQLAlchemy Core on sqlite3 in
   the event loop's thread (no aiosqlite worker thread).
Prints each server's CPU time per message (process and threads, from /proc) and the share of
Rasa's CPU per message (--rasa-ms, what bench/load.py measured for Rasa alone). The real gateway
does all four and more (three transactions, the change feed, the outbox), so when even these
skeletons exceed 5 % the bound cannot be met on this stack.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conversations import BUTTON, ordinary_scripts  # noqa: E402
from bench.load import cpu_seconds  # noqa: E402
from devtools.fakes.rasa import FakeRasa  # noqa: E402

STAGES = ("sanic", "rasa", "store", "screen", "lean")
SERVER = '''
import os, sys
sys.path.insert(0, {root!r})
import httpx
from sanic import Sanic, json
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert
from sqlalchemy.ext.asyncio import create_async_engine

STAGE = {stage!r}
app = Sanic("floor")
meta = MetaData()
messages = Table("messages", meta, Column("id", Integer, primary_key=True),
                 Column("user", Text), Column("text", Text))


class RawClient:
    """One keep-alive HTTP/1.1 connection to Rasa: POST JSON, read a Content-Length body."""

    def __init__(self, url):
        self.host, self.port = url.split("//")[1].split(":")
        self.port = int(self.port.rstrip("/"))
        self.reader = self.writer = None

    async def post(self, path, payload):
        import asyncio, json as jsonlib
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = jsonlib.dumps(payload).encode()
        self.writer.write(b"POST " + path.encode() + b" HTTP/1.1\\r\\nHost: rasa\\r\\n"
                          b"Content-Type: application/json\\r\\nContent-Length: "
                          + str(len(body)).encode() + b"\\r\\n\\r\\n" + body)
        head = await self.reader.readuntil(b"\\r\\n\\r\\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\\r\\n")[0])
        return jsonlib.loads(await self.reader.readexactly(length))


@app.before_server_start
async def setup(app, _):
    from sqlalchemy import create_engine
    app.ctx.client = httpx.AsyncClient(timeout=10, trust_env=False)
    app.ctx.raw = RawClient({rasa!r})
    app.ctx.engine = create_async_engine("sqlite+aiosqlite:///" + {db!r})
    async with app.ctx.engine.begin() as connection:
        await connection.run_sync(meta.create_all)
    app.ctx.sync_engine = create_engine("sqlite:///" + {db!r})
    if STAGE in ("screen", "lean"):
        from bot.safety import screen
        app.ctx.screen = screen
        screen("xin chào")


def store_sync(body):
    with app.ctx.sync_engine.begin() as connection:
        connection.execute(insert(messages).values(user=body["user_id"], text=body["text"]))


@app.post("/api/chat")
async def chat(request):
    body = request.json
    reply = [{{"text": "ok"}}]
    if STAGE == "lean":
        store_sync(body)
        app.ctx.screen(body["text"])
        store_sync(body)
        reply = await app.ctx.raw.post("/webhooks/rest/webhook",
                                       {{"sender": body["user_id"], "message": body["text"]}})
        store_sync(body)
        return json({{"replies": reply}})
    if STAGE in ("store", "screen"):
        async with app.ctx.engine.begin() as connection:
            await connection.execute(insert(messages).values(user=body["user_id"],
                                                             text=body["text"]))
    if STAGE == "screen":
        app.ctx.screen(body["text"])
    if STAGE != "sanic":
        answer = await app.ctx.client.post({rasa!r} + "/webhooks/rest/webhook",
                                           json={{"sender": body["user_id"],
                                                 "message": body["text"]}})
        reply = answer.json()
    return json({{"replies": reply}})


app.run(host="127.0.0.1", port={port}, single_process=True, access_log=False, motd=False)
'''


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def texts(count: int) -> list[str]:
    """The load benchmark's ordinary messages, repeated to `count`."""
    flat = [t for script in ordinary_scripts() for t in script.messages if t != BUTTON]
    return [flat[i % len(flat)] for i in range(count)]


def measure(stage: str, rasa_url: str, messages: list[str], tmp: Path) -> float:
    """CPU milliseconds per message of one skeleton server."""
    port = free_port()
    code = SERVER.format(root=str(ROOT), stage=stage, db=str(tmp / f"{stage}.db"),
                         rasa=rasa_url, port=port)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/chat"
    try:
        with httpx.Client(timeout=30, trust_env=False) as client:
            for _ in range(300):
                try:
                    client.post(url, json={"user_id": "warm", "text": "xin chào"})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            for i, text in enumerate(messages[:100]):
                client.post(url, json={"user_id": f"w{i % 30}", "text": text})
            before = cpu_seconds(server.pid)
            for i, text in enumerate(messages):
                client.post(url, json={"user_id": f"u{i % 30}", "text": text}).raise_for_status()
            return 1000 * (cpu_seconds(server.pid) - before) / len(messages)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    """Measure each skeleton and print its CPU per message against Rasa's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rasa-ms", type=float, default=28.9,
                        help="Rasa's CPU per message (bench/load.py, Rasa alone)")
    args = parser.parse_args(argv)
    rasa = FakeRasa().start()
    messages = texts(args.requests)
    bound = 0.05 * args.rasa_ms
    print(f"5 % of Rasa's {args.rasa_ms:.1f} ms per message: {bound:.2f} ms")
    print(f"{'skeleton':<44} {'CPU ms/msg':>10} {'share of Rasa':>14}")
    labels = {"sanic": "1. Sanic: JSON in, JSON out",
              "rasa": "2. + one httpx POST to Rasa",
              "store": "3. + one Core insert transaction (aiosqlite)",
              "screen": "4. + the rule screen (no learned model)",
              "lean": "5. leanest: raw HTTP, sync Core x3, screen"}
    try:
        with tempfile.TemporaryDirectory(prefix="kidsafe-floor-") as tmp:
            for stage in STAGES:
                ms = measure(stage, rasa.url, messages, Path(tmp))
                print(f"{labels[stage]:<44} {ms:>10.2f} {ms / args.rasa_ms:>14.3f}", flush=True)
    finally:
        rasa.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
