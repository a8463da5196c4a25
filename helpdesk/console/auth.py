"""Staff login: password check, server-side sessions and back-off after failed attempts."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import math
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


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off of one kind of key: delay, never lock (OWASP).

    After `free` failures the key's next attempt waits 1 s before it is checked; each
    further failure doubles the wait (2 s, 4 s, ...), never beyond `cap`.
    """

    free: int
    cap: timedelta

    def delay(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(failures - self.free, 32)), self.cap)


# Three keys are counted on every attempt, and an attempt waits for the slowest of them.
# One account from one client address: someone guessing a password is slowed hard, but
# only there, so the real staff member at another address is not kept out.
PAIR = Backoff(free=3, cap=timedelta(minutes=15))
# One client address, whatever the accounts (password spraying): more room for an office
# behind one NAT, then as slow.
ADDRESS = Backoff(free=10, cap=timedelta(hours=1))
# One account, whatever the addresses: bounds guessing from many addresses to one try every
# few seconds. Kept short on purpose: this is the only key a stranger shares with the
# account's owner, and a stranger's own address (PAIR, ADDRESS) soon waits far longer
# than this, so they cannot keep the owner waiting for more than a few seconds.
ACCOUNT = Backoff(free=5, cap=timedelta(seconds=4))
FORGET = timedelta(hours=24)  # a key without failure for this long starts afresh
PURGE_EVERY = timedelta(hours=1)  # forgotten keys are deleted at most this often


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
    """What a login attempt came to: the staff member, or how long to wait (whole seconds,
    0 when the attempt was checked), the same whether or not the account exists."""

    staff_id: int | None
    retry_after: int = 0


def _digest(text: str) -> str:
    # The throttle table holds no address book: keys are fixed-length digests.
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def client_key(address: str) -> str:
    """The client address as throttled: an IPv6 client is its /64, which one host owns."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return _digest(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Authenticator:
    """Checks passwords, delaying further attempts after failures (see `Backoff`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.clock = clock  # what time it is: tests swap it to step through the delays
        self._dummy: str | None = None
        self._purged_at: datetime | None = None

    async def login(self, email: str, password: str, address: str) -> LoginResult:
        email = email.strip().lower()
        client = client_key(address)
        keys = {
            f"pair:{_digest(f'{client} {email}')}": PAIR,
            f"ip:{client}": ADDRESS,
            f"acct:{_digest(email)}": ACCOUNT,
        }
        await self._purge_forgotten()
        # The attempt counts as a failure before the (slow) password check, so that guesses
        # sent in parallel cannot all be checked before the delay falls.
        wait = await self._admit(keys)
        if wait:
            return LoginResult(None, retry_after=max(1, math.ceil(wait.total_seconds())))
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

    async def _admit(self, keys: dict[str, Backoff]) -> timedelta:
        """Count one attempt on every key, or, when one of them must still wait, count
        nothing and return the longest wait (zero: admitted).

        A refused attempt counts nowhere: hammering a waiting key never lengthens its delay.
        """
        now = self.clock()
        try:
            return await self._admit_at(keys, now)
        except IntegrityError:  # two first attempts raced to create a row: count again
            return await self._admit_at(keys, now)

    async def _admit_at(self, keys: dict[str, Backoff], now: datetime) -> timedelta:
        async with self._sessions() as session:
            rows: list[tuple[LoginThrottle, Backoff]] = []
            wait = timedelta(0)
            # Always in the same order (pair, address, account): no deadlock between rows.
            for key, backoff in keys.items():
                row = await session.get(LoginThrottle, key, with_for_update=True)
                if row is None:
                    row = LoginThrottle(key=key, failures=0, window_start=now)
                    session.add(row)
                elif now - row.window_start > FORGET:
                    row.failures, row.locked_until = 0, None
                if row.locked_until is not None and row.locked_until > now:
                    wait = max(wait, row.locked_until - now)
                rows.append((row, backoff))
            if wait:
                await session.rollback()
                return wait
            for row, backoff in rows:
                # window_start: the last counted attempt, from which the delay runs.
                row.failures += 1
                row.window_start = now
                delay = backoff.delay(row.failures)
                row.locked_until = now + delay if delay else None
            await session.commit()
            return timedelta(0)

    async def _forgive(self, keys: dict[str, Backoff]) -> None:
        """A right password: the account, from anywhere, starts afresh; the address only
        gets its attempt back, so that one staff member logging in does not clear an
        address that is guessing other accounts' passwords."""
        async with self._sessions() as session:
            for key, backoff in keys.items():
                row = await session.get(LoginThrottle, key, with_for_update=True)
                if row is None:
                    continue
                if not key.startswith("ip:"):
                    await session.delete(row)
                    continue
                row.failures = max(0, row.failures - 1)
                delay = backoff.delay(row.failures)
                row.locked_until = row.window_start + delay if delay else None
            await session.commit()

    async def _purge_forgotten(self) -> None:
        now = self.clock()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        # A key unused for FORGET has no delay left (every cap is shorter): drop it, so
        # that guessed addresses and accounts do not pile up.
        async with self._sessions() as session:
            await session.execute(
                delete(LoginThrottle).where(LoginThrottle.window_start < now - FORGET)
            )
            await session.commit()
