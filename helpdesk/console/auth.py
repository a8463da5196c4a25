"""Staff login: password check, server-side sessions and lock-out after failed attempts."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.console.models import LoginThrottle, StaffSession
from helpdesk.db.models import StaffRole, StaffUser, utcnow
from helpdesk.staff.accounts import hasher

IDLE = timedelta(hours=12)  # a session unused this long ends
LIFETIME = timedelta(days=7)  # and none outlives this, used or not
TOUCH_EVERY = timedelta(minutes=1)  # at most one write per session per minute
ACCOUNT_FAILURES = 5  # failed logins on one account ...
ADDRESS_FAILURES = 20  # ... or from one client address ...
FAILURE_WINDOW = timedelta(minutes=15)  # ... within this window ...
LOCK = timedelta(minutes=15)  # ... lock it out this long


def token_hash(token: str) -> str:
    # Session tokens are 256 random bits: a plain hash keeps the lookup indexed, and a
    # stolen database holds no usable cookie.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Staff:
    """The staff member behind a request."""

    id: int
    email: str
    role: str
    csrf: str
    session: str  # hash of the session token

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.ADMIN


class SessionStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create(self, staff_id: int) -> str:
        """A new session for `staff_id`; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._sessions() as session:
            session.add(
                StaffSession(
                    token_hash=token_hash(token),
                    staff_id=staff_id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + IDLE,
                )
            )
            user = await session.get(StaffUser, staff_id)
            if user is not None:
                user.last_login_at = now
            await session.commit()
        return token

    async def lookup(self, token: str | None) -> Staff | None:
        """The active staff member of a live session, or None; extends the session."""
        if not token or len(token) > 200:
            return None
        now = self._clock()
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(StaffSession, StaffUser)
                    .join(StaffUser, StaffUser.id == StaffSession.staff_id)
                    .where(StaffSession.token_hash == token_hash(token))
                )
            ).first()
            if row is None:
                return None
            record, user = row
            if not user.active or record.expires_at <= now:
                await session.delete(record)
                await session.commit()
                return None
            if now - record.last_seen_at >= TOUCH_EVERY:
                record.last_seen_at = now
                record.expires_at = min(now + IDLE, record.created_at + LIFETIME)
                await session.commit()
            return Staff(user.id, user.email, user.role, record.csrf_token, record.token_hash)

    async def end(self, hashed: str) -> None:
        async with self._sessions() as session:
            await session.execute(delete(StaffSession).where(StaffSession.token_hash == hashed))
            await session.commit()

    async def end_all(self, staff_id: int) -> None:
        """Log a staff member out everywhere (account disabled, role changed)."""
        async with self._sessions() as session:
            await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff_id))
            await session.commit()

    async def purge_expired(self) -> None:
        async with self._sessions() as session:
            await session.execute(
                delete(StaffSession).where(StaffSession.expires_at <= self._clock())
            )
            await session.commit()


@dataclass(frozen=True)
class LoginResult:
    staff_id: int | None
    locked: bool = False


class Authenticator:
    """Checks passwords, counting failures per account and per client address."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._dummy: str | None = None

    async def login(self, email: str, password: str, address: str) -> LoginResult:
        email = email.strip().lower()
        keys = {f"account:{email}": ACCOUNT_FAILURES, f"address:{address}": ADDRESS_FAILURES}
        # The attempt counts as a failure before the (slow) password check, so that guesses
        # sent in parallel cannot all pass before the lock falls.
        if not await self._count(keys):
            return LoginResult(None, locked=True)
        async with self._sessions() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        ok = await asyncio.to_thread(self._verify, user, password)
        if user is None or not ok:
            return LoginResult(None)
        await self._forgive(keys)
        return LoginResult(user.id)

    def _verify(self, user: StaffUser | None, password: str) -> bool:
        if user is None or not user.active:
            # The same argon2 work whether or not the account exists: timing tells nothing.
            if self._dummy is None:
                self._dummy = hasher().hash(secrets.token_urlsafe(16))
            stored = self._dummy
        else:
            stored = user.password_hash
        try:
            hasher().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
        return user is not None and user.active

    async def _count(self, keys: dict[str, int]) -> bool:
        """Count one attempt on each key; False when one of them is locked out."""
        now = self._clock()
        for attempt in range(2):
            try:
                async with self._sessions() as session:
                    allowed = True
                    for key, limit in keys.items():
                        row = await session.get(LoginThrottle, key, with_for_update=True)
                        if row is None:
                            row = LoginThrottle(key=key, failures=0, window_start=now)
                            session.add(row)
                        if row.locked_until is not None and row.locked_until > now:
                            allowed = False
                            continue
                        if now - row.window_start > FAILURE_WINDOW:
                            row.failures, row.window_start, row.locked_until = 0, now, None
                        row.failures += 1
                        if row.failures >= limit:
                            row.locked_until = now + LOCK
                    await session.commit()
                    return allowed
            except IntegrityError:
                if attempt:  # two first attempts raced to create the row: count again
                    raise
        return False

    async def _forgive(self, keys: dict[str, int]) -> None:
        """A right password: the account starts afresh, the address gets its attempt back.

        Only the account's lock is lifted: one staff member logging in must not unlock an
        address that is guessing other accounts' passwords.
        """
        async with self._sessions() as session:
            for key in keys:
                row = await session.get(LoginThrottle, key, with_for_update=True)
                if row is None:
                    continue
                if key.startswith("account:"):
                    await session.delete(row)
                else:
                    row.failures = max(0, row.failures - 1)
            await session.commit()
