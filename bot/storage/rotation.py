"""Re-encrypting stored values in batches: key rotation and the encryption of legacy rows."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import checkpoint

BATCH = 500


def encrypted_columns() -> list[tuple[str, str]]:
    """Every encrypted column of the gateway's models: (table, column)."""
    from bot.storage.encryption import EncryptedJSON, EncryptedText
    from bot.storage.models import Base

    return [(table.name, column.name) for table in Base.metadata.sorted_tables
            for column in table.columns
            if isinstance(column.type, EncryptedText | EncryptedJSON)]


async def has_table(engine: AsyncEngine, table: str) -> bool:
    """Whether the database has this table."""
    async with engine.connect() as connection:
        return bool(await connection.run_sync(
            lambda sync: sync.dialect.has_table(sync, table)))


async def rewrite(
    engine: AsyncEngine, table: str, column: str, change: Callable[[str], str | None]
) -> int:
    """Replace every non-NULL value of a column by `change(value)` (None: leave it), a batch
    at a time; a row changed meanwhile by someone else is left alone. Returns rows changed."""
    select = text(f"SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL "
                  f"ORDER BY id LIMIT {BATCH}")
    update = text(f"UPDATE {table} SET {column} = :new WHERE id = :id AND {column} = :old")
    changed, last = 0, 0
    while True:
        async with engine.begin() as connection:
            rows = (await connection.execute(select, {"last": last})).all()
            if not rows:
                break
            last = rows[-1][0]
            values = [{"id": i, "old": old, "new": new} for i, old in rows
                      if (new := change(str(old))) is not None and new != old]
            if values:
                await connection.execute(update, values)
            changed += len(values)
    await checkpoint(engine)
    return changed
