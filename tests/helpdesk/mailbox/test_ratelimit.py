"""The database rate limiter: a sliding window per key, shared by every process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.db import session_factory
from helpdesk.mailbox.models import RateHit
from helpdesk.mailbox.ratelimit import Limit, RateLimiter
from tests.helpdesk.mailbox.conftest import Clock

LIMIT = Limit("test", 3, timedelta(hours=1))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sliding_window(store_engine: AsyncEngine, clock: Clock) -> None:
    """Three hits an hour per key; a key's hits free up an hour after each was counted."""
    sessions = session_factory(store_engine)
    limiter = RateLimiter(sessions, clock=clock)
    assert [await limiter.hit(LIMIT, "a") for _ in range(4)] == [True, True, True, False]
    assert await limiter.hit(LIMIT, "b")  # another key has its own count
    assert await RateLimiter(sessions, clock=clock).hit(LIMIT, "a") is False  # shared state
    clock.advance(minutes=59)
    assert await limiter.hit(LIMIT, "a") is False
    clock.advance(minutes=2)
    assert await limiter.hit(LIMIT, "a")
    clock.advance(days=2)
    assert await limiter.hit(LIMIT, "c")
    async with sessions() as session:
        # Everything older than a day is gone, whatever its key.
        assert await session.scalar(select(func.count()).select_from(RateHit)) == 1
