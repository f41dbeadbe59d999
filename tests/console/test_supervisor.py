"""Supervision and administration: queue health live figures, accounts and their last login."""

from __future__ import annotations

from sqlalchemy import update

from bot.storage.models import Case, utcnow
from tests.console.conftest import make_account, make_case, minutes_ago


async def test_queue_health_counts_waits_risks_people_and_time_outs(running, console) -> None:
    app = running.app
    await make_account(app, "lan")
    await make_account(app, "minh")
    await make_account(app, "hoa", role="supervisor")
    long_high = await make_case(app, "high", minutes_ago(12))
    await make_case(app, "concern", minutes_ago(1))
    held = await make_case(app, "imminent", minutes_ago(2))
    async with app.ctx.db.session() as session:
        await session.execute(update(Case).where(Case.id == long_high)
                              .values(timeout_alerted_at=utcnow()))
    lan, minh, hoa = console(), console(), console()
    for client, name in ((lan, "lan"), (minh, "minh"), (hoa, "hoa")):
        await client.login(name)
    await lan.post(f"/cases/{held}/accept")
    assert (await minh.get("/supervisor/health")).status_code == 403
    health = (await hoa.get("/supervisor/health")).json()
    assert (health["waiting"], health["waiting_long"], health["high_waiting"]) == (2, 1, 1)
    assert health["timeouts_today"] == 1
    assert [c["id"] for c in health["high_risk"]] == [held, long_high]  # every high-risk chat
    assert health["high_risk"][0]["counsellor_name"] == "Cô Lan"
    assert health["online"] == []  # nobody has the console open yet (no live view)

    from tests.console.test_events import live

    async with live(lan), live(hoa):
        online = (await hoa.get("/supervisor/health")).json()["online"]
    assert sorted((p["name"], p["load"]) for p in online) == [("Cô Hoa", 0), ("Cô Lan", 1)]


async def test_the_admin_sees_accounts_and_their_last_login(running, console) -> None:
    app = running.app
    for name, role in (("lan", "counsellor"), ("hoa", "supervisor"), ("ad", "admin"),
                       ("vang", "counsellor")):
        await make_account(app, name, role=role)
    lan, hoa, ad = console(), console(), console()
    for client, name in ((lan, "lan"), (hoa, "hoa"), (ad, "ad")):
        await client.login(name)
    assert (await lan.get("/accounts")).status_code == 403
    assert (await hoa.get("/accounts")).status_code == 403
    accounts = {a["username"]: a for a in (await ad.get("/accounts")).json()["accounts"]}
    assert set(accounts) == {"lan", "hoa", "ad", "vang"}
    assert accounts["lan"]["last_login_at"] and accounts["ad"]["last_login_at"]
    assert accounts["vang"]["last_login_at"] is None  # never logged in
    assert accounts["hoa"]["role"] == "supervisor" and accounts["hoa"]["active"] is True
    assert all("password" not in key for a in accounts.values() for key in a)
