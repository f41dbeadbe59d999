"""The console on PostgreSQL (the scaled layout): queue, live item, alerts raced, reports."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.handoff.alerts import raise_alert
from bot.handoff.states import AlertKind
from bot.storage.models import Alert
from devtools.seed_cases import seed_open_cases
from tests.console.conftest import Console, make_account, make_case
from tests.console.test_events import live, next_frame

pytestmark = pytest.mark.postgres



async def test_the_console_works_the_same_on_postgresql(serve, pg_url: str) -> None:
    running = await serve(database_url=pg_url)
    app = running.app
    await make_account(app, "hoa", role="supervisor")
    seeded = await seed_open_cases(app.ctx.db, 200)
    client = Console(running.url)  # (the `console` fixture serves SQLite)
    login = await client.login("hoa")
    assert login.status_code == 200, login.text
    answer = await client.get("/queue?size=20&page=3")
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == 200 and len(page["items"]) == 20
    async with live(client) as stream:
        case_id = await make_case(app, "imminent")
        item = await next_frame(stream, "item", where=lambda i: i["id"] == case_id)
        assert item["new"]
    case_id = page["items"][0]["id"]

    async def raise_once() -> None:
        async with app.ctx.db.session() as session:
            await raise_alert(session, AlertKind.NO_COUNSELLOR_IN_TIME, case_id=case_id)

    await asyncio.gather(*(raise_once() for _ in range(8)))  # racing workers, one line
    async with app.ctx.db.session() as session:
        counts = (await session.scalars(select(Alert.count).where(
            Alert.case_id == case_id, Alert.acknowledged_at.is_(None)))).all()
    assert counts == [8]
    report = (await client.get("/reports/summary")).json()
    assert report["cases"]["total"] == 201
    assert report["timeouts"] == seeded.timeouts
    health = (await client.get("/supervisor/health")).json()
    assert health["waiting"] == 201
    await client.close()
