"""Async engine creation with the per-backend settings the store relies on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets readers (health checks, the console) run while the outbox writes;
    # foreign keys are off by default in SQLite and the cascades rely on them.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a commit is on disk before it returns, so what the help desk acknowledged (a
    # mail's 250, after its spool file was fsynced and moved into the database; a chat turn)
    # survives a power cut too. NORMAL in WAL mode may lose the last commits then.
    # bench/durability.py measures the cost per commit.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An AsyncEngine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        # SQLite has one writer at a time: one shared connection serialises writes in
        # this process instead of making concurrent transactions fight over the lock.
        kwargs = {"pool_size": 1, "max_overflow": 0, **kwargs}
    engine = _create(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
