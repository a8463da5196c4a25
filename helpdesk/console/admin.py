"""What only admins do: staff accounts, the retention period, erasing a customer's data."""

from __future__ import annotations

import asyncio
import enum
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.console.auth import SessionStore
from helpdesk.console.models import ConsoleAudit, ConsoleSetting
from helpdesk.db.models import StaffRole, StaffUser, utcnow
from helpdesk.desk.erase import erase_customer, erase_ticket, purge_resolved
from helpdesk.staff.accounts import hasher

RETENTION_KEY = "retention"
MAX_RETENTION_DAYS = 36_500
MIN_PASSWORD = 10  # as `helpdesk staff add`
PURGE_BATCH = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REFERENCE = re.compile(r"^HD-[0-9A-Z]{8}$")


class AdminRefusal(enum.StrEnum):
    BAD_EMAIL = "bad_email"
    TOO_SHORT = "short_password"
    DUPLICATE = "duplicate"
    SELF = "self"
    BAD_DAYS = "bad_days"
    BAD_TARGET = "bad_target"


class AdminRefused(Exception):
    """The admin's request cannot be done; they see the reason's text."""

    def __init__(self, reason: AdminRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Erased:
    tickets: int


def _fingerprint(value: str) -> str:
    # The audit proves an erasure happened without keeping whose data it was.
    return hashlib.sha256(value.encode()).hexdigest()[:16]


class Admin:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], staff_sessions: SessionStore
    ) -> None:
        self._sessions = sessions
        self._staff_sessions = staff_sessions

    # -- staff accounts -------------------------------------------------------------------

    async def accounts(self) -> Sequence[StaffUser]:
        async with self._sessions() as session:
            return (await session.scalars(select(StaffUser).order_by(StaffUser.email))).all()

    async def add_account(self, actor: str, email: str, role: str, password: str) -> None:
        email = email.strip().lower()
        if not _EMAIL.match(email) or len(email) > 320:
            raise AdminRefused(AdminRefusal.BAD_EMAIL)
        if len(password) < MIN_PASSWORD:
            raise AdminRefused(AdminRefusal.TOO_SHORT)
        role = StaffRole(role)
        digest = await asyncio.to_thread(hasher().hash, password)
        async with self._sessions() as session:
            session.add(StaffUser(email=email, password_hash=digest, role=role))
            session.add(ConsoleAudit(actor=actor, action="staff.add", data={"email": email}))
            try:
                await session.commit()
            except IntegrityError:
                raise AdminRefused(AdminRefusal.DUPLICATE) from None

    async def update_account(
        self, actor_id: int, actor: str, staff_id: int, *, role: str, active: bool
    ) -> None:
        """Change a role or disable an account; its sessions end either way."""
        if staff_id == actor_id:
            raise AdminRefused(AdminRefusal.SELF)  # an admin cannot lock themselves out
        role = StaffRole(role)
        async with self._sessions() as session:
            user = await session.get(StaffUser, staff_id)
            if user is None:
                raise LookupError(staff_id)
            user.role, user.active = role, active
            session.add(
                ConsoleAudit(
                    actor=actor,
                    action="staff.update",
                    data={"email": user.email, "role": role.value, "active": active},
                )
            )
            await session.commit()
        await self._staff_sessions.end_all(staff_id)

    # -- retention ------------------------------------------------------------------------

    async def retention_days(self) -> int:
        """Resolved tickets older than this are purged; 0 keeps them for ever."""
        async with self._sessions() as session:
            setting = await session.get(ConsoleSetting, RETENTION_KEY)
        return int(setting.value.get("days", 0)) if setting else 0

    async def set_retention(self, actor: str, days: int) -> None:
        if not 0 <= days <= MAX_RETENTION_DAYS:
            raise AdminRefused(AdminRefusal.BAD_DAYS)
        async with self._sessions() as session:
            setting = await session.get(ConsoleSetting, RETENTION_KEY)
            if setting is None:
                session.add(ConsoleSetting(key=RETENTION_KEY, value={"days": days}))
            else:
                setting.value = {"days": days}
            session.add(ConsoleAudit(actor=actor, action="retention.set", data={"days": days}))
            await session.commit()

    async def purge(self, actor: str) -> int:
        """Delete the resolved tickets older than the retention period; returns how many."""
        days = await self.retention_days()
        if days <= 0:
            return 0
        cutoff = utcnow() - timedelta(days=days)
        total = 0
        while True:
            async with self._sessions() as session:
                purged = await purge_resolved(session, cutoff, PURGE_BATCH)
                if not purged:
                    break
                await session.commit()
            total += purged
        if total:
            async with self._sessions() as session:
                session.add(
                    ConsoleAudit(
                        actor=actor, action="retention.purge", data={"tickets": total, "days": days}
                    )
                )
                await session.commit()
        return total

    # -- erasure --------------------------------------------------------------------------

    async def erase(self, actor: str, target: str) -> Erased:
        """Erase every ticket of a customer (by email) or one ticket (by reference), with
        their messages, events, conversations, search terms and mail."""
        target = target.strip()
        if not _EMAIL.match(target) and not _REFERENCE.match(target.upper()):
            raise AdminRefused(AdminRefusal.BAD_TARGET)
        async with self._sessions() as session:
            if _EMAIL.match(target):
                erased = await erase_customer(session, target)
            else:
                erased = await erase_ticket(session, target.upper())
            session.add(
                ConsoleAudit(
                    actor=actor,
                    action="customer.erase",
                    data={"target": _fingerprint(target.lower()), "tickets": erased},
                )
            )
            await session.commit()
        return Erased(erased)

    async def audit(self, limit: int = 50) -> Sequence[ConsoleAudit]:
        async with self._sessions() as session:
            return (
                await session.scalars(
                    select(ConsoleAudit).order_by(ConsoleAudit.id.desc()).limit(limit)
                )
            ).all()
