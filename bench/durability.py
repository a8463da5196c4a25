"""What `PRAGMA synchronous=FULL` costs: one outbox enqueue (one commit) under FULL and
under NORMAL, in process, on the same disk, in the same run.

    .venv/bin/python bench/durability.py [--writes 400] [--runs 3]

Prints the median time per commit of each mode and their ratio.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/email.py would shadow the standard library's email package: drop bench/ from the path.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import statistics
import tempfile
import time
from email.message import EmailMessage

from sqlalchemy import event

from helpdesk.db.engine import create_engine, session_factory
from helpdesk.db.models import Base
from helpdesk.outbox import Outbox


def _mail(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "support@example.net"
    msg["To"] = f"customer{n}@example.org"
    msg["Subject"] = f"Answer {n}"
    msg.set_content("Bonjour,\n\nvoici la réponse.\n" * 20)
    return msg


async def _per_commit(database: Path, mode: str, writes: int) -> float:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")

    def _mode(dbapi_conn: object, _record: object) -> None:
        # Runs after the project's own pragmas: only the synchronous level differs.
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"PRAGMA synchronous={mode}")
        cursor.close()

    event.listen(engine.sync_engine, "connect", _mode)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    outbox = Outbox(session_factory(engine))
    for n in range(20):  # warm-up: connection, statement cache
        await outbox.enqueue(_mail(n))
    times = []
    for n in range(writes):
        message = _mail(n)
        start = time.perf_counter()
        await outbox.enqueue(message)
        times.append(time.perf_counter() - start)
    await engine.dispose()
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        for run in range(args.runs):
            for mode in results:
                results[mode].append(
                    await _per_commit(Path(tmp) / f"{mode}{run}.db", mode, args.writes)
                )
    normal = statistics.median(results["NORMAL"])
    full = statistics.median(results["FULL"])
    print(f"synchronous=NORMAL: {normal * 1e3:.3f} ms per commit (median of {args.runs} runs)")
    print(f"synchronous=FULL:   {full * 1e3:.3f} ms per commit")
    print(f"FULL / NORMAL: {full / normal:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
