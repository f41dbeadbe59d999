"""Console login: argon2id, hardened cookie, generic errors, growing delays, CSRF, logout."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bot.console.auth import COOKIE, LOGIN_FAILED, password_problem
from bot.storage.models import AuditEntry, ConsoleSession, Counsellor, LoginThrottle, utcnow
from tests.console.conftest import PASSWORD, make_account, make_case


async def actions(app: Any) -> list[str]:
    async with app.ctx.db.session() as session:
        rows = await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
        return list(rows.all())


async def test_console_redirects_to_login_and_pages_have_strict_csp(running) -> None:
    async with httpx.AsyncClient(base_url=running.url) as http:
        page = await http.get("/console")
        assert page.status_code == 302 and page.headers["location"] == "/console/login"
        login = await http.get("/console/login")
        assert login.status_code == 200
        csp = login.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert login.headers["x-content-type-options"] == "nosniff"
        scripts = re.findall(r"<script[^>]*>", login.text)
        assert scripts and all("src=" in tag for tag in scripts)  # no inline script
        assert (await http.get("/console/static/console-core.js")).status_code == 200
        assert (await http.get("/console/api/queue")).status_code == 401

async def test_console_pages_answer_head_as_get_with_each_header_once(running) -> None:
    async with httpx.AsyncClient(base_url=running.url) as http:
        for path in ("/console", "/console/login", "/console/reports"):
            got, head = await http.get(path), await http.head(path)
            assert head.status_code == got.status_code, path
            assert head.headers.get("location") == got.headers.get("location"), path
        login = await http.get("/console/login")
    names = [name.lower() for name, _ in login.headers.multi_items()]
    assert len(names) == len(set(names)), sorted(names)


async def test_login_sets_hardened_cookie_and_stores_only_the_token_hash(serve) -> None:
    running = await serve(cookie_secure=True)
    await make_account(running.app, "lan")
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.post("/console/api/login",
                                   json={"username": "lan", "password": PASSWORD})
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "secure" in lowered
    assert "path=/console" in lowered
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 40
    async with running.app.ctx.db.session() as session:
        stored = (await session.scalars(select(ConsoleSession))).all()
        account = await session.scalar(select(Counsellor))
    assert [s.token_hash for s in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert account is not None and account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


async def test_cookie_not_secure_only_when_disabled_for_plain_http(running, console) -> None:
    await make_account(running.app, "lan")
    response = await console().login("lan")
    assert "secure" not in response.headers["set-cookie"].lower()


async def test_wrong_password_and_unknown_user_get_the_same_generic_error(running, console) -> None:
    await make_account(running.app, "lan")
    client = console()
    wrong = await client.login("lan", "not-the-password")
    unknown = await client.login("nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["message"] == LOGIN_FAILED
    assert "set-cookie" not in wrong.headers
    assert "login_failed" in await actions(running.app)


async def test_failures_slow_the_next_attempt_and_never_lock_the_account(running, console) -> None:
    await make_account(running.app, "lan")
    client = console()
    statuses = [(await client.login("lan", "wrong-password!")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]  # the fourth attempt from here must wait first
    held = await client.login("lan")  # the right password too, without hashing it
    assert held.status_code == 429 and held.json()["error"]["code"] == "login_throttled"
    wait = int(held.headers["retry-after"])
    assert 1 <= wait <= 2
    async with running.app.ctx.db.session() as session:  # `wait` seconds later
        for row in (await session.scalars(select(LoginThrottle))).all():
            row.blocked_until = utcnow() - timedelta(seconds=1)
    assert (await client.login("lan")).status_code == 200
    async with running.app.ctx.db.session() as session:
        account = await session.scalar(select(Counsellor).where(Counsellor.username == "lan"))
        assert account is not None and account.last_login_at is not None
    logged = await actions(running.app)
    assert logged.count("login_failed") == 1  # one row for the window, the count in the table
    assert logged[-1] == "login"


async def test_every_post_needs_the_session_csrf_token(running, console) -> None:
    await make_account(running.app, "lan")
    case_id = await make_case(running.app, "high")
    client = console()
    assert (await client.login("lan")).status_code == 200
    missing = await client.post(f"/cases/{case_id}/accept", csrf="")
    wrong = await client.post(f"/cases/{case_id}/accept", csrf="x" * 43)
    assert missing.status_code == wrong.status_code == 403
    assert missing.json()["error"]["code"] == "csrf_failed"
    form = await client.http.post(f"/console/api/cases/{case_id}/notes",
                                  data={"csrf_token": "bad", "text": "x"})
    assert form.status_code == 403
    assert (await client.post("/logout", csrf="")).status_code == 403
    accepted = await client.post(f"/cases/{case_id}/accept")
    assert accepted.status_code == 200 and accepted.json()["case"]["status"] == "active"


async def test_logout_ends_the_session_server_side(running, console) -> None:
    await make_account(running.app, "lan")
    client = console()
    await client.login("lan")
    token = client.http.cookies[COOKIE]
    assert (await client.post("/logout")).status_code == 200
    replay = await client.http.get("/console/api/me", cookies={COOKIE: token})
    assert replay.status_code == 401


async def test_login_from_another_origin_is_refused(running) -> None:
    await make_account(running.app, "lan")
    async with httpx.AsyncClient(base_url=running.url) as http:
        response = await http.post("/console/api/login", headers={"Origin": "https://evil.example"},
                                   json={"username": "lan", "password": PASSWORD})
    assert response.status_code == 403


def test_weak_passwords_are_refused() -> None:
    assert password_problem("short") is not None
    assert password_problem("aaaaaaaaaaaa") is not None
    assert password_problem("lan-lan-lan-2024", "lan") is not None
    assert password_problem("dai-va-kho-doan-7") is None


async def test_logged_in_console_page_is_served_and_audited(running, console) -> None:
    await make_account(running.app, "lan")
    client = console()
    await client.login("lan")
    for path in ("/console", "/console/"):
        page = await client.http.get(path)
        assert page.status_code == 200 and 'data-testid="queue"' in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "script-src 'self'" in page.headers["content-security-policy"]
    me = (await client.get("/me")).json()
    assert me["user"]["role"] == "counsellor" and me["labels"]["risk"]["imminent"]
    assert "password_hash" not in repr(me)
    assert (await actions(running.app)).count("console_viewed") == 2
