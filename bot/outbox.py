"""Outbox worker: claims pending items, sends them in order per chat, retries with back-off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from bot.channels.base import Delivery, Sender, SendError, scrub
from bot.privacy import Privacy
from bot.storage.db import Database, with_reconnect
from bot.storage.models import Message, OutboxItem, User, utcnow

log = logging.getLogger("kidsafe.outbox")

LEASE = timedelta(seconds=20)  # a claimed item is invisible to other workers this long
SEND_TIMEOUT = 15.0  # seconds for one item (all its parts), well inside the lease
MAX_ATTEMPTS = 20
BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0
BATCH = 50


def backoff(attempts: int) -> float:
    """Exponential back-off with jitter: about 1, 2, 4 ... seconds, at most 5 minutes."""
    delay: float = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.5, 1.0)


Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Token buckets: `rate` sends a second with bursts of `burst`, per key."""

    def __init__(
        self, rate: float, burst: float, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[object, tuple[float, float]] = {}

    async def acquire(self, key: object) -> None:
        """Wait until the key may send once more."""
        while True:
            now = self.clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > 10_000:
                    self._forget(now)
                return
            self._buckets[key] = (tokens, now)
            await self.sleep((1.0 - tokens) / self.rate)

    def _forget(self, now: float) -> None:
        full = [
            k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]


class OutboxWorker:
    """Delivers the outbox; several workers (processes) may run against one database."""

    def __init__(
        self,
        db: Database,
        privacy: Privacy,
        senders: Mapping[str, Sender],
        poll_seconds: float = 0.5,
        per_chat: RateLimiter | None = None,
        overall: RateLimiter | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.db = db
        self.privacy = privacy
        self.senders = dict(senders)
        self.poll_seconds = poll_seconds
        self.per_chat = per_chat or RateLimiter(rate=1.0, burst=3.0, clock=clock)
        self.overall = overall or RateLimiter(rate=30.0, burst=30.0, clock=clock)
        self.clock = clock
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._paused_until: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._asked = 0  # how many times idle() was called: a check begun before is stale

    def wake(self) -> None:
        """Look for new items now instead of at the next poll."""
        self._idle.clear()
        self._wake.set()

    async def idle(self) -> None:
        """Return once nothing is pending for this worker's channels and no send is in flight.

        The check is made afresh after the call (an item queued just before is never missed),
        so waiting for it and then counting what was sent also catches a late duplicate.
        """
        self._asked += 1
        self.wake()
        await self._idle.wait()

    async def run(self) -> None:
        """Claim and send until cancelled; a failing database only pauses the loop."""
        log.info("outbox worker started for %s", ", ".join(sorted(self.senders)) or "no channel")
        try:
            while True:
                self._wake.clear()
                asked = self._asked
                try:
                    claimed = await self.claim_and_start()
                    if not claimed and not self._idle.is_set():
                        await self._note_idle(asked)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database may be restarting
                    log.warning("outbox claim failed: %s", type(exc).__name__)
                    claimed = 0
                if claimed:
                    self._idle.clear()
                    continue
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel
                # that arrives as the wake fires, and the worker would never stop
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):
                        await self._wake.wait()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _note_idle(self, asked: int) -> None:
        """Set the idle signal if nothing is pending or in flight and no newer idle() asked."""
        if not self._in_flight and not await self.pending() and asked == self._asked:
            self._idle.set()

    async def pending(self) -> int:
        """How many items of this worker's channels are not yet sent (nor given up)."""
        return await pending_items(self.db, tuple(self.senders))

    def paused(self, channel: str) -> bool:
        """True while a channel waits out the platform's `retry_after`."""
        return self._paused_until.get(channel, 0.0) > self.clock()

    async def claim_and_start(self) -> int:
        """Claim the head item of each chat that is due, and start sending it."""
        channels = [c for c in self.senders if not self.paused(c)]
        if not channels:
            return 0
        now = utcnow()
        heads = (
            select(func.min(OutboxItem.id).label("id"))
            .where(OutboxItem.status == "pending")
            .group_by(OutboxItem.user_id)
            .subquery()
        )
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(OutboxItem.id, OutboxItem.user_id)
                    .join(heads, heads.c.id == OutboxItem.id)
                    .where(OutboxItem.next_attempt_at <= now, OutboxItem.channel.in_(channels))
                    .order_by(OutboxItem.id)
                    .limit(BATCH)
                )
            ).all()
        started = 0
        for item_id, user_id in rows:
            if user_id in self._in_flight:
                continue
            if await self._claim(item_id, now):
                self._in_flight.add(user_id)
                task = asyncio.create_task(self._deliver(item_id, user_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                started += 1
        return started

    async def _claim(self, item_id: int, now: datetime) -> bool:
        """Atomically lease one item: only one worker's UPDATE matches."""
        async with self.db.session() as session:
            result = await session.execute(
                update(OutboxItem)
                .where(
                    OutboxItem.id == item_id,
                    OutboxItem.status == "pending",
                    OutboxItem.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _deliver(self, item_id: int, user_id: int) -> None:
        try:
            await self._deliver_claimed(item_id, user_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("outbox item %s: %s", item_id, type(exc).__name__)
        finally:
            self._in_flight.discard(user_id)
            self._wake.set()

    async def _deliver_claimed(self, item_id: int, user_id: int) -> None:
        async with self.db.session() as session:
            item = await session.get(OutboxItem, item_id)
            user = await session.get(User, user_id)
            if item is None or item.status != "pending":
                return
            channel, payload = item.channel, dict(item.payload or {})
            sealed = user.address if user is not None else None
        sender = self.senders[channel]
        try:
            address = self.privacy.open(sealed) if sealed is not None else None
        except Exception:  # sealed with another key: nobody can reply to this chat any more
            address = None
        if address is None:
            await self._finish_dead(item_id, channel, "no address to reply to")
            return
        delivery = Delivery(
            item_id=item_id,
            user_id=user_id,
            address=address,
            payload=payload,
            sent_ids=tuple(str(i) for i in payload.get("sent_ids") or ()),
        )
        await self.per_chat.acquire((channel, user_id))
        await self.overall.acquire(channel)
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                ids = await sender.send(delivery)
        except SendError as exc:
            await self._failed(item_id, channel, exc, sender)
        except TimeoutError:
            await self._failed(item_id, channel, SendError("timed out"), sender)
        except Exception as exc:
            reason = scrub(f"{type(exc).__name__}: {exc}", sender.secrets)
            await self._failed(item_id, channel, SendError(reason), sender)
        else:
            await with_reconnect(lambda: self._mark_sent(item_id, ids))

    async def _mark_sent(self, item_id: int, ids: list[str]) -> None:
        async with self.db.session() as session:
            item = await session.get(OutboxItem, item_id)
            if item is None:
                return
            payload: dict[str, Any] = dict(item.payload or {})
            payload.pop("sent_ids", None)
            payload["platform_ids"] = ids
            item.payload = payload
            item.status, item.sent_at, item.last_error = "sent", utcnow(), None
            item.attempts += 1
            if item.message_id is not None and ids:
                await session.execute(
                    update(Message)
                    .where(Message.id == item.message_id)
                    .values(platform_id=",".join(ids)[:80])
                )

    async def _failed(self, item_id: int, channel: str, exc: SendError, sender: Sender) -> None:
        reason = scrub(str(exc), sender.secrets)
        if exc.retry_after is not None:
            self._paused_until[channel] = self.clock() + exc.retry_after
            log.warning("%s asked to wait %.1fs", channel, exc.retry_after)

        async def record() -> None:
            async with self.db.session() as session:
                item = await session.get(OutboxItem, item_id)
                if item is None:
                    return
                item.attempts += 1
                item.last_error = reason
                if exc.sent_ids:
                    done = list((item.payload or {}).get("sent_ids") or []) + exc.sent_ids
                    item.payload = {**(item.payload or {}), "sent_ids": done}
                if exc.permanent or item.attempts >= MAX_ATTEMPTS:
                    item.status = "dead"
                    log.error(
                        "outbox item %s on %s dead after %d attempts: %s",
                        item_id, channel, item.attempts, reason,
                    )
                    return
                wait = exc.retry_after if exc.retry_after is not None else backoff(item.attempts)
                item.next_attempt_at = utcnow() + timedelta(seconds=wait)
                log.info("outbox item %s retry in %.1fs (%s)", item_id, wait, reason)

        await with_reconnect(record)

    async def _finish_dead(self, item_id: int, channel: str, reason: str) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == item_id)
                .values(status="dead", last_error=reason, attempts=OutboxItem.attempts + 1)
            )
        log.error("outbox item %s on %s dead: %s", item_id, channel, reason)


async def pending_items(db: Database, channels: tuple[str, ...] | None = None) -> int:
    """Items not yet sent nor given up (on these channels): 0 means the outbox is drained."""
    query = select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending")
    if channels is not None:
        query = query.where(OutboxItem.channel.in_(channels))
    async with db.session() as session:
        return int(await session.scalar(query) or 0)
