"""Staff accounts: creation and password verification (argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.db import StaffUser, session_factory


class DuplicateStaff(Exception):
    """A staff account with this email already exists."""


def hasher() -> PasswordHasher:
    # argon2-cffi's defaults are argon2id with the RFC 9106 low-memory profile.
    return PasswordHasher()


async def create_staff(engine: AsyncEngine, email: str, password: str, role: str) -> int:
    """Store a new staff account with an argon2id hash; returns its id."""
    user = StaffUser(email=email, password_hash=hasher().hash(password), role=role)
    async with session_factory(engine)() as session:
        session.add(user)
        try:
            await session.commit()
        except IntegrityError:
            raise DuplicateStaff(email) from None
    return user.id


async def verify_staff(engine: AsyncEngine, email: str, password: str) -> StaffUser | None:
    """The active account for this email and password, or None."""
    async with session_factory(engine)() as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email.lower()))
    if user is None or not user.active:
        hasher().hash(password)  # same work whether or not the account exists
        return None
    try:
        hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
