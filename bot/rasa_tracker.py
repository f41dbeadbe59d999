"""The gateway's access to Rasa's tracker store (table `events`): erase, expire, re-encrypt.

Rasa writes the table through `rasa_addons.tracker_store.EncryptedSQLTrackerStore`, which
encrypts each event's `data` with the same data keys; the gateway only deletes rows (erasure,
retention) and re-encrypts them (`bot.cli rotate-keys`, `bot.cli migrate` for old rows).
"""

from __future__ import annotations

import time

from sqlalchemy import text

from bot.storage.db import Database, checkpoint
from bot.storage.encryption import cipher
from bot.storage.rotation import has_table, rewrite
from common.datakeys import is_token

TABLE = "events"


class RasaTrackerStore:
    """Direct access to Rasa's tracker database, to delete and re-encrypt history."""

    def __init__(self, database_url: str | None) -> None:
        self.db = Database(database_url) if database_url else None

    async def _delete(self, where: str, **params: object) -> int:
        if self.db is None or not await has_table(self.db.engine, TABLE):
            return 0
        async with self.db.engine.begin() as conn:
            result = await conn.execute(text(f"DELETE FROM {TABLE} WHERE {where}"), params)
            deleted = int(result.rowcount or 0)
        if deleted:
            await checkpoint(self.db.engine)  # no copy left in the WAL
        return deleted

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

    async def encrypt_legacy(self) -> int:
        """Encrypt events stored in clear before the encrypted tracker store (0005)."""
        if self.db is None or not await has_table(self.db.engine, TABLE):
            return 0
        keys = cipher()
        return await rewrite(self.db.engine, TABLE, "data",
                             lambda value: None if is_token(value) else keys.encrypt(value))

    async def rotate(self) -> int:
        """Re-encrypt every event with the primary data key (clear legacy rows included)."""
        if self.db is None or not await has_table(self.db.engine, TABLE):
            return 0
        keys = cipher()
        return await rewrite(self.db.engine, TABLE, "data",
                             lambda value: keys.rotate(value) if is_token(value)
                             else keys.encrypt(value))

    async def close(self) -> None:
        """Close the connections."""
        if self.db is not None:
            await self.db.dispose()
