"""The Rasa client against fake Rasa servers on loopback: a conversation always reaches the same
server (in every gateway process), a typed '/' is escaped, answers and failures are read right."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.rasa_client import RasaClient, RasaUnavailable, escape_command, parse_answer
from devtools.fakes.http import FakeHTTPServer, FakeRequest, Response
from devtools.fakes.rasa import FakeRasa

ROOT = Path(__file__).resolve().parents[2]
SENDERS = [f"user-{i}" for i in range(60)]


@pytest.fixture
def three_rasas() -> Iterator[list[FakeRasa]]:
    """Three fake Rasa servers, as `RASA_URL` lists them in the scaled layout."""
    fakes = [FakeRasa().start() for _ in range(3)]
    yield fakes
    for fake in fakes:
        fake.stop()


def servers_in_another_process(urls: list[str], seed: str) -> list[str]:
    """The server each sender is given by a separate Python process (its own hash seed)."""
    code = ("import json, sys; from bot.rasa_client import pick_server; "
            "urls, senders = json.loads(sys.stdin.read()); "
            "print(json.dumps([pick_server(tuple(urls), s) for s in senders]))")
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps([urls, SENDERS]),
                          capture_output=True, text=True, check=True, cwd=ROOT,
                          env={**os.environ, "PYTHONHASHSEED": seed})
    chosen: list[str] = json.loads(done.stdout)
    return chosen


async def test_each_conversation_reaches_one_server_in_every_gateway_process(
    three_rasas: list[FakeRasa],
) -> None:
    urls = [fake.url for fake in three_rasas]
    client = RasaClient(tuple(urls), timeout=5.0)
    try:
        for sender in SENDERS:
            for text in ("xin chào", "học bài"):
                await client.send(sender, text)
    finally:
        await client.close()
    where = {fake.url: {m["sender"] for m in fake.received} for fake in three_rasas}
    assert all(where.values()), "every server gets conversations"
    assert sum(len(senders) for senders in where.values()) == len(SENDERS)  # never split
    assert all(len(fake.received) == 2 * len(where[fake.url]) for fake in three_rasas)
    here = [next(url for url, senders in where.items() if s in senders) for s in SENDERS]
    # two more gateway workers (other processes, other hash seeds) choose the same servers
    assert servers_in_another_process(urls, "1") == here
    assert servers_in_another_process(urls, "2") == here


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("/start_lesson", "start_lesson"), ("  //restart", "restart"), ("xin chao", "xin chao"),
     ("a/b", "a/b")],
)
def test_a_typed_leading_slash_is_escaped(typed: str, sent: str) -> None:
    assert escape_command(typed) == sent


async def test_answer_text_buttons_and_handoff_signal_over_http(three_rasas) -> None:
    rasa = three_rasas[0]
    rasa.answers("xin chào", [{"text": "Chào bạn", "buttons": [{"title": "Học", "payload": "/x"},
                                                                {"title": "Trống"}]}])
    rasa.says("em muốn chết", "risk_self_harm", 0.91)
    client = RasaClient((rasa.url,), timeout=5.0)
    try:
        hello = await client.send("u-1", "xin chào")
        risky = await client.send("u-1", "em muốn chết")
    finally:
        await client.close()
    assert [(r.text, [(b.title, b.payload) for b in r.buttons]) for r in hello.replies] == [
        ("Chào bạn", [("Học", "/x")])]  # a button without a payload is left out
    assert hello.handoff is None
    assert risky.handoff is not None and risky.handoff["intent"] == "risk_self_harm"
    assert risky.handoff["confidence"] == 0.91


def failing(status: int, payload: object) -> FakeHTTPServer:
    """A Rasa-like server that answers every request with this status and JSON."""

    def handle(request: FakeRequest) -> Response:
        return status, payload  # type: ignore[return-value]

    return FakeHTTPServer(handle).start()


@pytest.mark.parametrize(("status", "payload"), [(500, {"error": "boom"}), (200, {"no": "list"})])
async def test_an_error_or_unexpected_answer_is_rasa_unavailable(status, payload) -> None:
    server = failing(status, payload)
    client = RasaClient((server.url,), timeout=5.0)
    try:
        with pytest.raises(RasaUnavailable):
            await client.send("u-2", "xin chào")
        assert await client.ready() is (status == 200)
    finally:
        await client.close()
        server.stop()


async def test_nothing_listening_is_rasa_unavailable() -> None:
    client = RasaClient(("http://127.0.0.1:9",), timeout=2.0)  # the discard port: refused
    try:
        with pytest.raises(RasaUnavailable):
            await client.send("u-3", "xin chào")
        assert await client.ready() is False
    finally:
        await client.close()


def test_parse_answer_rejects_a_non_list() -> None:
    with pytest.raises(RasaUnavailable):
        parse_answer({"error": "boom"})
