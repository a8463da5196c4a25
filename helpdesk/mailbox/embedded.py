"""The embedded mailbox service: mailboxes and one-time links in the help desk's database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.db.models import utcnow
from helpdesk.mailbox.models import LinkPurpose, MailboxLink, MailboxRow, MailboxStatus
from helpdesk.mailbox.passwords import hash_password_async
from helpdesk.mailbox.service import (
    MAX_LABEL_CHARS,
    InvalidRequest,
    IssuedLink,
    LinkCheck,
    LinkState,
    Mailbox,
    MailboxExists,
    MailboxNotFound,
    NewMailbox,
    check_password_value,
    check_purpose,
    normalize_address,
)
from helpdesk.mailbox.tokens import new_token, token_hash, well_formed

MAX_TTL = timedelta(days=30)


def _mailbox(row: MailboxRow) -> Mailbox:
    return Mailbox(
        address=row.address,
        label=row.label,
        recovery_address=row.recovery_address,
        server=row.server,
        quota_bytes=row.quota_bytes,
        usage_bytes=row.usage_bytes,
        status=row.status,
        suspended_until=row.suspended_until,
        password_changed_at=row.password_changed_at,
        created_at=row.created_at,
    )


def _validate(new: NewMailbox) -> NewMailbox:
    address = normalize_address(new.address)
    recovery = None
    if new.recovery_address:
        recovery = normalize_address(new.recovery_address)
        if recovery == address:
            raise InvalidRequest("the recovery address must be another mailbox than the account")
    check_password_value(new.password)
    server = (new.server or "").strip().lower()
    if not server or " " in server or "/" in server or len(server) > 255:
        raise InvalidRequest(f"not a server name: {new.server!r}")
    if new.quota_bytes is not None and (
        isinstance(new.quota_bytes, bool) or not isinstance(new.quota_bytes, int)
    ):
        raise InvalidRequest("the quota must be a number of bytes")
    if new.quota_bytes is not None and new.quota_bytes <= 0:
        raise InvalidRequest("the quota must be a positive size")
    label = (new.label or "").strip()
    if len(label) > MAX_LABEL_CHARS:
        raise InvalidRequest(f"the label must have at most {MAX_LABEL_CHARS} characters")
    return NewMailbox(address, new.password, recovery, server, new.quota_bytes, label)


class EmbeddedMailboxService:
    """`MailboxService` over the tables of `helpdesk.mailbox.models`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create(self, new: NewMailbox) -> Mailbox:
        new = _validate(new)
        password_hash = await hash_password_async(new.password)
        now = self._clock()
        row = MailboxRow(
            address=new.address,
            label=new.label,
            password_hash=password_hash,
            recovery_address=new.recovery_address,
            server=new.server,
            quota_bytes=new.quota_bytes,
            usage_bytes=0,
            status=MailboxStatus.ACTIVE,
            password_changed_at=now,
            created_at=now,
        )
        async with self._sessions() as session:
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                raise MailboxExists(f"a mailbox {new.address} already exists") from None
            return _mailbox(row)

    async def _row(self, session: AsyncSession, address: str) -> MailboxRow | None:
        return await session.scalar(
            select(MailboxRow).where(MailboxRow.address == normalize_address(address))
        )

    async def _required(self, session: AsyncSession, address: str) -> MailboxRow:
        row = await self._row(session, address)
        if row is None:
            raise MailboxNotFound(f"no mailbox {normalize_address(address)}")
        return row

    async def get(self, address: str) -> Mailbox | None:
        try:
            normalize_address(address)
        except InvalidRequest:
            return None
        async with self._sessions() as session:
            row = await self._row(session, address)
            return _mailbox(row) if row else None

    async def list(self) -> list[Mailbox]:
        async with self._sessions() as session:
            rows = await session.scalars(select(MailboxRow).order_by(MailboxRow.address))
            return [_mailbox(r) for r in rows]

    async def set_password(self, address: str, password: str) -> Mailbox:
        check_password_value(password)
        password_hash = await hash_password_async(password)
        async with self._sessions() as session:
            row = await self._required(session, address)
            now = self._clock()
            row.password_hash = password_hash
            row.password_changed_at = now
            await self._void_resets(session, row.id, now)
            await session.commit()
            return _mailbox(row)

    async def _void_resets(self, session: AsyncSession, mailbox_id: int, now: datetime) -> None:
        # A reset link issued before a password change was for the old password: void it.
        await session.execute(
            update(MailboxLink)
            .where(
                MailboxLink.mailbox_id == mailbox_id,
                MailboxLink.purpose == LinkPurpose.RESET,
                MailboxLink.used_at.is_(None),
                MailboxLink.voided_at.is_(None),
            )
            .values(voided_at=now)
            .execution_options(synchronize_session=False)
        )

    async def suspend(self, address: str, until: datetime | None) -> Mailbox:
        async with self._sessions() as session:
            row = await self._required(session, address)
            row.status = MailboxStatus.SUSPENDED
            row.suspended_until = until
            await session.commit()
            return _mailbox(row)

    async def resume(self, address: str) -> Mailbox:
        async with self._sessions() as session:
            row = await self._required(session, address)
            row.status = MailboxStatus.ACTIVE
            row.suspended_until = None
            await session.commit()
            return _mailbox(row)

    async def issue_link(
        self, address: str, purpose: str, ttl: timedelta, context: str | None = None
    ) -> IssuedLink | None:
        check_purpose(purpose)
        if not timedelta(0) < ttl <= MAX_TTL:
            raise InvalidRequest(f"a link lives between a second and {MAX_TTL.days} days")
        if context is not None and len(context) > 64:
            raise InvalidRequest("the link context must have at most 64 characters")
        try:
            normalize_address(address)
        except InvalidRequest:
            return None
        token = new_token()
        now = self._clock()
        async with self._sessions() as session:
            row = await self._row(session, address)
            if row is None:
                return None
            link = MailboxLink(
                token_hash=token_hash(token),
                mailbox_id=row.id,
                purpose=purpose,
                context=context,
                created_at=now,
                expires_at=now + ttl,
            )
            session.add(link)
            await session.commit()
            return IssuedLink(token, purpose, now + ttl, _mailbox(row))

    async def _lookup(
        self, session: AsyncSession, token: str, purpose: str
    ) -> tuple[LinkCheck, MailboxLink | None, MailboxRow | None]:
        check_purpose(purpose)
        if not well_formed(token):
            return LinkCheck(LinkState.UNKNOWN), None, None
        found = (
            await session.execute(
                select(MailboxLink, MailboxRow)
                .join(MailboxRow, MailboxRow.id == MailboxLink.mailbox_id)
                .where(MailboxLink.token_hash == token_hash(token))
            )
        ).first()
        if found is None or found[0].purpose != purpose:
            return LinkCheck(LinkState.UNKNOWN), None, None
        link, row = found
        expires = link.expires_at
        if link.used_at is not None:
            state = LinkState.USED
        elif link.voided_at is not None:
            state = LinkState.VOIDED
        elif expires is None or expires <= self._clock():
            state = LinkState.EXPIRED
        else:
            state = LinkState.VALID
        check = LinkCheck(state, purpose, _mailbox(row), link.context, expires)
        return check, link, row

    async def check_link(self, token: str, purpose: str) -> LinkCheck:
        async with self._sessions() as session:
            check, _, _ = await self._lookup(session, token, purpose)
            return check

    async def _consume(self, session: AsyncSession, link: MailboxLink) -> bool:
        """Mark the link used; False when a concurrent request used it first."""
        now = self._clock()
        result = await session.execute(
            update(MailboxLink)
            .where(
                MailboxLink.id == link.id,
                MailboxLink.used_at.is_(None),
                MailboxLink.voided_at.is_(None),
                MailboxLink.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def use_link(self, token: str, purpose: str) -> LinkCheck:
        async with self._sessions() as session:
            check, link, _ = await self._lookup(session, token, purpose)
            if not check.ok or link is None:
                return check
            if not await self._consume(session, link):
                await session.rollback()
                return LinkCheck(LinkState.USED, purpose, check.mailbox, check.context)
            await session.commit()
            return check

    async def reset_password(self, token: str, password: str) -> LinkCheck:
        check_password_value(password)
        async with self._sessions() as session:
            check, _, _ = await self._lookup(session, token, LinkPurpose.RESET)
        if not check.ok:
            return check
        # Hash outside the transaction: it takes a while and SQLite has one writer.
        password_hash = await hash_password_async(password)
        async with self._sessions() as session:
            check, link, row = await self._lookup(session, token, LinkPurpose.RESET)
            if not check.ok or link is None or row is None:
                return check
            if not await self._consume(session, link):
                await session.rollback()
                return LinkCheck(LinkState.USED, LinkPurpose.RESET, check.mailbox, check.context)
            now = self._clock()
            row.password_hash = password_hash
            row.password_changed_at = now
            await self._void_resets(session, row.id, now)
            await session.commit()
            return LinkCheck(LinkState.VALID, LinkPurpose.RESET, _mailbox(row), link.context)
