"""Periodic jobs of the gateway: the escalation timeout watcher."""

from __future__ import annotations

import asyncio
import logging

from bot.handoff.cases import remind_unaccepted
from bot.storage.db import Database

log = logging.getLogger("kidsafe.background")


async def watch_escalations(db: Database, timeout_seconds: float, every: float = 5.0) -> None:
    """Remind waiting children of 111 and alert supervisors when nobody accepts in time."""
    while True:
        try:
            async with db.session() as session:
                reminded = await remind_unaccepted(session, timeout_seconds)
            for case_id in reminded:
                log.warning("case %s not accepted within %.0fs: supervisors alerted",
                            case_id, timeout_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("escalation watcher failed; retrying")
        await asyncio.sleep(min(every, max(timeout_seconds / 4, 0.2)))
