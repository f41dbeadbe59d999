"""The shared change feed: committed changes only, filtered, coalesced, bounded, never leaking."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot import changefeed
from bot.changefeed import Change, ChangeFeed, ChangeKind, record, typing_due
from bot.storage.db import Database
from bot.storage.migrate import upgrade
from bot.storage.models import Change as ChangeRow
from bot.storage.models import utcnow

WAIT = 10.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'feed.db'}"
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture
async def feed(db: Database) -> AsyncIterator[ChangeFeed]:
    """A running feed whose poll is slow: only a commit's wake makes it read quickly."""
    running = ChangeFeed(db, poll_seconds=30.0)
    await running.start()
    yield running
    await running.stop()


async def test_a_committed_change_reaches_subscribers_and_a_rolled_back_one_never(
    db: Database, feed: ChangeFeed
) -> None:
    async with feed.subscribe() as changes:
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                await record(session, ChangeKind.CASE, case_id="CROLLBACK")
                raise RuntimeError("the change's transaction fails")
        async with db.session() as session:
            await record(session, ChangeKind.CASE, case_id="C1", conversation_id=7,
                         detail={"event": "opened"})
        change = await changes.next(WAIT)
        assert change is not None
        assert (change.kind, change.case_id, change.conversation_id) == ("case", "C1", 7)
        assert change.detail["event"] == "opened"
        assert await changes.next(0.2) is None  # the rolled-back change never came


async def test_subscribers_filter_and_coalesce(db: Database, feed: ChangeFeed) -> None:
    mine = feed.subscribe(lambda c: c.conversation_id == 1)
    everything = feed.subscribe()
    async with db.session() as session:
        for author in ("user", "user", "user"):
            await record(session, ChangeKind.MESSAGE, conversation_id=1,
                         detail={"direction": "in", "author": author})
        await record(session, ChangeKind.MESSAGE, conversation_id=1,
                     detail={"direction": "out", "author": "counsellor"})
        await record(session, ChangeKind.MESSAGE, conversation_id=2,
                     detail={"direction": "in", "author": "user"})
    first = await mine.next(WAIT)
    assert first is not None
    rest = [await mine.next(WAIT)]
    # three inbound changes of one conversation became one (the latest); outbound kept apart
    assert [(c.detail["direction"]) for c in [first, *rest] if c] == ["in", "out"]
    assert first.id > 0 and mine.pending == 0
    seen = [await everything.next(WAIT) for _ in range(3)]
    assert sorted((c.conversation_id, c.detail["direction"]) for c in seen if c) == [
        (1, "in"), (1, "out"), (2, "in")]
    mine.close()
    everything.close()


async def test_a_slow_subscriber_gets_one_reset_instead_of_an_unbounded_queue(
    db: Database, feed: ChangeFeed
) -> None:
    slow = feed.subscribe(limit=5)
    async with db.session() as session:
        for conversation in range(12):
            await record(session, ChangeKind.TYPING, conversation_id=conversation,
                         detail={"who": "user"})
    await _wait_for(lambda: feed.last_id is not None and feed.last_id >= 12)
    assert slow.resets == 1 and slow.pending == 1  # later changes folded into the reset
    change = await slow.next(0.1)
    assert change is not None and change.kind == "reset"
    assert await slow.next(0.1) is None
    slow.close()


async def test_a_subscriber_that_goes_away_leaves_nothing_behind(
    db: Database, feed: ChangeFeed
) -> None:
    tasks_before = len(asyncio.all_tasks())
    for _ in range(50):
        async with feed.subscribe():
            pass
    assert feed.subscribers == 0
    dropped = feed.subscribe()
    assert feed.subscribers == 1
    del dropped
    gc.collect()
    assert feed.subscribers == 0  # forgotten without close(): held weakly
    listeners = [feed.subscribe() for _ in range(50)]
    assert len(asyncio.all_tasks()) == tasks_before  # fifty listeners, still one loop
    for listener in listeners:
        listener.close()


async def test_an_id_committed_late_is_not_skipped(db: Database, feed: ChangeFeed) -> None:
    """PostgreSQL may commit id n+2 before id n+1: the feed looks for the gap for a while."""
    async with feed.subscribe() as changes:
        async with db.session() as session:
            await record(session, ChangeKind.CASE, case_id="C0")
        first = await changes.next(WAIT)
        assert first is not None
        async with db.session() as session:
            await session.execute(insert(ChangeRow).values(
                id=first.id + 2, kind="case", case_id="LATER", at=utcnow()))
        await feed.poll_once()
        async with db.session() as session:
            await session.execute(insert(ChangeRow).values(
                id=first.id + 1, kind="case", case_id="EARLIER", at=utcnow()))
        await feed.poll_once()
        got = [await changes.next(WAIT), await changes.next(WAIT)]
    assert [c.case_id for c in got if c] == ["LATER", "EARLIER"]


async def test_old_rows_are_pruned_but_never_the_newest(db: Database) -> None:
    feed = ChangeFeed(db, poll_seconds=30.0, keep=timedelta(seconds=0))
    await feed.start()
    try:
        async with db.session() as session:
            for case_id in ("A", "B", "C"):
                await record(session, ChangeKind.CASE, case_id=case_id)
        await feed.poll_once()
        await feed.prune()
        async with db.session() as session:
            left = (await session.scalars(select(ChangeRow.case_id))).all()
        assert left == ["C"]  # the newest stays: ids keep growing after pruning
    finally:
        await feed.stop()


def test_typing_is_recorded_at_most_every_two_seconds_per_side() -> None:
    assert typing_due(99, "user", now=100.0)
    assert not typing_due(99, "user", now=101.0)
    assert typing_due(99, "counsellor", now=101.0)
    assert typing_due(99, "user", now=102.5)


def test_a_change_key_keeps_directions_and_sides_apart() -> None:
    inbound = Change(1, "message", 3, None, {"direction": "in"})
    outbound = Change(2, "message", 3, None, {"direction": "out"})
    assert inbound.key != outbound.key
    assert Change(3, "case", None, "C1", {"event": "opened"}).key == Change(
        4, "case", None, "C1", {"event": "accepted"}).key



@pytest.mark.postgres
async def test_on_postgresql_another_process_commit_wakes_the_feed(pg_url: str) -> None:
    """Two engines stand for two worker processes; the reader polls only every 60 s."""
    await asyncio.to_thread(upgrade, pg_url)
    writer, reader = Database(pg_url), Database(pg_url)
    feed = ChangeFeed(reader, poll_seconds=60.0)
    await feed.start()
    changefeed._feeds.discard(feed)  # no wake from this process's commits: like another process
    try:
        await _wait_for(lambda: feed._listen is not None)
        async with feed.subscribe() as changes:
            async with writer.session() as session:
                await record(session, ChangeKind.ALERT, detail={"event": "raised"})
            change = await changes.next(WAIT)
        assert change is not None and change.kind == "alert"  # woken by NOTIFY, not a 60 s poll
        async with reader.session() as session:
            assert await session.scalar(select(func.count()).select_from(ChangeRow)) == 1
    finally:
        await feed.stop()
        await writer.dispose()
        await reader.dispose()


async def _wait_for(condition: object, within: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_with_nobody_listening_the_feed_skips_reads_and_a_later_listener_gets_only_newer(
    db: Database, feed: ChangeFeed
) -> None:
    polls_before = feed.polls
    for n in range(5):
        async with db.session() as session:
            await record(session, ChangeKind.CASE, case_id=f"OLD{n}", conversation_id=1)
    await feed.poll_once()
    assert feed.polls == polls_before  # nobody listened: the table was not read
    async with feed.subscribe() as changes:
        async with db.session() as session:
            await record(session, ChangeKind.CASE, case_id="NEW", conversation_id=1)
        change = await changes.next(WAIT)
        assert change is not None and change.case_id == "NEW"
        assert await changes.next(0.3) is None  # none of the five older changes came
    assert feed.polls > polls_before
