"""Faults: Rasa killed and back, the gateway killed in the middle of a handoff."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from devtools.chat_client import ChatSessions
from devtools.devstack import RasaStack
from devtools.gateway_process import ROOT, GatewayProcess, free_port

SESSIONS = ChatSessions()


def chat(gateway: GatewayProcess, user: str, text: str) -> dict:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        return SESSIONS.answer_sync(client, user, text)


def test_rasa_killed_then_back(tmp_path: Path) -> None:
    stack = RasaStack(ROOT, rasa_port=free_port(), actions_port=free_port(), log_dir=tmp_path,
                      extra_env={"RASA_TRACKER_DB": str(tmp_path / "tracker.db")})
    stack.start()
    gateway = GatewayProcess(tmp_path / "gw", stack.rasa_url, {"RASA_TIMEOUT": "3"})
    try:
        stack.wait_ready()
        gateway.start()
        assert chat(gateway, "f-1", "xin chao")["replies"][0]["buttons"]

        os.killpg(stack.pids()["rasa"], signal.SIGKILL)
        apology = chat(gateway, "f-1", "cho em hoc bai ve nguoi la")
        assert "111" in apology["replies"][0]["text"] and not apology["handoff"]["active"]
        risky = chat(gateway, "f-2", "chu hang xom hay so vao cho kin cua em")
        assert risky["handoff"]["active"] and "111" in risky["replies"][0]["text"]
        assert httpx.get(gateway.url + "/healthz").status_code == 503

        stack.stop()
        stack.start()  # same ports; the gateway needs no restart
        stack.wait_ready()
        assert httpx.get(gateway.url + "/healthz").status_code == 200
        back = chat(gateway, "f-3", "xin chao")
        assert back["replies"][0]["buttons"], "the bot answers again by itself"
    finally:
        gateway.stop()
        stack.stop()


def test_gateway_killed_mid_handoff_keeps_case_transcript_and_state(
    rasa_stack: RasaStack, tmp_path: Path
) -> None:
    port = free_port()
    env = {"COOKIE_SECURE": "0"}
    gateway = GatewayProcess(tmp_path / "gw", rasa_stack.rasa_url, env, port=port)
    gateway.start()
    user = f"kid-{uuid.uuid4().hex[:6]}"
    password = "a-long-enough-password"
    subprocess.run([sys.executable, "-m", "bot.cli", "create-user", "--username", "lan",
                    "--role", "counsellor", "--password-stdin"], input=password + "\n",
                   text=True, env=gateway.env, cwd=ROOT, check=True, capture_output=True)
    try:
        opened = chat(gateway, user, "bo em danh em chay mau")
        case_id = opened["handoff"]["case_id"]
        console = httpx.Client(base_url=gateway.url)
        console.post("/console/api/login", json={"username": "lan", "password": password})
        csrf = console.get("/console/api/me").json()["user"]["csrf_token"]
        assert console.post(f"/console/api/cases/{case_id}/accept",
                            headers={"X-CSRF-Token": csrf}).status_code == 200
        console.post(f"/console/api/cases/{case_id}/messages", json={"text": "Cô đây, em ổn chứ?"},
                     headers={"X-CSRF-Token": csrf}).raise_for_status()
        chat(gateway, user, "em dang o nha ba noi")

        gateway.stop(signal.SIGKILL)
        gateway.start()

        again = chat(gateway, user, "co con o do khong")
        assert again["handoff"] == {**opened["handoff"], "active": True} and again["replies"] == []
        console = httpx.Client(base_url=gateway.url)
        console.post("/console/api/login", json={"username": "lan", "password": password})
        case = console.get(f"/console/api/cases/{case_id}").json()
        texts = [m["text"] for m in case["messages"]]
        for expected in ("bo em danh em chay mau", "Cô đây, em ổn chứ?", "em dang o nha ba noi",
                         "co con o do khong"):
            assert expected in texts
        with httpx.Client(base_url=gateway.url) as child:
            child_view = SESSIONS.messages_sync(child, user).json()
        assert "Cô đây, em ổn chứ?" in [m["text"] for m in child_view["messages"]]
    finally:
        gateway.stop()
