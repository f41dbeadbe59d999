"""The WAL checkpoint after an erasure never keeps a child's message from being stored."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.storage.db import checkpoint, create_engine


async def test_a_checkpoint_waiting_on_a_reader_lets_writers_through(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM t").fetchall()  # holds a snapshot: no checkpoint can finish
    writer = sqlite3.connect(path, timeout=1.0, isolation_level=None, check_same_thread=False)
    try:
        task = asyncio.create_task(checkpoint(engine, attempts=10, pause=0.05))
        await asyncio.sleep(0.05)
        for value in range(2, 6):  # a writer that waits at most 1 s for the lock gets in
            await asyncio.to_thread(writer.execute, f"INSERT INTO t VALUES ({value})")
        assert not task.done()  # the checkpoint is still trying: it yielded to the writer
        reader.execute("COMMIT")
        assert await task is True
        assert path.with_name("wal.db-wal").stat().st_size == 0
    finally:
        reader.close()
        writer.close()
        await engine.dispose()
