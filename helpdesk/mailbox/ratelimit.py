"""Sliding-window rate limits kept in the database, so every app process counts alike."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import utcnow
from helpdesk.mailbox.models import RateHit

RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    scope: str  # "reset.mailbox", "reset.client", ...
    count: int  # at most this many hits ...
    window: timedelta  # ... in any window this long


def bucket(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}:{key}".encode("utf-8", "replace")).hexdigest()


class RateLimiter:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def hit(self, limit: Limit, key: str) -> bool:
        """Count one action under `key`; False (and nothing counted) when over the limit."""
        name = bucket(limit.scope, key)
        now = self._clock()
        since = now - limit.window
        async with self._sessions() as session:
            # Old hits are useless: prune this bucket's, and everyone's past the retention
            # (buckets of addresses asked about once would otherwise stay for ever).
            await session.execute(
                delete(RateHit).where(RateHit.bucket == name, RateHit.created_at <= since)
            )
            await session.execute(
                delete(RateHit).where(RateHit.created_at <= now - max(limit.window, RETENTION))
            )
            used = await session.scalar(
                select(func.count()).select_from(RateHit).where(RateHit.bucket == name)
            )
            if (used or 0) >= limit.count:
                await session.commit()
                return False
            session.add(RateHit(bucket=name, created_at=now))
            await session.commit()
            return True
