"""The queue on SQLite and PostgreSQL: order, keyset pages, filters and transcript search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk.console.queue import Cursor, QueueFilter, TicketQueue
from helpdesk.console.search import SearchIndex, parse_query, terms
from helpdesk.db import Message, Ticket, create_engine, session_factory
from helpdesk.db.migrate import upgrade

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    await upgrade(engine)
    yield session_factory(engine)
    await engine.dispose()


async def add(
    sessions: async_sessionmaker[AsyncSession],
    n: int,
    status: str,
    minutes: int,
    body: str = "bonjour",
    **fields: str,
) -> Ticket:
    async with sessions() as session:
        ticket = Ticket(
            reference=f"HD-{n:08d}",
            status=status,
            channel=fields.get("channel", "chat"),
            lang=fields.get("lang", "fr"),
            intent=fields.get("intent"),
            customer_email=fields.get("email"),
            updated_at=T0 + timedelta(minutes=minutes),
            created_at=T0,
        )
        ticket.messages.append(Message(author="customer", channel=ticket.channel, body=body))
        session.add(ticket)
        await session.commit()
        return ticket


def refs(rows: list[object]) -> list[str]:
    return [r.reference for r in rows]  # type: ignore[attr-defined]


async def test_waiting_first_then_open_then_resolved(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Waiting-for-staff tickets lead, then open, then resolved; newest activity first."""
    await add(sessions, 1, "resolved", 50)
    await add(sessions, 2, "open", 10)
    await add(sessions, 3, "waiting_staff", 1)
    await add(sessions, 4, "open", 20)
    await add(sessions, 5, "waiting_staff", 5)
    queue = TicketQueue(sessions, SearchIndex(sessions))
    page = await queue.page(QueueFilter())
    assert refs(page.rows) == [
        "HD-00000005",
        "HD-00000003",
        "HD-00000004",
        "HD-00000002",
        "HD-00000001",
    ]
    assert page.next_cursor is None
    assert page.rows[0].snippet == "bonjour"


async def test_keyset_pages_cover_every_ticket_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Walking pages of 4 across statuses (and equal timestamps) yields each ticket once."""
    statuses = ["waiting_staff", "open", "resolved"]
    for n in range(23):
        await add(sessions, n, statuses[n % 3], minutes=n // 2)  # pairs share a timestamp
    queue = TicketQueue(sessions, SearchIndex(sessions))
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = await queue.page(
            QueueFilter(), Cursor.decode(cursor.encode()) if cursor else None, 4
        )
        seen += refs(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(f"HD-{n:08d}" for n in range(23))
    assert len(seen) == 23
    whole = await queue.page(QueueFilter(), None, 100)
    assert refs(whole.rows) == seen


async def test_filters(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Status, channel, intent, language and activity dates narrow the queue."""
    await add(sessions, 1, "open", 0, intent="bounce", lang="fr")
    await add(sessions, 2, "open", 60 * 24 * 3, intent="spf", lang="en", channel="email")
    await add(sessions, 3, "resolved", 0, intent="bounce", lang="en")
    queue = TicketQueue(sessions, SearchIndex(sessions))

    async def only(**params: str) -> list[str]:
        return refs((await queue.page(QueueFilter.from_query(params))).rows)

    assert await only(status="resolved") == ["HD-00000003"]
    assert await only(channel="email") == ["HD-00000002"]
    assert await only(intent="bounce") == ["HD-00000001", "HD-00000003"]
    assert await only(lang_filter="en") == ["HD-00000002", "HD-00000003"]
    assert await only(since=(T0.date() + timedelta(days=1)).isoformat()) == ["HD-00000002"]
    assert await only(until=T0.date().isoformat()) == ["HD-00000001", "HD-00000003"]
    # Nonsense is ignored rather than an error.
    assert len(await only(status="drop table", since="yesterday", intent="<b>")) == 3


async def test_search_finds_tickets_by_words_of_their_transcript(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Accents and case do not matter, every word must match, `*` matches a prefix, and a
    reference or an email address finds its ticket."""
    await add(sessions, 1, "open", 3, body="Mon message est revenu avec l'erreur 5.1.1 Élève")
    await add(sessions, 2, "resolved", 2, body="Problème de SPF pour exemple.fr")
    await add(sessions, 3, "open", 1, body="Le message part en spam", email="jean@exemple.fr")
    index = SearchIndex(sessions)
    queue = TicketQueue(sessions, index)

    async def search(query: str) -> list[str]:
        return refs((await queue.page(QueueFilter(query=query))).rows)

    assert await search("eleve") == ["HD-00000001"]
    assert await search("MESSAGE") == ["HD-00000001", "HD-00000003"]
    assert await search("message spam") == ["HD-00000003"]
    assert await search("5.1.1") == ["HD-00000001"]
    assert await search("exemple.fr") == ["HD-00000003", "HD-00000002"]
    assert await search("probl*") == ["HD-00000002"]
    assert await search("HD-00000002") == ["HD-00000002"]
    assert await search("jean@exemple.fr") == ["HD-00000003"]
    assert await search("introuvable") == []
    assert await search("!!!") == []
    # A message stored later is found at the next search: the index catches up itself.
    async with sessions() as session:
        session.add(Message(ticket_id=3, author="staff", channel="chat", body="zanzibar"))
        await session.commit()
    assert await search("zanzibar") == ["HD-00000003"]


async def test_common_and_rare_words_give_the_same_answer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The plan for frequent words (walk the queue) and for rare ones (start from the
    word's tickets) return the same pages."""
    for n in range(30):
        body = "souci messagerie" + (" rarissime" if n % 7 == 0 else "")
        await add(sessions, n, ["open", "resolved"][n % 2], n, body=body)
    index = SearchIndex(sessions)
    walking = TicketQueue(sessions, index, rare=1)
    fetching = TicketQueue(sessions, index, rare=10_000)
    for query in ("souci", "rarissime", "souci rarissime", "messag*"):
        a = await walking.page(QueueFilter(query=query), None, 5)
        b = await fetching.page(QueueFilter(query=query), None, 5)
        assert refs(a.rows) == refs(b.rows), query
        assert a.next_cursor == b.next_cursor


def test_terms_and_queries_agree() -> None:
    """What the indexer stores is what a query looks up."""
    stored = terms("Erreur 550 5.7.1 pour Jean.Dupont@Exemple.fr, mot de passe [•••]")
    assert {"erreur", "550", "5.7.1", "jean.dupont@exemple.fr", "exemple", "dupont"} <= stored
    assert "•••" not in "".join(stored)
    for word in parse_query("5.7.1 Jean.Dupont@exemple.FR erreur"):
        assert word.text in stored
    assert [w.prefix for w in parse_query("boun* spf")] == [True, False]


async def test_a_late_commit_below_the_cursor_is_indexed_by_the_background_round(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A message whose id is below what the index has seen (committed late, as can happen
    on PostgreSQL) is picked up by the background rescan."""
    first = await add(sessions, 1, "open", 1, body="premier")
    index = SearchIndex(sessions)
    async with sessions() as session:
        session.add(Message(id=100, ticket_id=first.id, author="bot", channel="chat", body="x"))
        await session.commit()
    await index.catch_up()
    async with sessions() as session:
        session.add(
            Message(
                id=50, ticket_id=first.id, author="customer", channel="chat", body="retardataire"
            )
        )
        await session.commit()
    queue = TicketQueue(sessions, index)
    assert (await queue.page(QueueFilter(query="retardataire"))).rows == []
    await index.rescan()
    assert refs((await queue.page(QueueFilter(query="retardataire"))).rows) == ["HD-00000001"]
