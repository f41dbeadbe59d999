"""What every live console view needs after a change, computed once per process and shared.

A queue item, a review row, the open alerts, the queue's counts, the supervisors' figures do
not depend on who looks (each view then checks whether its user may see an item). When fifty
views react to one change, the first one computes and the others await the same result: a
result counts for a change when it was started after that change was read.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from sqlalchemy import select

from bot.changefeed import ChangeFeed
from bot.console import health, queries, queue
from bot.console.reviews_api import review_row
from bot.storage.db import Database
from bot.storage.models import Message, Review

MEMO_SIZE = 512
HEALTH_SECONDS = 10


class Shared:
    """Per-process memo of the views' shared computations."""

    def __init__(self, db: Database, feed: ChangeFeed) -> None:
        self.db = db
        self.feed = feed
        self._memo: OrderedDict[Hashable, tuple[int, asyncio.Task[Any]]] = OrderedDict()
        self.computed = 0

    async def _get(self, key: Hashable, after: int,
                   compute: Callable[[], Awaitable[Any]]) -> Any:
        """The value for `key` computed after change `after` (shared while it is being made)."""
        found = self._memo.get(key)
        if found is not None and found[0] >= after:
            self._memo.move_to_end(key)
            return await asyncio.shield(found[1])
        task = asyncio.ensure_future(compute())
        self.computed += 1
        self._memo[key] = (max(after, self.feed.last_id or 0), task)
        while len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)
        try:
            return await asyncio.shield(task)
        except Exception:
            if self._memo.get(key, (0, None))[1] is task:
                del self._memo[key]
            raise

    async def item(self, case_id: str, after: int) -> dict[str, Any] | None:
        """A case as a queue item (None when it no longer exists)."""

        async def compute() -> dict[str, Any] | None:
            async with self.db.session() as session:
                return await queue.item(session, case_id)

        result: dict[str, Any] | None = await self._get(("item", case_id), after, compute)
        return result

    async def review(self, review_id: int, after: int) -> dict[str, Any] | None:
        """A review as a "Cần xem" row."""

        async def compute() -> dict[str, Any] | None:
            async with self.db.session() as session:
                found = await session.get(Review, review_id)
                if found is None:
                    return None
                text = await session.scalar(select(Message.text)
                                            .where(Message.id == found.message_id))
                return review_row(found, text)

        result: dict[str, Any] | None = await self._get(("review", review_id), after, compute)
        return result

    async def _simple(self, key: str, after: int, read: Callable[[Any], Awaitable[Any]]) -> Any:
        async def compute() -> Any:
            async with self.db.session() as session:
                return await read(session)

        return await self._get(key, after, compute)

    async def counts(self, after: int) -> dict[str, int]:
        """Waiting, waiting over 5 minutes, high-risk waiting."""
        result: dict[str, int] = await self._simple("counts", after, queue.counts)
        return result

    async def alerts(self, after: int) -> list[dict[str, Any]]:
        """The open (coalesced) alerts."""
        result: list[dict[str, Any]] = await self._simple("alerts", after, queries.open_alerts)
        return result

    async def health(self, after: int) -> dict[str, Any]:
        """The supervisors' live figures (waits grow without changes: fresh every 10 s)."""
        key = f"health:{int(time.monotonic() // HEALTH_SECONDS)}"
        result: dict[str, Any] = await self._simple(key, after, health.queue_health)
        return result
