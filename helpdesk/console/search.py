"""Full-text search over transcripts: words of every message, indexed per ticket.

Messages are written by several channels; none of them knows about search. The index
catches up from a cursor (the last message id indexed) before each search and in the
background, so whoever stores a message, it becomes searchable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from helpdesk.console.models import ConsoleSetting, TicketTerm
from helpdesk.db.models import Message, Ticket

MAX_TERM = 64
# Longer runs are base64, hashes or tracking ids from pasted bounces: nobody searches them.
MAX_WORD = 40
# A word may be the whole of a dotted or addressed token (5.1.1, jean@exemple.fr) or a part.
_TOKEN = re.compile(r"[a-z0-9]+(?:[.@_+'-][a-z0-9]+)*")
_PART = re.compile(r"[a-z0-9]+")
CURSOR_KEY = "search_cursor"
BATCH = 2000
RESCAN = 1000  # ids the background round reads again below the cursor (late commits)


def fold(text: str) -> str:
    """Lower case without accents: `Élève` and `eleve` are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(text: str) -> set[str]:
    """The index terms of `text`: whole tokens and their parts, two characters or more."""
    found: set[str] = set()
    for token in _TOKEN.findall(fold(text)):
        if len(token) > MAX_WORD:
            continue
        found.add(token[:MAX_TERM])
        if not token.isalnum():
            found.update(part for part in _PART.findall(token) if len(part) > 1)
        if "@" in token:
            found.add(token.rpartition("@")[2][:MAX_TERM])  # the domain of an address
    return {t for t in found if len(t) > 1}


@dataclass(frozen=True)
class Word:
    """One word of a query; `prefix` when it ended with `*` (`boun*`)."""

    text: str
    prefix: bool = False

    def condition(self, term: Any = TicketTerm.term) -> ColumnElement[bool]:
        """True for index rows of this word (`term`: the column, of an alias if need be)."""
        if self.prefix:
            # Terms hold only [a-z0-9] and a few separators, all below "~".
            return and_(term >= self.text, term < self.text + "~")
        return cast(ColumnElement[bool], term == self.text)

    def matches(self, ticket_id: Any) -> ColumnElement[bool]:
        """True for tickets whose transcript has this word."""
        return exists().where(TicketTerm.ticket_id == ticket_id, self.condition())


def parse_query(query: str) -> list[Word]:
    """The words of a search box, each looked up as the indexer stored it."""
    words: dict[str, Word] = {}
    for raw in query.split():
        prefix = raw.endswith("*")
        for token in _TOKEN.findall(fold(raw)):
            if len(token) > MAX_WORD:
                continue
            word = Word(token[:MAX_TERM], prefix and raw.rstrip("*").endswith(token))
            if len(word.text) > 1 or word.prefix:
                words[word.text] = word
    return list(words.values())


class SearchIndex:
    """Keeps `ticket_terms` up to date with the messages table."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def catch_up(self, batch: int = BATCH, *, overlap: int = 0) -> int:
        """Index the messages stored since the last call; returns how many.

        `overlap` re-reads that many ids below the cursor first: on PostgreSQL a message
        may commit after one with a higher id, and would otherwise never be indexed.
        """
        total = 0
        while True:
            done = await self._index_batch(batch, overlap)
            total += done
            overlap = 0
            if done < batch:
                return total

    async def rescan(self) -> int:
        """The background round: catch up, looking back over the last RESCAN ids."""
        return await self.catch_up(overlap=RESCAN)

    async def _index_batch(self, batch: int, overlap: int) -> int:
        async with self._sessions() as session:
            setting = await session.get(ConsoleSetting, CURSOR_KEY)
            last = int(setting.value.get("message_id", 0)) if setting else 0
            cursor = max(0, last - overlap)
            rows = (
                await session.execute(
                    select(
                        Message.id,
                        Message.ticket_id,
                        Message.body,
                        Ticket.subject,
                        Ticket.customer_email,
                    )
                    .join(Ticket, Ticket.id == Message.ticket_id)
                    .where(Message.id > cursor)
                    .order_by(Message.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return 0
            pairs: set[tuple[str, int]] = set()
            for _id, ticket_id, body, subject, email in rows:
                for text in (body, subject, email):
                    if text:
                        pairs.update((term, ticket_id) for term in terms(text))
            await insert_terms(session, pairs)
            newest = max(last, rows[-1][0])
            if setting is None:
                session.add(ConsoleSetting(key=CURSOR_KEY, value={"message_id": newest}))
            else:
                setting.value = {"message_id": newest}
            await session.commit()
            return len(rows)


async def insert_terms(session: AsyncSession, pairs: Iterable[tuple[str, int]]) -> None:
    """Add (term, ticket) rows, ignoring those already there."""
    # In index order: the B-tree takes sorted keys far faster than scattered ones.
    rows = [{"term": t, "ticket_id": i} for t, i in sorted(pairs)]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(TicketTerm).on_conflict_do_nothing(), rows)


async def tickets_with_all(session: AsyncSession, words: list[Word], cap: int) -> list[int]:
    """Up to `cap` tickets having every word, walking the first word's tickets and probing
    the others' index rows (no ticket is read)."""
    first = aliased(TicketTerm)
    query = select(first.ticket_id).where(
        words[0].condition(first.term), *(w.matches(first.ticket_id) for w in words[1:])
    )
    if words[0].prefix:  # several terms of one ticket may share the prefix
        query = query.distinct()
    return list((await session.scalars(query.limit(cap))).all())


async def term_count(session: AsyncSession, word: Word, cap: int) -> int:
    """How many tickets have `word`, counting no further than `cap`."""
    inner = select(TicketTerm.ticket_id).where(word.condition()).limit(cap).subquery()
    return int(await session.scalar(select(func.count()).select_from(inner)) or 0)
