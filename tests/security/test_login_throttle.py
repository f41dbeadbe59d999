"""Console logins resist guessing without locking the owner out (issue 11, item 3).

The decisions run against a real SQLite database with an injected clock (no sleeping); the
HTTP behaviour (429, Retry-After, X-Forwarded-For only from trusted proxies) against a served
gateway.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from bot.console import throttle
from bot.console.auth import HASH_NICENESS, HashPool, LoginGate, hash_password, login
from bot.privacy import Privacy
from bot.storage.db import Database
from bot.storage.migrate import upgrade
from bot.storage.models import AuditEntry, Counsellor, LoginThrottle, utcnow
from tests.channels.conftest import until
from tests.console.conftest import PASSWORD, make_account

ATTACKER, OWNER, OTHER = "203.0.113.7", "198.51.100.20", "192.0.2.99"
POLICY = throttle.DEFAULT_POLICY
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, fast to test
CHEAP_DUMMY = CHEAP.hash("no account has this password")


def cheap_verify(password_hash: str | None, password: str) -> bool:
    """The real argon2id check on cheap hashes (the production cost is not under test)."""
    try:
        return CHEAP.verify(password_hash or CHEAP_DUMMY, password)
    except Exception:  # noqa: BLE001 - a mismatch
        return False


@pytest.fixture
async def gate(tmp_path: Path) -> AsyncIterator[LoginGate]:
    """A login gate on a fresh database with the account 'lan' (the right password: PASSWORD)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'logins.db'}"
    upgrade(url)
    db = Database(url)
    async with db.session() as session:
        session.add(Counsellor(username="lan", display_name="Lan", role="counsellor",
                               password_hash=CHEAP.hash(PASSWORD)))
    pool = HashPool(workers=1, queue=4, verify=cheap_verify)
    yield LoginGate(db, pool, Privacy("throttle-test"))
    pool.close()
    await db.dispose()


class Clock:
    """An injected clock for the throttle: moved forward, never slept on."""

    def __init__(self) -> None:
        self.now = utcnow()

    def tick(self, seconds: float) -> datetime:
        """Move forward and return the new time."""
        self.now += timedelta(seconds=seconds)
        return self.now


async def count(gate: LoginGate, model: type, *where: object) -> int:
    async with gate.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where))
                   or 0)


async def test_guesses_get_slower_and_slower_but_never_lock_the_owner_out(gate) -> None:
    clock = Clock()
    waits: list[int] = []
    for _ in range(40):  # the attacker retries as soon as allowed, for hours
        outcome = await login(gate, ATTACKER, "lan", "wrong-guess-123", now=clock.now)
        assert outcome.identity is None
        if outcome.retry_after:
            waits.append(outcome.retry_after)
            clock.tick(outcome.retry_after)
    assert waits == sorted(waits), "each wait is at least as long as the one before"
    assert waits[0] <= 2 and max(waits) == POLICY.max_delay.total_seconds()
    assert (await login(gate, ATTACKER, "lan", "wrong-guess-123", now=clock.now)).identity is None
    # the owner, from another address, meanwhile: a bounded wait, then in with the password
    first = await login(gate, OWNER, "lan", PASSWORD, now=clock.now)
    assert first.identity is None and 0 < first.retry_after <= POLICY.account_delay_cap.seconds
    again = await login(gate, OWNER, "lan", PASSWORD, now=clock.tick(first.retry_after))
    assert again.identity is not None and again.identity.username == "lan"
    # ... while the attacker's address is still held back
    assert (await login(gate, ATTACKER, "lan", PASSWORD, now=clock.now)).retry_after > 0


async def test_one_address_spraying_many_accounts_is_slowed_down_too(gate) -> None:
    clock = Clock()
    for i in range(POLICY.free_failures):
        outcome = await login(gate, ATTACKER, f"no-such-user-{i}", "x" * 12, now=clock.now)
        assert outcome.identity is None and outcome.retry_after == 0
    held = await login(gate, ATTACKER, "lan", PASSWORD, now=clock.now)
    assert held.retry_after > 0  # even the right password waits at an address that sprayed
    assert (await login(gate, OWNER, "lan", PASSWORD, now=clock.now)).identity is not None


async def test_failed_logins_grow_the_audit_log_by_one_row_per_window(gate) -> None:
    clock = Clock()
    started = clock.now
    for i in range(100):  # a distributed guesser: 100 addresses, each waiting when told to
        outcome = await login(gate, f"10.0.{i // 250}.{i % 250}", "lan", "wrong-pw-123",
                              now=clock.tick(1))
        if outcome.retry_after:
            outcome = await login(gate, f"10.0.{i // 250}.{i % 250}", "lan", "wrong-pw-123",
                                  now=clock.tick(outcome.retry_after))
        assert outcome.identity is None and not outcome.retry_after
    for i in range(50):  # and 50 unknown usernames
        await login(gate, f"10.9.0.{i}", f"ghost{i}", "wrong-pw-123", now=clock.tick(0.1))
    async with gate.db.session() as session:
        rows = (await session.scalars(select(AuditEntry).where(
            AuditEntry.action == "login_failed").order_by(AuditEntry.id))).all()
        window = await session.scalar(select(LoginThrottle.window_failures).where(
            LoginThrottle.scope == "account"))
    windows = (clock.now - started) / POLICY.window
    account_rows = [r for r in rows if r.detail["known"]]
    assert len(rows) - len(account_rows) == 1  # the unknown names' window
    assert len(account_rows) <= windows + 1 < 100 / 5  # one a window, not one a guess
    counted = sum(r.detail["previous_window_failures"] for r in account_rows) + (window or 0)
    assert counted == 100  # every failure is still counted
    assert all("wrong-pw" not in str(r.detail) for r in rows)
    # counters are forgotten after a quiet period: the table stays small
    clock.tick(POLICY.quiet.total_seconds() + 1)
    await login(gate, OTHER, "ghost", "wrong-pw-123", now=clock.now)
    assert await count(gate, LoginThrottle) == 2  # the new address and the unknown-name window


async def test_unlock_lets_the_owner_in_at_once_even_from_the_attackers_address(gate) -> None:
    clock, failures = Clock(), 0
    while failures < 8:
        outcome = await login(gate, ATTACKER, "lan", "wrong-guess-123", now=clock.now)
        failures += not outcome.retry_after
        clock.tick(outcome.retry_after)
    assert (await login(gate, ATTACKER, "lan", PASSWORD, now=clock.now)).retry_after > 0
    async with gate.db.session() as session:
        account = await session.scalar(select(Counsellor.id).where(Counsellor.username == "lan"))
        assert account is not None
        assert await throttle.clear_account(session, account) >= 3
    assert (await login(gate, ATTACKER, "lan", PASSWORD, now=clock.now)).identity is not None


async def test_a_login_flood_gets_429_beyond_the_bounded_pool_while_children_chat(
        serve, chats) -> None:
    release, started, calls = threading.Event(), threading.Event(), []

    def slow_verify(password_hash: str | None, password: str) -> bool:
        calls.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        started.set()
        release.wait(30)  # the hashing pool is saturated until the test lets go
        return False

    running = await serve(cookie_secure=False, trusted_proxies=("127.0.0.1",))
    pool = running.app.ctx.login_pool = HashPool(workers=1, queue=2, verify=slow_verify)
    async with httpx.AsyncClient(base_url=running.url, timeout=30) as http:
        flood = [asyncio.create_task(http.post(
            "/console/api/login", json={"username": "lan", "password": "guess-guess-1"},
            headers={"X-Forwarded-For": f"172.16.{i // 200}.{i % 200}"})) for i in range(150)]
        try:
            await asyncio.to_thread(started.wait, 10)
            await until(lambda: sum(t.done() for t in flood) == 150 - pool.capacity,
                        what="every attempt beyond the pool refused")
            refused = [t.result() for t in flood if t.done()]
            assert {r.status_code for r in refused} == {429}
            assert all(r.headers["retry-after"] == "1" for r in refused)
            assert pool.busy == pool.peak == pool.capacity == 3 and len(calls) == 1
            chat = await chats.post(http, "kid-during-flood", "chào bạn")  # not held up
            assert chat.status_code == 200 and chat.json()["replies"]
        finally:
            release.set()
        held = await asyncio.gather(*[t for t in flood if not t.done()])
    assert [r.status_code for r in held] == [401] * 3
    assert pool.busy == 0  # all places returned
    assert min(calls) >= HASH_NICENESS  # hashing yields the CPU to the chat and Rasa
    pool.close()


def test_x_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    address = throttle.client_address
    assert address("203.0.113.7", ["1.2.3.4"], ()) == "203.0.113.7"  # nobody trusted
    assert address("203.0.113.7", ["1.2.3.4"], ("10.0.0.1",)) == "203.0.113.7"  # not a proxy
    assert address("10.0.0.1", ["1.2.3.4, 198.51.100.2"], ("10.0.0.1",)) == "198.51.100.2"
    assert address("10.0.0.1", ["1.2.3.4, 10.0.0.2"], ("10.0.0.0/24",)) == "1.2.3.4"
    assert address("10.0.0.1", ["not-an-ip"], ("10.0.0.1",)) == "10.0.0.1"
    assert address("2001:db8::1", [], ()) == "2001:db8::/64"  # one IPv6 subscriber
    assert address("::ffff:192.0.2.1", [], ()) == "192.0.2.1"


def test_delays_double_from_the_fourth_failure_and_stop_at_the_cap() -> None:
    cap = timedelta(minutes=15)
    delays = [throttle.delay_after(n, cap).total_seconds() for n in range(0, 16)]
    assert delays[:3] == [0, 0, 0] and delays[3:7] == [1, 2, 4, 8]
    assert max(delays) == 900 and delays[-1] == 900


async def test_http_login_answers_429_with_retry_after_and_ignores_spoofed_forwarding(
        serve) -> None:
    running = await serve(cookie_secure=False)
    await make_account(running.app, "lan")
    async with httpx.AsyncClient(base_url=running.url) as http:
        statuses = []
        for i in range(POLICY.free_failures + 1):  # a new forged address each time: ignored
            response = await http.post("/console/api/login", json={
                "username": "nobody", "password": "wrong-pw-123"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"})
            statuses.append(response.status_code)
        held = await http.post("/console/api/login", json={"username": "lan",
                                                           "password": PASSWORD})
    assert statuses == [401] * POLICY.free_failures + [429]
    assert held.status_code == 429 and int(held.headers["retry-after"]) >= 1
    assert held.json()["error"]["code"] == "login_throttled"
    assert "set-cookie" not in held.headers


async def test_http_login_behind_a_trusted_proxy_throttles_the_real_client(serve) -> None:
    running = await serve(cookie_secure=False, trusted_proxies=("127.0.0.1",))
    await make_account(running.app, "lan")
    async with httpx.AsyncClient(base_url=running.url) as http:
        for _ in range(POLICY.free_failures + 1):
            await http.post("/console/api/login", json={"username": "lan",
                                                        "password": "wrong-pw-123"},
                            headers={"X-Forwarded-For": ATTACKER})
        attacker = await http.post("/console/api/login", json={"username": "lan",
                                                               "password": PASSWORD},
                                   headers={"X-Forwarded-For": ATTACKER})
        owner = await http.post("/console/api/login", json={"username": "lan",
                                                            "password": PASSWORD},
                                headers={"X-Forwarded-For": OWNER})
    assert attacker.status_code == 429
    assert owner.status_code in (200, 429)  # the account was attacked: at most one short wait
    if owner.status_code == 429:
        assert int(owner.headers["retry-after"]) <= POLICY.account_delay_cap.seconds
    async with running.app.ctx.db.session() as session:
        keys = (await session.scalars(select(LoginThrottle.key))).all()
    assert keys and not any(ATTACKER in k or OWNER in k for k in keys)  # addresses keyed


def test_password_hashes_stay_argon2id() -> None:
    assert hash_password(PASSWORD).startswith("$argon2id$")
    assert PasswordHasher().verify(hash_password(PASSWORD), PASSWORD)
