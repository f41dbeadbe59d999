"""Database engine and sessions (SQLite by default, PostgreSQL for scale-out)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

T = TypeVar("T")
log = logging.getLogger("kidsafe.db")


def async_url(database_url: str) -> str:
    """The database URL with the async driver the gateway uses."""
    url = make_url(database_url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgresql+psycopg": "postgresql+asyncpg",
        "postgresql+psycopg2": "postgresql+asyncpg",
    }
    return url.set(drivername=driver.get(url.drivername, url.drivername)).render_as_string(
        hide_password=False
    )


BUSY_TIMEOUT_MS = 10000  # how long a statement waits for SQLite's lock before failing


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted or overwritten content is zeroed
    cursor.close()


def create_engine(database_url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL and foreign keys, PostgreSQL a checked pool."""
    url = make_url(async_url(database_url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 15})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite database URL (None for none, PostgreSQL or in-memory SQLite)."""
    if not database_url:
        return None
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def protect_files(data_dir: Path, database_urls: Iterable[str] = ()) -> None:
    """DATA_DIR 0700 and its files 0600 (databases, keys, logs); files made later are too."""
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    logs = data_dir / "logs"
    paths = [p for p in data_dir.iterdir() if p.is_file()]
    if logs.is_dir():
        logs.chmod(0o700)
        paths += [p for p in logs.iterdir() if p.is_file()]
    for url in database_urls:
        database = sqlite_path(url)
        if database is not None:
            paths += [database.with_name(database.name + suffix) for suffix in SQLITE_SUFFIXES]
    for path in paths:
        if path.exists():
            path.chmod(0o600)


SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


CHECKPOINT_WAIT_MS = 100  # how long one checkpoint may hold the writer lock waiting on readers


async def checkpoint(engine: AsyncEngine, attempts: int = 50, pause: float = 0.2) -> bool:
    """SQLite: copy the WAL into the database file and truncate it, so erased text leaves no
    copy in the WAL (with secure_delete the database pages are zeroed); True when done.

    A TRUNCATE checkpoint holds the writer lock while it waits for readers, so each attempt
    waits at most CHECKPOINT_WAIT_MS and the next one comes after a pause in which incoming
    messages are stored: an erasure must never keep a child's message from being stored."""
    if engine.dialect.name != "sqlite":
        return True
    for _ in range(attempts):
        async with engine.connect() as connection:
            await connection.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                row = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                       ).first()
            finally:
                await connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if row is not None and row[0] == 0:
            return True
        await asyncio.sleep(pause)
    log.warning("WAL checkpoint after erasure did not complete (readers busy)")
    return False


_checkpoints: set[asyncio.Task[bool]] = set()


def checkpoint_after_commit(session: AsyncSession) -> None:
    """Checkpoint the WAL once this session's transaction has committed (after an erasure)."""
    engine = session.bind
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return

    def committed(_session: Any) -> None:
        task = asyncio.get_running_loop().create_task(checkpoint(engine))
        _checkpoints.add(task)
        task.add_done_callback(_checkpoints.discard)

    event.listen(session.sync_session, "after_commit", committed, once=True)


class Database:
    """Engine plus session factory, one per process."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = create_engine(database_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, committed on success and rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        """Tell whether the database answers."""
        from sqlalchemy import text

        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def is_connection_error(exc: BaseException) -> bool:
    """True for errors that a reconnect can cure (database restarting, connection dropped)."""
    from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, ProgrammingError

    if isinstance(exc, IntegrityError | DataError | ProgrammingError):
        return False  # the statement is wrong, not the connection
    return isinstance(exc, DBAPIError | ConnectionError | OSError)


async def with_reconnect(
    operation: Callable[[], Awaitable[T]], *, within: float = 30.0, pause: float = 0.5
) -> T:
    """Run a database operation, retrying while the database is restarting."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await operation()
        except Exception as exc:
            if not is_connection_error(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("database unavailable (%s); retrying", type(exc).__name__)
            await asyncio.sleep(pause)
