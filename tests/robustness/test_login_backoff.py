"""Issue 12 finding 9c: failed staff logins delay rather than lock, per account and address,
so a stranger cannot keep a staff member out (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from helpdesk.console.auth import (
    ACCOUNT,
    ADDRESS,
    FORGET,
    PAIR,
    Authenticator,
    LoginResult,
    client_key,
)
from helpdesk.console.models import LoginThrottle
from helpdesk.db import session_factory
from helpdesk.staff.accounts import create_staff
from tests.helpdesk.console.conftest import Clock

STAFF = ("agent@zindex.fr", "agent-password-1")
HOME, STRANGER = "198.51.100.20", "203.0.113.66"


@pytest.fixture
async def engine(migrated_engine: Any) -> Any:
    await create_staff(migrated_engine, *STAFF, "agent")
    return migrated_engine


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(engine: Any, clock: Clock) -> Authenticator:
    return Authenticator(session_factory(engine), clock=clock)


async def fail_until_refused(auth: Authenticator, email: str, address: str) -> int:
    """Wrong passwords until one is refused; returns the wait it was told."""
    for _ in range(100):
        result = await auth.login(email, "wrong-password", address)
        if result.retry_after:
            return result.retry_after
    raise AssertionError("never refused")


async def counted_failures(
    auth: Authenticator, clock: Clock, email: str, address: str, n: int
) -> None:
    """`n` wrong passwords that are all checked, waiting out each delay on the clock."""
    done = 0
    while done < n:
        result = await auth.login(email, f"guess-{done}", address)
        assert result.staff_id is None
        if result.retry_after:
            clock.advance(result.retry_after)
        else:
            done += 1


def test_delays_double_up_to_their_cap() -> None:
    """Each kind of key: free failures, then 1 s doubling, never past its cap."""
    assert [PAIR.delay(n).total_seconds() for n in range(1, 16)] == [
        0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900
    ]  # fmt: skip
    assert ACCOUNT.delay(4) == timedelta(0)
    assert ACCOUNT.delay(5) == timedelta(seconds=1)
    assert ACCOUNT.delay(10_000) == timedelta(seconds=4)
    assert ADDRESS.delay(9) == timedelta(0)
    assert ADDRESS.delay(10_000) == timedelta(hours=1)


async def test_back_off_grows_exponentially(auth: Authenticator, clock: Clock) -> None:
    """From one address, each further failure doubles the wait before the next check."""
    waits = []
    for _ in range(8):
        waits.append(await fail_until_refused(auth, STAFF[0], HOME))
        clock.advance(waits[-1])
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128]


async def test_refused_attempts_do_not_lengthen_the_wait(auth: Authenticator, clock: Clock) -> None:
    """Hammering while refused counts nowhere: the wait only runs down."""
    assert await fail_until_refused(auth, STAFF[0], HOME) == 1
    clock.advance(1)
    assert await fail_until_refused(auth, STAFF[0], HOME) == 2
    for _ in range(50):
        assert (await auth.login(*STAFF, HOME)).retry_after == 2
    clock.advance(1)
    assert (await auth.login(*STAFF, HOME)).retry_after == 1
    clock.advance(1)
    assert (await auth.login(*STAFF, HOME)).staff_id is not None


async def test_success_resets_the_back_off(auth: Authenticator, clock: Clock) -> None:
    """After the right password, the account's next mistakes are free again."""
    await counted_failures(auth, clock, STAFF[0], HOME, 6)
    wait = (await auth.login(*STAFF, HOME)).retry_after
    assert wait == 8
    clock.advance(wait)
    assert (await auth.login(*STAFF, HOME)).staff_id is not None
    for _ in range(PAIR.free):
        assert await auth.login(STAFF[0], "typo", HOME) == LoginResult(None)
    assert (await auth.login(STAFF[0], "typo", HOME)).retry_after == 1


async def test_stranger_cannot_keep_the_staff_member_out(auth: Authenticator, clock: Clock) -> None:
    """However many wrong passwords a stranger sends from one address, the staff member at
    another address gets in within a few seconds, while the stranger waits minutes."""
    await counted_failures(auth, clock, STAFF[0], STRANGER, 20)
    result = await auth.login(*STAFF, HOME)
    if result.retry_after:
        assert result.retry_after <= ACCOUNT.cap.total_seconds()
        clock.advance(result.retry_after)
        result = await auth.login(*STAFF, HOME)
    assert result.staff_id is not None
    assert (await auth.login(STAFF[0], "guess", STRANGER)).retry_after > 60


async def test_many_addresses_on_one_account_are_slowed(auth: Authenticator, clock: Clock) -> None:
    """Guesses at one account from many addresses wait for one another (a few seconds)."""
    for n in range(ACCOUNT.free):
        assert not (await auth.login(STAFF[0], "guess", f"192.0.2.{n}")).retry_after
    assert (await auth.login(STAFF[0], "guess", "192.0.2.200")).retry_after == 1


async def test_one_address_spraying_accounts_is_slowed(auth: Authenticator) -> None:
    """One address trying many accounts waits once past the address's allowance."""
    for n in range(ADDRESS.free):
        assert not (await auth.login(f"user{n}@zindex.fr", "guess", STRANGER)).retry_after
    assert (await auth.login("another@zindex.fr", "guess", STRANGER)).retry_after == 1
    # A staff member elsewhere is not concerned.
    assert (await auth.login(*STAFF, HOME)).staff_id is not None


async def test_unknown_and_known_accounts_back_off_alike(auth: Authenticator, clock: Clock) -> None:
    """The same answers, attempt by attempt, whether or not the account exists."""
    known, unknown = [], []
    for _ in range(8):
        known.append(await auth.login(STAFF[0], "wrong-password", HOME))
        unknown.append(await auth.login("nobody@zindex.fr", "wrong-password", STRANGER))
        clock.advance(1)
    assert known == unknown
    assert any(r.retry_after for r in known)


def test_ipv6_clients_are_throttled_by_their_64() -> None:
    """Addresses of one IPv6 /64 are one client; IPv4-mapped addresses are IPv4."""
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert len(client_key("not an address" * 100)) == 64


async def test_forgotten_keys_are_purged(auth: Authenticator, clock: Clock, engine: Any) -> None:
    """Keys without a failure for a day are deleted, and the table holds no address."""
    for n in range(5):
        await auth.login(f"guess{n}@zindex.fr", "guess", STRANGER)
    async with session_factory(engine)() as session:
        keys = list(await session.scalars(select(LoginThrottle.key)))
    assert len(keys) == 11
    assert not any("zindex.fr" in key for key in keys)
    clock.advance(FORGET.total_seconds() + 3600)
    await auth.login(*STAFF, HOME)
    async with session_factory(engine)() as session:
        left = await session.scalar(select(func.count()).select_from(LoginThrottle))
    assert left == 1  # the home address's key: its attempt was given back, not deleted
