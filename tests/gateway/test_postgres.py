"""The gateway on PostgreSQL: the same flow, and a database restart loses no message."""

from __future__ import annotations

import asyncio
import glob
import os
import subprocess

import httpx
import pytest
from sqlalchemy import func, select

from bot.storage.models import Case, Message
from devtools.chat_client import ChatSessions

SESSIONS = ChatSessions()

pytestmark = pytest.mark.postgres



async def test_escalation_flow_on_postgres(serve, pg_url: str) -> None:
    running = await serve(database_url=pg_url)
    async with httpx.AsyncClient(base_url=running.url) as client:
        first = (await SESSIONS.post(client, "pg-kid", "bo em danh em")).json()
        again = (await SESSIONS.post(client, "pg-kid", "em so lam")).json()
    assert first["handoff"]["active"] and again["handoff"]["case_id"] == first["handoff"]["case_id"]
    async with running.app.ctx.db.session() as session:
        case = await session.get(Case, first["handoff"]["case_id"])
        count = await session.scalar(select(func.count()).select_from(Message))
    assert case is not None and case.category == "physical_violence"
    assert count == 4  # two in, the escalation reply and the acknowledgement


def _restart_postgres() -> None:
    version = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, capture_output=True)


async def test_database_restart_loses_no_message(serve, pg_url: str) -> None:
    running = await serve(database_url=pg_url)
    async with httpx.AsyncClient(base_url=running.url, timeout=60) as client:
        await SESSIONS.post(client, "pg-r", "xin chao")
        restart = asyncio.create_task(asyncio.to_thread(_restart_postgres))
        await asyncio.sleep(0.05)
        during = [client.post("/api/chat", json={"user_id": f"pg-r{i}", "text": f"tin {i}"})
                  for i in range(5)]
        responses = await asyncio.gather(*during)
        await restart
        after = await SESSIONS.post(client, "pg-r", "con do khong")
    assert [r.status_code for r in responses] == [200] * 5
    assert after.status_code == 200
    async with running.app.ctx.db.session() as session:
        texts = set((await session.scalars(
            select(Message.text).where(Message.direction == "in"))).all())
    assert {"xin chao", "con do khong"} | {f"tin {i}" for i in range(5)} <= texts
