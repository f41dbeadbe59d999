"""Supervisor alerts: one open line per kind and case (or channel), counted; bursts flagged."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import func, select, text

from bot.handoff.alerts import flag_bursts, raise_alert
from bot.handoff.states import AlertKind
from bot.storage.db import Database
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.models import Alert, Case, Conversation, User, utcnow
from tests.console.conftest import Child, Console, make_account, make_case


async def open_alerts(app: Any) -> list[tuple[str, str | None, str, int]]:
    async with app.ctx.db.session() as session:
        rows = await session.execute(
            select(Alert.kind, Alert.case_id, Alert.subject, Alert.count)
            .where(Alert.acknowledged_at.is_(None)).order_by(Alert.id))
        return [(k, c, s, n) for k, c, s, n in rows.all()]


async def test_the_same_alert_is_counted_on_one_line_until_acknowledged(running, console) -> None:
    app = running.app
    await make_account(app, "hoa", role="supervisor")
    case_id = await make_case(app, "imminent")
    for _ in range(514):
        async with app.ctx.db.session() as session:
            await raise_alert(session, AlertKind.NO_COUNSELLOR_IN_TIME, case_id=case_id)
    assert await open_alerts(app) == [("no_counsellor_in_time", case_id, "", 514)]
    client = console()
    await client.login("hoa")
    listed = (await client.get("/alerts")).json()["alerts"]
    assert len(listed) == 1 and listed[0]["count"] == 514
    assert (await client.post(f"/alerts/{listed[0]['id']}/ack")).status_code == 200
    async with app.ctx.db.session() as session:
        await raise_alert(session, AlertKind.NO_COUNSELLOR_IN_TIME, case_id=case_id)
    assert await open_alerts(app) == [("no_counsellor_in_time", case_id, "", 1)]  # a new line
    async with app.ctx.db.session() as session:
        session.add(Alert(case_id=None, kind="risk_raised", subject="web"))  # keyed by default
        session.add(Alert(case_id=case_id, kind="risk_raised"))
    keys = {(k, c, s) for k, c, s, _ in await open_alerts(app)}
    assert ("risk_raised", None, "web") in keys and ("risk_raised", case_id, "") in keys


async def test_a_burst_of_new_users_cases_is_flagged_and_every_case_stays(serve) -> None:
    running = await serve(burst_cases=3, burst_window=60.0)
    app = running.app
    await make_account(app, "hoa", role="supervisor")
    async with app.ctx.db.session() as session:  # a known user from before: not part of a burst
        old = User(channel="web", pseudonym="old-user", created_at=utcnow() - timedelta(days=3))
        session.add(old)
    children = [Child(running.url, f"school-{n}") for n in range(4)]
    opened = [(await c.says("bố em đánh em chảy máu"))["handoff"]["case_id"] for c in children]
    assert all(opened) and len(set(opened)) == 4  # never refused
    client = Console(running.url)
    await client.login("hoa")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not (alerts := [a for a in (await client.get("/alerts")).json()["alerts"]
                          if a["kind"] == "case_burst"]):
        assert loop.time() < deadline, "no burst flagged"
        await asyncio.sleep(0.2)
    assert [(a["subject"], a["count"], a["case_id"]) for a in alerts] == [("web", 4, None)]
    queue = {c["id"] for c in (await client.get("/queue?size=100")).json()["items"]}
    assert set(opened) <= queue
    for child in children:
        await child.close()
    await client.close()


async def test_burst_rules_count_only_new_users_on_one_channel(running) -> None:
    app = running.app
    now = utcnow()
    async with app.ctx.db.session() as session:
        for n, (channel, age) in enumerate([("web", 0), ("web", 0), ("telegram", 0),
                                            ("web", 3600)]):
            user = User(channel=channel, pseudonym=f"b{n}", created_at=now - timedelta(seconds=age))
            session.add(user)
            await session.flush()
            conversation = Conversation(user_id=user.id, channel=channel, state="waiting")
            session.add(conversation)
            await session.flush()
            session.add(Case(conversation_id=conversation.id, channel=channel, risk="high",
                             risk_rank=2, source="triage", opened_at=now))
    async with app.ctx.db.session() as session:
        assert await flag_bursts(session, 3, timedelta(minutes=1)) == []
        assert await flag_bursts(session, 2, timedelta(minutes=1)) == ["web"]
        assert await flag_bursts(session, 2, timedelta(minutes=1)) == []  # already counted
    assert [(k, s, n) for k, _c, s, n in await open_alerts(app)] == [("case_burst", "web", 2)]


async def test_the_migration_folds_the_alerts_that_piled_up_before_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(command.upgrade, alembic_config(url), "0005").result()
    db = Database(url)
    async with db.session() as session:
        for case_id, acknowledged in (("C1", None), ("C1", None), ("C1", None), ("C2", None),
                                      ("C1", "2026-01-01 00:00:00")):
            await session.execute(text(
                "INSERT INTO alerts (case_id, kind, created_at, acknowledged_at) "
                "VALUES (:c, 'no_counsellor_in_time', CURRENT_TIMESTAMP, :a)"),
                {"c": case_id, "a": acknowledged})
    await db.dispose()
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    async with db.session() as session:
        rows = (await session.execute(
            select(Alert.case_id, Alert.count).where(Alert.acknowledged_at.is_(None))
            .order_by(Alert.case_id))).all()
        total = await session.scalar(select(func.count()).select_from(Alert))
    await db.dispose()
    assert [tuple(r) for r in rows] == [("C1", 3), ("C2", 1)] and total == 5  # folded, kept
