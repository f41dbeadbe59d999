"""One shared change feed per process: writers record what changed, listeners subscribe.

Writers (in the same transaction as the change itself, so a change is seen only once it is
committed, and a rolled-back change is never seen):

    await changefeed.record(session, ChangeKind.MESSAGE, conversation_id=c.id, case_id=case_id,
                            detail={"direction": "out", "author": "counsellor"})

Kinds and their `detail` (never message text, never platform ids):
- `message`: {"direction": "in" | "out", "author": "user" | "bot" | "counsellor" | "system"}
- `case`:    {"event": "opened" | "raised" | "accepted" | "step" | "transferred" | "closed" | ...}
- `review`:  {"event": "listed" | "updated" | "taken" | "dismissed"}
- `alert`:   {"event": "raised" | "acknowledged", "kind": <alert kind>}
- `typing`:  {"who": "user" | "counsellor"}  (see `typing_due` to throttle them)
- `session`: {"counsellor_id": <id>}  (a console session ended: live views re-check it)

Readers: `app.ctx.changes` is the process's `ChangeFeed`, started once. ONE loop per process
reads the rows after the last id it saw (woken at once by a commit in this process, by
PostgreSQL's NOTIFY from other processes, and otherwise every `poll_seconds`) and fans them out:

    async with app.ctx.changes.subscribe(lambda c: c.conversation_id == wanted) as changes:
        async for change in changes:          # Change(id, kind, conversation_id, ...)
            ...

or `await changes.next(within)` (None when nothing came in time, e.g. to send a heartbeat).
A change is a notification: read the current state from the database after it. Each
subscription has a bounded queue that coalesces: a newer change with the same `key` replaces
a pending one; past `limit` pending changes the queue is cleared and one `reset` change tells
the listener to reload everything. Leaving the `async with` (or dropping the subscription)
unsubscribes. Rows older than `keep` are pruned by the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType, TracebackType
from typing import Any

from sqlalchemy import delete, event, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.storage.db import Database
from bot.storage.models import Change as ChangeRow
from bot.storage.models import as_utc, utcnow

log = logging.getLogger("kidsafe.changes")
NOTIFY_CHANNEL = "kidsafe_changes"
POLL_SECONDS = 0.5
LISTENING_POLL_SECONDS = 2.0  # with PostgreSQL's NOTIFY the poll is only a safety net
KEEP = timedelta(hours=1)
PRUNE_EVERY = 60.0
BATCH = 1000
GAP_SECONDS = 30.0  # an id skipped by a slower transaction is looked for this long
MAX_GAPS = 5000
QUEUE_LIMIT = 500
TYPING_EVERY = 2.0
_feeds: weakref.WeakSet[ChangeFeed] = weakref.WeakSet()
_typing_seen: OrderedDict[tuple[int, str], float] = OrderedDict()


class ChangeKind(StrEnum):
    """What changed."""

    MESSAGE = "message"
    CASE = "case"
    REVIEW = "review"
    ALERT = "alert"
    TYPING = "typing"
    SESSION = "session"
    RESET = "reset"  # not stored: a subscriber fell behind and must reload


@dataclass(frozen=True)
class Change:
    """One committed change, as subscribers receive it."""

    id: int
    kind: str
    conversation_id: int | None
    case_id: str | None
    detail: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    at: datetime = field(default_factory=utcnow)

    @property
    def key(self) -> Hashable:
        """What a newer change replaces when it is still pending (same thing, same side)."""
        side = self.detail.get("direction") or self.detail.get("who") or ""
        return (self.kind, self.conversation_id, self.case_id, side)


Predicate = Callable[[Change], bool]
_RESET_KEY: Hashable = (ChangeKind.RESET.value, None, None, "")


async def record(
    session: AsyncSession,
    kind: ChangeKind | str,
    *,
    conversation_id: int | None = None,
    case_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Record a change in the caller's transaction (seen by every feed once committed)."""
    session.add(ChangeRow(kind=str(kind), conversation_id=conversation_id, case_id=case_id,
                          detail=dict(detail) if detail else None, at=utcnow()))
    if session.info.get("changefeed_hooked"):
        return
    session.info["changefeed_hooked"] = True
    event.listen(session.sync_session, "after_commit", _after_commit, once=True)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))  # delivered at commit


def _after_commit(_session: object) -> None:
    """A change was committed in this process: wake every feed of the process now."""
    for feed in list(_feeds):
        feed.wake()


def typing_due(conversation_id: int, who: str, now: float | None = None) -> bool:
    """Whether a typing change is worth recording (at most one per TYPING_EVERY per side)."""
    moment = time.monotonic() if now is None else now
    key = (conversation_id, who)
    last = _typing_seen.get(key)
    if last is not None and moment - last < TYPING_EVERY:
        return False
    _typing_seen[key] = moment
    _typing_seen.move_to_end(key)
    while len(_typing_seen) > 10_000:
        _typing_seen.popitem(last=False)
    return True


class Subscription:
    """A listener's bounded, coalescing queue of changes; an async iterator."""

    def __init__(self, feed: ChangeFeed, predicate: Predicate | None, limit: int) -> None:
        self._feed = feed
        self._predicate = predicate
        self._limit = limit
        self._pending: OrderedDict[Hashable, Change] = OrderedDict()
        self._ready = asyncio.Event()
        self.closed = False
        self.resets = 0

    def offer(self, change: Change) -> None:
        """Queue a change if the listener wants it (called by the feed, never blocks)."""
        if self.closed:
            return
        try:
            if self._predicate is not None and not self._predicate(change):
                return
        except Exception:  # noqa: BLE001 - one listener's bad filter must not stop the feed
            log.exception("change feed predicate failed")
            return
        key = change.key
        if _RESET_KEY in self._pending:
            return  # the listener reloads everything anyway
        if key in self._pending:
            self._pending[key] = change
            self._pending.move_to_end(key)
        elif len(self._pending) >= self._limit:
            self._pending.clear()
            self.resets += 1
            self._pending[_RESET_KEY] = Change(id=change.id, kind=ChangeKind.RESET,
                                               conversation_id=None, case_id=None)
        else:
            self._pending[key] = change
        self._ready.set()

    @property
    def pending(self) -> int:
        """Changes waiting to be read."""
        return len(self._pending)

    async def next(self, within: float | None = None) -> Change | None:
        """The next change, or None after `within` seconds (or once closed)."""
        while not self._pending:
            if self.closed:
                return None
            self._ready.clear()
            try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel
                async with asyncio.timeout(within):
                    await self._ready.wait()
            except TimeoutError:
                return None
        _key, change = self._pending.popitem(last=False)
        return change

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Change:
        change = await self.next()
        if change is None:
            raise StopAsyncIteration
        return change

    def close(self) -> None:
        """Stop listening (idempotent)."""
        self.closed = True
        self._pending.clear()
        self._ready.set()
        self._feed.unsubscribe(self)

    async def __aenter__(self) -> Subscription:
        await self._feed.catch_up()  # before the listener reads any state: nothing older sent
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


class ChangeFeed:
    """The process's single reader of the `changes` table, fanning out to subscribers."""

    def __init__(
        self,
        db: Database,
        *,
        poll_seconds: float = POLL_SECONDS,
        keep: timedelta = KEEP,
        queue_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.keep = keep
        self.queue_limit = queue_limit
        self.last_id: int | None = None  # read at start (or at the first poll that works)
        self._gaps: dict[int, float] = {}
        self._subscribers: weakref.WeakSet[Subscription] = weakref.WeakSet()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listen: AsyncConnection | None = None
        self._last_prune = 0.0
        self._behind = False  # reads were skipped while nobody listened (see `wake`)
        self._reading = asyncio.Lock()
        self.polls = 0

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Begin after the newest stored change (no replay) and run the loop."""
        _typing_seen.clear()  # the typing throttle starts afresh with the process's feed
        try:
            await self._begin()
        except Exception:  # noqa: BLE001 - the database may be restarting: the loop retries
            log.warning("change feed cannot read the table yet", exc_info=True)
        _feeds.add(self)
        await self._start_listening()
        self._task = asyncio.create_task(self._run(), name="change-feed")

    async def stop(self) -> None:
        """Stop the loop, the listener and every subscription."""
        _feeds.discard(self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._stop_listening()
        self.close_subscriptions()

    def close_subscriptions(self) -> None:
        """End every subscription (live views finish their answer; e.g. at shutdown)."""
        for subscription in list(self._subscribers):
            subscription.close()

    def wake(self) -> None:
        """Read the table now (a change was committed).

        On SQLite with nobody listening the feed only notes that it is behind: reading the table
        after every commit cost about a tenth of the gateway's CPU per message
        (bench/gateway_profile.py). The first listener then moves it to the newest change before
        it is handed anything (`catch_up`), so it is never sent changes from before it
        subscribed. PostgreSQL always reads: an id below the newest may still be committing."""
        if self._may_fall_behind():
            self._behind = True
            return
        self._wake.set()

    def _may_fall_behind(self) -> bool:
        """Nobody listens and ids are committed in order (SQLite has one writer at a time)."""
        return not self._subscribers and self.db.engine.dialect.name == "sqlite"

    async def catch_up(self) -> None:
        """If the feed skipped reads while nobody listened, move it to the newest change."""
        if not self._behind:
            return
        async with self._reading:
            if self._behind:
                self._behind = False  # before reading: a commit meanwhile marks it behind again
                try:
                    await self._begin()
                except BaseException:
                    self._behind = True
                    raise
                self._gaps.clear()

    # ------------------------------------------------------------------ subscribers

    def subscribe(self, predicate: Predicate | None = None,
                  limit: int | None = None) -> Subscription:
        """A new subscription to the changes that `predicate` accepts (all when None)."""
        subscription = Subscription(self, predicate, limit or self.queue_limit)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription."""
        self._subscribers.discard(subscription)

    @property
    def subscribers(self) -> int:
        """How many listeners are subscribed now."""
        return len(self._subscribers)

    def publish(self, changes: list[Change]) -> None:
        """Hand changes to every subscriber (each filters and coalesces for itself)."""
        for subscription in list(self._subscribers):
            for change in changes:
                subscription.offer(change)

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        while True:
            try:
                while len(await self.poll_once()) >= BATCH:
                    pass
                await self._prune_now_and_then()
                if not await self._listening() and self.db.engine.dialect.name == "postgresql":
                    await self._stop_listening()
                    await self._start_listening()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be restarting: keep going
                log.warning("change feed poll failed; retrying", exc_info=True)
                await self._stop_listening()
            every = self.poll_seconds
            if self._listen is not None:
                every = max(every, LISTENING_POLL_SECONDS)
            with contextlib.suppress(TimeoutError):  # not wait_for: it can swallow a cancel
                async with asyncio.timeout(every):
                    await self._wake.wait()
            self._wake.clear()

    async def _begin(self) -> None:
        async with self.db.session() as session:
            self.last_id = int(await session.scalar(select(func.max(ChangeRow.id))) or 0)

    async def poll_once(self) -> list[Change]:
        """Read the changes committed since the last poll and publish them."""
        if self._may_fall_behind():  # nobody to tell: only keep the place, cheaply
            self._behind = True
            await self.catch_up()
            return []
        await self.catch_up()
        async with self._reading:
            return await self._read_and_publish()

    async def _read_and_publish(self) -> list[Change]:
        self.polls += 1
        if self.last_id is None:
            await self._begin()
            return []
        last_id = self.last_id
        now = time.monotonic()
        self._gaps = {i: t for i, t in self._gaps.items() if now - t < GAP_SECONDS}
        condition = ChangeRow.id > last_id
        if self._gaps:
            condition = or_(condition, ChangeRow.id.in_(list(self._gaps)))
        async with self.db.session() as session:
            rows = (await session.scalars(
                select(ChangeRow).where(condition).order_by(ChangeRow.id).limit(BATCH)
            )).all()
        changes: list[Change] = []
        for row in rows:
            if row.id in self._gaps:
                del self._gaps[row.id]
            elif row.id > last_id:
                self._note_gaps(last_id, row.id, now)
                self.last_id = last_id = row.id
            else:
                continue
            changes.append(Change(
                id=row.id, kind=row.kind, conversation_id=row.conversation_id,
                case_id=row.case_id, detail=MappingProxyType(dict(row.detail or {})),
                at=as_utc(row.at),
            ))
        if changes:
            self.publish(changes)
        return changes

    def _note_gaps(self, last_id: int, new_id: int, now: float) -> None:
        """Ids skipped between the last one and `new_id` may still be committed (PostgreSQL)."""
        missing = new_id - last_id - 1
        if last_id and 0 < missing <= MAX_GAPS - len(self._gaps):
            for gap in range(last_id + 1, new_id):
                self._gaps[gap] = now

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        await self.prune()

    async def prune(self) -> None:
        """Delete rows older than `keep`, never the newest one read."""
        async with self.db.session() as session:
            await session.execute(delete(ChangeRow).where(
                ChangeRow.at < utcnow() - self.keep, ChangeRow.id < (self.last_id or 0)))

    # ------------------------------------------------------------------ PostgreSQL NOTIFY

    async def _start_listening(self) -> None:
        """On PostgreSQL, LISTEN on one connection so other processes' commits wake us."""
        if self.db.engine.dialect.name != "postgresql":
            return
        try:
            connection = await self.db.engine.connect()
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await driver.add_listener(NOTIFY_CHANNEL, self._notified)
        except Exception:  # noqa: BLE001 - polling still works
            log.warning("LISTEN %s failed; polling only", NOTIFY_CHANNEL, exc_info=True)
            return
        self._listen = connection

    async def _listening(self) -> bool:
        """The LISTEN connection is up (a database restart closes it)."""
        if self._listen is None:
            return False
        raw = await self._listen.get_raw_connection()
        driver = raw.driver_connection
        return driver is not None and not driver.is_closed()

    def _notified(self, *_args: object) -> None:
        self._wake.set()

    async def _stop_listening(self) -> None:
        connection, self._listen = self._listen, None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            raw = await connection.get_raw_connection()
            if raw.driver_connection is not None:
                await raw.driver_connection.remove_listener(NOTIFY_CHANNEL, self._notified)
        with contextlib.suppress(Exception):
            await connection.close()
