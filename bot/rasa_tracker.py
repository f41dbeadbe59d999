"""Erase and expire conversation history kept by Rasa's SQL tracker store (table `events`)."""

from __future__ import annotations

import time

from sqlalchemy import text

from bot.storage.db import Database


class RasaTrackerStore:
    """Direct access to Rasa's tracker database, only to delete history."""

    def __init__(self, database_url: str | None) -> None:
        self.db = Database(database_url) if database_url else None

    async def _delete(self, where: str, **params: object) -> int:
        if self.db is None:
            return 0
        async with self.db.engine.begin() as conn:
            exists = await conn.run_sync(
                lambda sync: sync.dialect.has_table(sync, "events")
            )
            if not exists:
                return 0
            result = await conn.execute(text(f"DELETE FROM events WHERE {where}"), params)
            return int(result.rowcount or 0)

    async def erase(self, sender_id: str) -> int:
        """Delete every event of one conversation (the user asked to erase their data)."""
        return await self._delete("sender_id = :sender", sender=sender_id)

    async def purge_older_than(self, days: int, exempt: tuple[str, ...] = ()) -> int:
        """Delete events older than the retention period, except conversations with a case."""
        cutoff = time.time() - days * 86400
        if not exempt:
            return await self._delete("timestamp < :cutoff", cutoff=cutoff)
        placeholders = ", ".join(f":s{i}" for i in range(len(exempt)))
        params = {f"s{i}": sender for i, sender in enumerate(exempt)}
        return await self._delete(
            f"timestamp < :cutoff AND sender_id NOT IN ({placeholders})", cutoff=cutoff, **params
        )

    async def close(self) -> None:
        """Close the connections."""
        if self.db is not None:
            await self.db.dispose()
