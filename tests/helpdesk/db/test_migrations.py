"""Migrations go up and down on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.db import Base, Message, Ticket, create_engine, session_factory
from helpdesk.db.migrate import current_revision, downgrade, head_revision, upgrade

TABLES = {"tickets", "messages", "ticket_events", "staff_users", "outbox", "conversations"}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_then_downgrade(engine: AsyncEngine) -> None:
    """Upgrading creates every table at head; downgrading to base removes them."""
    assert await current_revision(engine) is None
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
    assert await table_names(engine) >= TABLES
    await downgrade(engine, "base")
    assert await current_revision(engine) is None
    assert not TABLES & await table_names(engine)
    await upgrade(engine)  # and up again, as an operator would after a rollback
    assert await table_names(engine) >= TABLES


async def test_migrations_match_the_models(engine: AsyncEngine) -> None:
    """The migrated schema has no difference from the SQLAlchemy models."""
    await upgrade(engine)

    def diff(conn: object) -> list[object]:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(ctx, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_foreign_keys_cascade(engine: AsyncEngine) -> None:
    """Deleting a ticket deletes its messages (SQLite enforces foreign keys too)."""
    await upgrade(engine)
    sessions = session_factory(engine)
    async with sessions() as session:
        ticket = Ticket(reference="T-1", channel="chat")
        ticket.messages.append(
            Message(author="customer", channel="chat", body="bonjour", payload={"intent": "x"})
        )
        session.add(ticket)
        await session.commit()
        stored = await session.scalar(select(Message.payload))
        assert stored == {"intent": "x"}
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM tickets"))
        assert (await conn.execute(text("SELECT count(*) FROM messages"))).scalar() == 0


async def test_sqlite_uses_wal(tmp_path: Path) -> None:
    """The SQLite store runs in WAL mode with foreign keys on, and every commit is on disk
    before it returns (synchronous=FULL: an acknowledged mail survives a power cut)."""
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        async with eng.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2  # FULL
    finally:
        await eng.dispose()
