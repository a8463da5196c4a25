"""A migrated store (SQLite and PostgreSQL), its desk, and a staff member to act."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from helpdesk.db import session_factory
from helpdesk.db.models import Ticket, TicketEvent
from helpdesk.desk import Desk
from helpdesk.staff.accounts import create_staff


@dataclass(frozen=True)
class Member:
    id: int
    email: str


@pytest.fixture
def engine(migrated_engine: AsyncEngine) -> AsyncEngine:
    return migrated_engine


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def desk(sessions: async_sessionmaker[AsyncSession]) -> Desk:
    return Desk.over(sessions)


@pytest.fixture
async def agent(engine: AsyncEngine) -> Member:
    email = "agent@zindex.fr"
    return Member(await create_staff(engine, email, "agent-password-1", "agent"), email)


async def ticket(sessions: async_sessionmaker[AsyncSession], ticket_id: int) -> Ticket:
    async with sessions() as session:
        found = await session.get(Ticket, ticket_id)
    assert found is not None
    return found


async def events(
    sessions: async_sessionmaker[AsyncSession], ticket_id: int, kind: str
) -> list[TicketEvent]:
    async with sessions() as session:
        query = select(TicketEvent).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind
        )
        return list(await session.scalars(query.order_by(TicketEvent.id)))


async def count(sessions: async_sessionmaker[AsyncSession], model: type, ticket_id: int) -> int:
    async with sessions() as session:
        column = model.ticket_id  # type: ignore[attr-defined]
        return int(await session.scalar(select(func.count()).where(column == ticket_id)) or 0)
