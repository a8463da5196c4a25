"""Staff console queue and search latency on a database of 100,000 tickets.

Fills a fresh database (SQLite in a temporary directory, and PostgreSQL when one is given
or reachable) with tickets whose transcripts look like the bot's (the same greetings and
answers on every ticket, the customers' own words and codes on each), indexes them, then
times the console's queries as staff run them: the first page of the queue, a page deep
in it, filters, and searches for frequent, rare, combined, prefix and absent words.

    .venv/bin/python bench/console.py                     # SQLite, 100,000 tickets
    .venv/bin/python bench/console.py --tickets 20000
    .venv/bin/python bench/console.py --postgres postgresql://postgres@127.0.0.1:5432/test

Prints, per database and query, the median and 95th percentile in milliseconds, measured
through TicketQueue (the code behind /staff/tickets), then through HTTP for the queue page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on the path, where a bench module could shadow a
# standard library module of the same name: the repository root goes there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from helpdesk.console.queue import Cursor, QueueFilter, TicketQueue  # noqa: E402
from helpdesk.console.search import SearchIndex  # noqa: E402
from helpdesk.db import Message, Ticket, create_engine, session_factory  # noqa: E402
from helpdesk.db.migrate import upgrade  # noqa: E402

INTENTS = (
    "webmail client_settings autoreply imap_vs_pop not_received bounce spam_placement "
    "password_forgot spf forwarding alias antispam quota_full sending_limit human"
).split()
CLIENTS = ["Thunderbird", "Outlook", "iPhone", "Android", "Apple Mail", "Gmail"]
PROBLEMS = {
    "fr": [
        "mon mail revient avec l'erreur {code} quand j'écris à {email}",
        "je n'arrive pas à configurer {client} pour ma boîte {email}",
        "mes messages arrivent en spam chez {domain}, pouvez-vous vérifier le SPF ?",
        "j'ai oublié le mot de passe de {email}",
        "ma boîte est pleine, que faire ? dossier {word}",
        "mon destinataire {email} ne reçoit rien depuis hier",
    ],
    "en": [
        "my mail bounces with {code} when I write to {email}",
        "I cannot set up {client} for my mailbox {email}",
        "my messages land in spam at {domain}, can you check the SPF?",
        "I forgot the password of {email}",
        "my mailbox is full, what can I do? folder {word}",
        "{email} has not received anything since yesterday",
    ],
}
BOT = {
    "fr": [
        "Bonjour ! Je suis l'assistant de Z-Index. Comment puis-je vous aider ?",
        "Voici ce que j'ai trouvé : le serveur distant a refusé le message. Vérifiez "
        "l'adresse du destinataire, puis renvoyez le message.",
        "Pour IMAP, utilisez mail.zindex.fr port 993 en SSL, et pour l'envoi port 465.",
        "Je vous passe un conseiller, il vous répondra ici même.",
    ],
    "en": [
        "Hello! I am the Z-Index assistant. How can I help you?",
        "Here is what I found: the remote server refused the message. Check the "
        "recipient's address, then send the message again.",
        "For IMAP, use mail.zindex.fr port 993 with SSL, and port 465 to send.",
        "I am handing you over to an agent, who will answer right here.",
    ],
}
CODES = ["550 5.1.1", "552 5.3.4", "554 5.7.1", "452 4.2.2", "421 4.7.0", "550 5.7.26"]
T0 = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=700)


def ticket_rows(n: int, rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tickets, messages = [], []
    for i in range(1, n + 1):
        lang = "fr" if rng.random() < 0.6 else "en"
        status = rng.choices(["waiting_staff", "open", "resolved"], [5, 15, 80])[0]
        channel = "chat" if rng.random() < 0.7 else "email"
        updated = T0 + SPAN * rng.random()
        email = f"client{i}@domaine{i % 5000}.fr"
        tickets.append(
            {
                "id": i,
                "reference": f"HD-{i:08d}",
                "status": status,
                "channel": channel,
                "lang": lang,
                "intent": rng.choice(INTENTS),
                "subject": None,
                "customer_email": email if channel == "email" else None,
                "created_at": updated - timedelta(minutes=30),
                "updated_at": updated,
                "resolved_at": updated if status == "resolved" else None,
            }
        )
        problem = rng.choice(PROBLEMS[lang]).format(
            code=rng.choice(CODES),
            email=email,
            client=rng.choice(CLIENTS),
            domain=f"domaine{i % 5000}.fr",
            word=f"dossier{i}x",  # a word of this ticket only
        )
        bots = BOT[lang]
        turns = [
            ("bot", bots[0]),
            ("customer", problem),
            ("bot", rng.choice(bots[1:3])),
            ("customer", "merci" if lang == "fr" else "thanks"),
        ]
        if status != "open":
            turns.append(("bot", bots[3]))
        for k, (author, body) in enumerate(turns):
            messages.append(
                {
                    "ticket_id": i,
                    "author": author,
                    "channel": channel,
                    "body": body,
                    "payload": {},
                    "meta": {},
                    "created_at": updated - timedelta(minutes=len(turns) - k),
                }
            )
    return tickets, messages


async def fill(engine: AsyncEngine, n: int) -> None:
    rng = random.Random(8)
    tickets, messages = ticket_rows(n, rng)
    started = time.perf_counter()
    async with engine.begin() as conn:
        for table, rows in ((Ticket.__table__, tickets), (Message.__table__, messages)):
            for start in range(0, len(rows), 5000):
                await conn.execute(insert(table), rows[start : start + 5000])
        if engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
            await conn.execute(
                text("SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))")
            )
    took = time.perf_counter() - started
    print(f"  filled {n:,} tickets, {len(messages):,} messages in {took:.1f} s")
    started = time.perf_counter()
    await SearchIndex(session_factory(engine)).catch_up(batch=5000)
    async with engine.connect() as conn:
        terms = (await conn.execute(text("SELECT count(*) FROM ticket_terms"))).scalar()
    # The state autovacuum reaches after a bulk load: fresh statistics and, on PostgreSQL,
    # a visibility map that lets index-only scans skip the heap. (A connection of its own:
    # the isolation level cannot change once a transaction has begun on it.)
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        vacuum = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        await auto.execute(text(vacuum))
    print(f"  indexed {terms:,} (term, ticket) rows in {time.perf_counter() - started:.1f} s")


async def timed(run: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    await run()  # warm the caches once, as a working console's are
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


async def measure(engine: AsyncEngine, n: int, repeat: int) -> list[tuple[str, float, float]]:
    sessions = session_factory(engine)
    queue = TicketQueue(sessions, SearchIndex(sessions))
    rng = random.Random(5)

    async def deep_cursor(pages: int) -> Cursor | None:
        cursor = None
        for _ in range(pages):
            cursor = (await queue.page(QueueFilter(), cursor)).next_cursor
        return cursor

    deep = await deep_cursor(40)

    def page(**params: str) -> Callable[[], Awaitable[object]]:
        return lambda: queue.page(QueueFilter.from_query(params))

    def rare() -> Awaitable[object]:
        return queue.page(QueueFilter(query=f"dossier{rng.randrange(1, n)}x"))

    cases: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("queue: first page", page()),
        ("queue: page 41 (keyset)", lambda: queue.page(QueueFilter(), deep)),
        ("filter: resolved + intent", page(status="resolved", intent="bounce")),
        ("filter: email + en", page(channel="email", lang_filter="en")),
        ("filter: one week", page(since="2024-06-01", until="2024-06-07")),
        ("search: frequent word", page(q="message")),
        ("search: word of every ticket", page(q="assistant")),
        ("search: medium word", page(q="thunderbird")),
        ("search: rare word", rare),
        ("search: two words", page(q="spam spf")),
        ("search: two frequent, apart", page(q="merci thanks")),
        ("search: prefix", page(q="thunder*")),
        ("search: code", page(q="5.7.26")),
        ("search: email address", page(q="client77@domaine77.fr")),
        ("search: rare + filter", page(q="dossier4242x", status="resolved")),
        ("search: no match", page(q="zyxwvut")),
        ("search: reference", page(q="HD-00004242")),
    ]
    return [(name, *await timed(run, repeat)) for name, run in cases]


async def http_measure(
    engine: AsyncEngine, url: str, repeat: int
) -> list[tuple[str, float, float]]:
    """The queue page through aiohttp: guard, session lookup, query, template."""
    from aiohttp.test_utils import TestClient, TestServer

    from helpdesk.app import create_app
    from helpdesk.config import load_settings
    from helpdesk.kb_paths import KB_DIR
    from helpdesk.staff.accounts import create_staff
    from helpdesk.understanding import Understanding

    data_dir = tempfile.mkdtemp(prefix="bench-console-")
    settings = load_settings(
        {"HELPDESK_DATA_DIR": data_dir, "HELPDESK_DATABASE_URL": url, "HELPDESK_SMTP_LISTEN": ""}
    )
    password = secrets.token_urlsafe(16)
    email = f"bench-{secrets.token_hex(4)}@zindex.fr"
    await create_staff(engine, email, password, "agent")
    app = create_app(settings, engine=engine, understanding=Understanding.load(KB_DIR))
    async with TestClient(TestServer(app)) as client:
        login = await client.get("/staff/login")
        token = (await login.text()).split('name="login_token" value="', 1)[1].split('"', 1)[0]
        await client.post(
            "/staff/login", data={"login_token": token, "email": email, "password": password}
        )

        def get(path: str) -> Callable[[], Awaitable[object]]:
            async def run() -> None:
                response = await client.get(path)
                assert response.status == 200, response.status
                await response.read()

            return run

        return [
            ("http: queue page", *await timed(get("/staff/tickets"), repeat)),
            ("http: search frequent", *await timed(get("/staff/tickets?q=message"), repeat)),
            ("http: search rare", *await timed(get("/staff/tickets?q=dossier777x"), repeat)),
        ]


async def run_on(url: str, n: int, repeat: int, label: str) -> None:
    print(f"== {label}: {n:,} tickets")
    engine = create_engine(url)
    try:
        await upgrade(engine)
        await fill(engine, n)
        results = await measure(engine, n, repeat)
        results += await http_measure(engine, url, repeat)
    finally:
        await engine.dispose()
    print(f"  {'query':<32} {'median ms':>10} {'p95 ms':>10}")
    for name, median, p95 in results:
        print(f"  {name:<32} {median:>10.1f} {p95:>10.1f}")


async def postgres_database(admin_url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    import asyncpg

    name = f"bench_console_{secrets.token_hex(4)}"
    plain = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(plain)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    base = plain.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{name}", drop


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TEST_POSTGRES_URL", ""),
        help="admin URL of a PostgreSQL server to bench too (a scratch database is made)",
    )
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
            await run_on(url, args.tickets, args.repeat, "SQLite")
    if args.postgres:
        url, drop = await postgres_database(args.postgres)
        try:
            await run_on(url, args.tickets, args.repeat, "PostgreSQL")
        finally:
            await drop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
