"""Periodic jobs of the gateway: the escalation time-out watcher and the burst watcher."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.handoff.alerts import flag_bursts
from bot.handoff.cases import remind_unaccepted
from bot.storage.db import Database

log = logging.getLogger("kidsafe.background")


async def every(db: Database, seconds: float, what: str,
                job: Callable[[AsyncSession], Awaitable[list[str]]]) -> None:
    """Run `job` in a transaction every `seconds`, logging (not stopping) on failure."""
    while True:
        try:
            async with db.session() as session:
                done = await job(session)
            for subject in done:
                log.warning("%s: %s", what, subject)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; retrying", what)
        await asyncio.sleep(seconds)


async def watch_escalations(db: Database, timeout_seconds: float, every_s: float = 5.0) -> None:
    """Remind waiting children of 111 and alert supervisors when nobody accepts in time."""

    async def job(session: AsyncSession) -> list[str]:
        return await remind_unaccepted(session, timeout_seconds)

    await every(db, min(every_s, max(timeout_seconds / 4, 0.2)),
                f"case not accepted within {timeout_seconds:.0f}s, supervisors alerted", job)


async def watch_bursts(db: Database, threshold: int, window_seconds: float,
                       every_s: float = 5.0) -> None:
    """Flag to supervisors a burst of new users' cases on one channel (never refuse them)."""
    window = timedelta(seconds=window_seconds)

    async def job(session: AsyncSession) -> list[str]:
        return await flag_bursts(session, threshold, window)

    await every(db, min(every_s, max(window_seconds / 4, 0.2)),
                f"burst of new cases (>= {threshold} in {window_seconds:.0f}s) on channel", job)
