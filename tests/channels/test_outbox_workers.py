"""The outbox worker on a real database: several workers send each item once and in order;
rate limits and `retry_after` on an injected clock (no sleeping, no timing asserts)."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import Delivery, SendError
from bot.outbox import OutboxWorker, RateLimiter, backoff
from bot.privacy import Privacy
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import OutboxItem, User, as_utc, utcnow
from tests.channels.conftest import until_async

PRIVACY = Privacy("unit-test-secret")


class FakeClock:
    """A monotonic clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting (and let other tasks run)."""
        self.now += seconds
        await asyncio.sleep(0)


class Recorder:
    """A sender that records each delivery's text per address, and the clock when sent."""

    channel = "telegram"
    secrets = ("secret-token",)

    def __init__(self, clock: Callable[[], float] = lambda: 0.0, flaky: float = 0.0,
                 fail_first: SendError | None = None) -> None:
        self.log: dict[str, list[str]] = defaultdict(list)
        self.times: list[float] = []
        self.clock = clock
        self.flaky = flaky
        self.fail_first = fail_first

    async def send(self, delivery: Delivery) -> list[str]:
        """Record the text; fail once if asked, or now and then."""
        await asyncio.sleep(random.uniform(0, 0.01) if self.flaky else 0)
        if self.fail_first is not None:
            failure, self.fail_first = self.fail_first, None
            raise failure
        if random.random() < self.flaky:
            raise SendError("flaky secret-token")
        self.log[delivery.address].append(delivery.payload["text"])
        self.times.append(self.clock())
        return [str(delivery.item_id)]


@pytest.fixture
async def db(make_settings: Callable[..., Settings]) -> AsyncIterator[Database]:
    """The gateway database, migrated, on SQLite in tmp_path."""
    database = Database(make_settings().database_url)
    yield database
    await database.dispose()


async def queue(db: Database, chats: int, per_chat: int) -> None:
    """`per_chat` items ("0", "1", ...) for each of `chats` Telegram chats."""
    async with db.session() as session:
        users = [User(channel="telegram", pseudonym=f"p{i}", address=PRIVACY.seal(f"chat{i}"))
                 for i in range(chats)]
        session.add_all(users)
        await session.flush()
        for n in range(per_chat):
            for user in users:
                session.add(OutboxItem(user_id=user.id, channel="telegram",
                                       payload={"text": f"{n}", "buttons": []}))


async def running(*workers: OutboxWorker) -> list[asyncio.Task[None]]:
    """Start the workers' loops."""
    return [asyncio.create_task(w.run()) for w in workers]


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the workers' loops and wait for them."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_two_workers_send_each_item_once_in_order(db: Database, monkeypatch) -> None:
    monkeypatch.setattr("bot.outbox.BACKOFF_BASE", 0.02)
    await queue(db, chats=8, per_chat=10)
    sender = Recorder(flaky=0.2)
    fast = dict(per_chat=RateLimiter(1000, 1000), overall=RateLimiter(1000, 1000))
    workers = [OutboxWorker(db, PRIVACY, {"telegram": sender}, 0.01, **fast) for _ in range(2)]
    tasks = await running(*workers)
    try:
        await asyncio.wait_for(asyncio.gather(*(w.idle() for w in workers)), 60)
    finally:
        await stop(tasks)
    assert len(sender.log) == 8
    for texts in sender.log.values():
        assert texts == [str(n) for n in range(10)]  # in order, none twice


async def test_idle_waits_for_items_queued_without_a_wake(db: Database) -> None:
    sender = Recorder()
    worker = OutboxWorker(db, PRIVACY, {"telegram": sender}, poll_seconds=60.0,
                          per_chat=RateLimiter(1000, 1000))
    tasks = await running(worker)
    try:
        await asyncio.wait_for(worker.idle(), 10)  # nothing queued yet
        await queue(db, chats=1, per_chat=3)  # as another process would: no wake()
        await asyncio.wait_for(worker.idle(), 10)  # checks afresh, so it waits for the three
    finally:
        await stop(tasks)
    assert sender.log == {"chat0": ["0", "1", "2"]}


async def test_the_worker_stops_when_cancelled_just_as_it_is_woken(db: Database) -> None:
    worker = OutboxWorker(db, PRIVACY, {"telegram": Recorder()}, poll_seconds=60.0)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(worker.idle(), 10)  # parked until woken
    worker.wake()  # e.g. a reply queued ...
    task.cancel()  # ... as the gateway shuts down: the cancel must not be lost
    done, _ = await asyncio.wait({task}, timeout=10)
    if not done:
        task.cancel()
    assert task in done and task.cancelled()


async def test_rate_limiter_bursts_then_paces_each_key() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=1.0, burst=3.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(6):
        await limiter.acquire("chat-a")
        times.append(clock.now)
    await limiter.acquire("chat-b")  # another chat has its own bucket: no wait
    assert [*times, clock.now] == pytest.approx([0, 0, 0, 1, 2, 3, 3])


async def test_one_chat_gets_a_burst_of_three_then_one_a_second(db: Database) -> None:
    clock = FakeClock()
    sender = Recorder(clock=clock)
    worker = OutboxWorker(
        db, PRIVACY, {"telegram": sender}, 0.01, clock=clock,
        per_chat=RateLimiter(1.0, 3.0, clock=clock, sleep=clock.sleep),
        overall=RateLimiter(30.0, 30.0, clock=clock, sleep=clock.sleep),
    )
    await queue(db, chats=1, per_chat=7)
    tasks = await running(worker)
    try:
        await asyncio.wait_for(worker.idle(), 30)
    finally:
        await stop(tasks)
    assert sender.log["chat0"] == [str(n) for n in range(7)]
    assert sender.times == pytest.approx([0, 0, 0, 1, 2, 3, 4])


async def test_retry_after_pauses_the_channel_that_long(db: Database) -> None:
    clock = FakeClock()
    sender = Recorder(clock=clock, fail_first=SendError("429", retry_after=2.0))
    worker = OutboxWorker(db, PRIVACY, {"telegram": sender}, 0.01, clock=clock)
    await queue(db, chats=1, per_chat=1)
    before = utcnow()
    tasks = await running(worker)

    async def attempts() -> int:
        async with db.session() as session:
            return int(await session.scalar(select(OutboxItem.attempts)) or 0)

    try:
        await until_async(attempts, what="the failed attempt recorded")
        assert worker.paused("telegram")
        clock.now += 1.9
        assert worker.paused("telegram")
        clock.now += 0.2
        assert not worker.paused("telegram")
        async with db.session() as session:
            item = await session.scalar(select(OutboxItem))
        assert item is not None and item.status == "pending" and item.last_error == "429"
        assert as_utc(item.next_attempt_at) >= before + timedelta(seconds=2)  # retried after it
    finally:
        await stop(tasks)
    assert sender.log == {}


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    assert 0.5 <= backoff(1) <= 1.0
    assert 4.0 <= backoff(4) <= 8.0
    assert backoff(40) <= 300.0

