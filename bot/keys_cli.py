"""`python -m bot.cli rotate-keys`: re-encrypt every stored text with the primary data key.

Keys come from DATA_KEYS (comma-separated; the first encrypts, all decrypt), else DATA_KEY,
else DATA_DIR/data.keys. Rotation with the key file (stop the gateway and Rasa first):

    python -m bot.cli rotate-keys --new-key --retire-old

With DATA_KEYS, online: put a new key first (`rotate-keys --print-new-key` makes one), keep the
old one after it, restart the gateway and Rasa, run `rotate-keys`, then drop the old key and
restart again.
"""

from __future__ import annotations

import argparse
import asyncio

from sqlalchemy import text

from bot.cli import command
from bot.rasa_tracker import RasaTrackerStore
from bot.settings import get_settings
from bot.storage.db import Database, sqlite_path
from bot.storage.encryption import cipher, use_keys
from bot.storage.rotation import encrypted_columns, has_table, rewrite
from common.datakeys import KEY_FILE, file_keys, keys_from_environment, new_key, write_private

FIRST_ENCRYPTED_REVISION = "0005"


async def rotate_all(database_url: str, tracker_url: str) -> dict[str, int]:
    """Re-encrypt the gateway's encrypted columns and Rasa's events with the primary key."""
    counts: dict[str, int] = {}
    db, tracker = Database(database_url), RasaTrackerStore(tracker_url)
    keys = cipher()
    try:
        for table, column in encrypted_columns():
            counts[f"{table}.{column}"] = await rewrite(db.engine, table, column, keys.rotate)
        counts["rasa events"] = await tracker.rotate()
        await vacuum(db)
    finally:
        await db.dispose()
        await tracker.close()
    return counts


async def vacuum(db: Database) -> None:
    """SQLite: rebuild the file so no old value survives in free pages."""
    if sqlite_path(db.url) is None:
        return
    async with db.engine.connect() as connection:
        auto = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await auto.exec_driver_sql("VACUUM")


async def schema_revision(database_url: str) -> str | None:
    """The database's Alembic revision (None for a new database)."""
    db = Database(database_url)
    try:
        if not await has_table(db.engine, "alembic_version"):
            return None
        async with db.engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await db.dispose()


async def after_upgrade(database_url: str, tracker_url: str, before: str | None) -> int:
    """After migrating: encrypt Rasa events stored in clear, and when this run encrypted the
    gateway's old rows (0005), rebuild an SQLite file so their clear text leaves free pages."""
    tracker = RasaTrackerStore(tracker_url)
    try:
        encrypted = await tracker.encrypt_legacy()
    finally:
        await tracker.close()
    if before is not None and before < FIRST_ENCRYPTED_REVISION:
        db = Database(database_url)
        try:
            await vacuum(db)
        finally:
            await db.dispose()
    return encrypted


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--new-key", action="store_true",
                        help=f"first add a new primary key to DATA_DIR/{KEY_FILE}")
    parser.add_argument("--retire-old", action="store_true",
                        help=f"afterwards keep only the primary key in DATA_DIR/{KEY_FILE}")
    parser.add_argument("--print-new-key", action="store_true",
                        help="only print a new random key (for DATA_KEYS) and stop")


@command("rotate-keys", "re-encrypt stored text with the primary data key", _arguments)
def rotate_keys(args: argparse.Namespace) -> int:
    """Rotate the data keys: re-encrypt every stored text with the first key."""
    if args.print_new_key:
        print(new_key())
        return 0
    settings = get_settings()
    from_environment = bool(keys_from_environment())
    path = settings.data_dir / KEY_FILE
    if from_environment and (args.new_key or args.retire_old):
        print("DATA_KEYS is set: change it instead (new key first), then run rotate-keys.")
        return 2
    keys = settings.data_keys
    if args.new_key:
        keys = (new_key(), *file_keys(settings.data_dir))
        write_private(path, "\n".join(keys) + "\n")
    use_keys(keys)
    counts = asyncio.run(rotate_all(settings.database_url, settings.rasa_tracker_url))
    print("re-encrypted: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    if args.retire_old:
        write_private(path, keys[0] + "\n")
        print(f"{path} now holds only the new key; restart the gateway and Rasa.")
    elif from_environment and len(keys) > 1:
        print("every value now uses the first key of DATA_KEYS: drop the others and restart.")
    return 0
