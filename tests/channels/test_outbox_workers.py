"""Several outbox workers on one database: each item sent once, in order per chat."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

from bot.channels.base import Delivery, SendError
from bot.outbox import OutboxWorker, RateLimiter, backoff
from bot.privacy import Privacy
from bot.storage.db import Database
from bot.storage.models import OutboxItem, User
from tests.channels.conftest import until


class Recorder:
    """A sender that records deliveries and fails now and then."""

    channel = "telegram"
    secrets = ("secret-token",)

    def __init__(self, log: dict[str, list[str]]) -> None:
        self.log = log

    async def send(self, delivery: Delivery) -> list[str]:
        """Record the text per address; fail one time in five."""
        await asyncio.sleep(random.uniform(0, 0.01))
        if random.random() < 0.2:
            raise SendError("flaky secret-token")
        self.log[delivery.address].append(delivery.payload["text"])
        return [str(delivery.item_id)]


async def test_two_workers_send_each_item_once_in_order(make_settings, monkeypatch) -> None:
    monkeypatch.setattr("bot.outbox.BACKOFF_BASE", 0.02)
    settings = make_settings()
    db = Database(settings.database_url)
    privacy = Privacy("unit-test-secret")
    async with db.session() as session:
        users = [User(channel="telegram", pseudonym=f"p{i}", address=privacy.seal(f"chat{i}"))
                 for i in range(8)]
        session.add_all(users)
        await session.flush()
        for n in range(10):
            for user in users:
                session.add(OutboxItem(user_id=user.id, channel="telegram",
                                       payload={"text": f"{n}", "buttons": []}))
    log: dict[str, list[str]] = defaultdict(list)
    fast = dict(per_chat=RateLimiter(1000, 1000), overall=RateLimiter(1000, 1000))
    workers = [OutboxWorker(db, privacy, {"telegram": Recorder(log)}, 0.01, **fast)
               for _ in range(2)]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        await until(lambda: sum(map(len, log.values())) >= 80, within=30, what="all sent")
        await asyncio.sleep(0.3)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await db.dispose()
    assert len(log) == 8
    for texts in log.values():
        assert texts == [str(n) for n in range(10)]  # in order, none twice


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    assert 0.5 <= backoff(1) <= 1.0
    assert 4.0 <= backoff(4) <= 8.0
    assert backoff(40) <= 300.0
