"""The ticket queue: waiting for staff first, then open, then resolved; newest activity
first within each; filtered, searched, and paginated by keyset (never OFFSET).

Each status is walked on its own along an index in (updated_at, id) order, so the first
page and the thousandth cost the same.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.console.search import (
    SearchIndex,
    Word,
    parse_query,
    term_count,
    tickets_with_all,
)
from helpdesk.db.models import Author, Channel, Message, Ticket, TicketStatus
from helpdesk.wording import LANGUAGES

STATUS_ORDER = (TicketStatus.WAITING_STAFF, TicketStatus.OPEN, TicketStatus.RESOLVED)
CHANNELS = tuple(c.value for c in Channel)
LANGS = LANGUAGES.codes
PAGE_SIZE = 50
# Under this many tickets, a search word's tickets are fetched and sorted; above it, the
# queue is walked in order and each ticket checked, which stops as soon as a page is full.
RARE = 2000
_REFERENCE = re.compile(r"^HD-[0-9A-Z]{8}$", re.IGNORECASE)
_INTENT = re.compile(r"^[a-z_]{1,32}$")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class QueueFilter:
    """What the staff asked for; unknown or malformed values are ignored, not errors."""

    status: str | None = None
    channel: str | None = None
    intent: str | None = None
    lang: str | None = None
    since: date | None = None
    until: date | None = None
    query: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> QueueFilter:
        status = params.get("status") or None
        intent = (params.get("intent") or "").strip().lower() or None
        return cls(
            status=status if status in [s.value for s in STATUS_ORDER] else None,
            channel=params.get("channel") if params.get("channel") in CHANNELS else None,
            intent=intent if intent and _INTENT.match(intent) else None,
            lang=params.get("lang_filter") if params.get("lang_filter") in LANGS else None,
            since=_date(params.get("since")),
            until=_date(params.get("until")),
            query=(params.get("q") or "").strip()[:200],
        )

    def params(self) -> dict[str, str]:
        """The query-string form, for links to the next page."""
        out = {
            "status": self.status or "",
            "channel": self.channel or "",
            "intent": self.intent or "",
            "lang_filter": self.lang or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "q": self.query,
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last ticket's status, activity time and id."""

    status: str
    updated_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.status}|{self.updated_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        if not value:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
            status, stamp, ident = raw.split("|")
            if status not in [s.value for s in STATUS_ORDER]:
                return None
            return cls(status, datetime.fromisoformat(stamp), int(ident))
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    status: str
    channel: str
    lang: str | None
    intent: str | None
    subject: str | None
    customer_email: str | None
    assignee_id: int | None
    updated_at: datetime
    snippet: str | None


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: Cursor | None


# A preview for the list: the start of the customer's first message, never all of it.
_FIRST_WORDS = (
    select(func.substr(Message.body, 1, 160))
    .where(Message.ticket_id == Ticket.id, Message.author == Author.CUSTOMER)
    # In the order of the (ticket_id, created_at) index: ordered by id alone, PostgreSQL
    # walks the primary key through every message instead.
    .order_by(Message.created_at, Message.id)
    .limit(1)
    .scalar_subquery()
)
_ROW = select(
    Ticket.id,
    Ticket.reference,
    Ticket.status,
    Ticket.channel,
    Ticket.lang,
    Ticket.intent,
    Ticket.subject,
    Ticket.customer_email,
    Ticket.assignee_id,
    Ticket.updated_at,
    _FIRST_WORDS,
)


class TicketQueue:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], index: SearchIndex, *, rare: int = RARE
    ) -> None:
        self._sessions = sessions
        self._index = index
        self._rare = rare

    async def page(
        self, wanted: QueueFilter, after: Cursor | None = None, limit: int = PAGE_SIZE
    ) -> QueuePage:
        words = parse_query(wanted.query)
        if wanted.query:
            await self._index.catch_up()
        statuses = [s.value for s in STATUS_ORDER if wanted.status in (None, s.value)]
        if after is not None:
            statuses = statuses[statuses.index(after.status) :] if after.status in statuses else []
        async with self._sessions() as session:
            plan = await self._plan(session, wanted, words)
            if plan is None or not statuses:
                return QueuePage([], None)
            conditions, candidates = plan
            if candidates is None:
                rows = await self._walk(session, conditions, statuses, after, limit + 1)
            else:
                rows = await self._sort(session, conditions, candidates, statuses, after, limit + 1)
        if len(rows) <= limit:
            return QueuePage(rows, None)
        last = rows[limit - 1]
        return QueuePage(rows[:limit], Cursor(last.status, last.updated_at, last.id))

    async def _walk(
        self,
        session: AsyncSession,
        conditions: list[ColumnElement[bool]],
        statuses: list[str],
        after: Cursor | None,
        wanted: int,
    ) -> list[QueueRow]:
        """Each status in turn along its index, newest first, until the page is full."""
        rows: list[QueueRow] = []
        for status in statuses:
            query = _ROW.where(Ticket.status == status, *conditions)
            if after is not None and status == after.status:
                query = query.where(
                    tuple_(Ticket.updated_at, Ticket.id) < tuple_(after.updated_at, after.id)
                )
            query = query.order_by(Ticket.updated_at.desc(), Ticket.id.desc())
            result = await session.execute(query.limit(wanted - len(rows)))
            rows.extend(QueueRow(*row) for row in result.all())
            if len(rows) >= wanted:
                break
        return rows

    async def _sort(
        self,
        session: AsyncSession,
        conditions: list[ColumnElement[bool]],
        candidates: Sequence[int],
        statuses: list[str],
        after: Cursor | None,
        wanted: int,
    ) -> list[QueueRow]:
        """A few tickets are candidates: read their keys at once, order them here, then
        read the rows of the page only."""
        keys = (
            await session.execute(
                select(Ticket.status, Ticket.updated_at, Ticket.id).where(
                    Ticket.id.in_(candidates), Ticket.status.in_(statuses), *conditions
                )
            )
        ).all()
        rank = {status: index for index, status in enumerate(statuses)}
        keys = sorted(keys, key=lambda k: (k[1], k[2]), reverse=True)
        keys.sort(key=lambda k: rank[k[0]])  # stable: newest first within each status
        if after is not None:
            end = (after.updated_at, after.id)
            keys = [k for k in keys if k[0] != after.status or (k[1], k[2]) < end]
        chosen = [k[2] for k in keys[:wanted]]
        if not chosen:
            return []
        found = {
            row.id: row
            for row in (
                QueueRow(*r)
                for r in (await session.execute(_ROW.where(Ticket.id.in_(chosen)))).all()
            )
        }
        return [found[i] for i in chosen if i in found]

    async def _plan(
        self, session: AsyncSession, wanted: QueueFilter, words: list[Word]
    ) -> tuple[list[ColumnElement[bool]], Sequence[int] | None] | None:
        """The conditions of `wanted`, and the candidate tickets when a search word is rare
        enough to start from; None when nothing can match."""
        conditions: list[ColumnElement[bool]] = [
            column == value
            for column, value in (
                (Ticket.channel, wanted.channel),
                (Ticket.intent, wanted.intent),
                (Ticket.lang, wanted.lang),
            )
            if value is not None
        ]
        if wanted.since is not None:
            conditions.append(Ticket.updated_at >= datetime.combine(wanted.since, time(), UTC))
        if wanted.until is not None:
            end = datetime.combine(wanted.until + timedelta(days=1), time(), UTC)
            conditions.append(Ticket.updated_at < end)
        text = wanted.query
        if _REFERENCE.match(text):
            return [*conditions, Ticket.reference == text.upper()], None
        if text and not words:
            return None  # nothing searchable in the box: nothing matches
        if not words:
            return conditions, None
        # Counted a little further than the threshold, so that the smaller of two frequent
        # words leads their intersection.
        counted = [(await term_count(session, w, 10 * self._rare), w) for w in words]
        counted.sort(key=lambda pair: pair[0])
        if counted[0][0] == 0:
            return None
        ordered = [word for _count, word in counted]
        if counted[0][0] < self._rare or len(ordered) > 1:
            # Start from the tickets having every word when they are few: from the rarest
            # word's, or, when all words are frequent, from their intersection if small
            # (frequent words that seldom meet would make walking the queue slow).
            candidates = await tickets_with_all(session, ordered, self._rare)
            if len(candidates) < self._rare:
                return conditions, candidates
        return [*conditions, *(word.matches(Ticket.id) for word in ordered)], None
