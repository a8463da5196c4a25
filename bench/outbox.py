"""The outbox under the audit's two failures, with real `helpdesk serve` processes.

    .venv/bin/python bench/outbox.py                 # both scenarios
    .venv/bin/python bench/outbox.py --kills 3 --outage 60

1. SIGKILL during a burst: 300 mails queued, the server killed at random moments
   (`--kills` times), restarted each time; prints mails lost and mails doubled at the
   relay (aiosmtpd on loopback, in this process).
2. Relay down: the relay stops for `--outage` seconds in the middle of a burst, then comes
   back; prints mails lost and how late the last one arrived (`--outage 0` skips it).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/email.py would shadow the standard library's email package: drop bench/ from the path.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from helpdesk.db import create_engine, session_factory
from helpdesk.outbox import Outbox

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.times: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=default).parsebytes(envelope.content)
        self.ids.append(str(message["Message-ID"]))
        self.times.append(time.monotonic())
        return "250 2.0.0 Ok: queued"


def environ(data: Path, relay_port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")},
        "HELPDESK_DATA_DIR": str(data),
        "HELPDESK_HTTP": f"127.0.0.1:{free_port()}",
        "HELPDESK_SMTP_LISTEN": "",
        "HELPDESK_SMTP_RELAY": f"smtp://127.0.0.1:{relay_port}",
        "HELPDESK_SECRET_KEY": "bench-outbox-" + "b" * 24,
        "HELPDESK_DNS_SERVERS": "127.0.0.1:9",
        "HELPDESK_LOG_LEVEL": "warning",
    }


async def fill(data: Path, count: int) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{data / 'helpdesk.sqlite3'}")
    outbox = Outbox(session_factory(engine))
    for n in range(count):
        msg = EmailMessage()
        msg["From"] = "support@zindex.fr"
        msg["To"] = f"client{n}@exemple.fr"
        msg["Subject"] = f"Réponse {n}"
        msg["Message-ID"] = f"<bench-{n}@zindex.fr>"
        msg.set_content(f"Bonjour {n}\n" * 20)
        await outbox.enqueue(msg)
    await engine.dispose()


def migrate(env: dict[str, str]) -> None:
    subprocess.run([HELPDESK, "migrate"], env=env, check=True, capture_output=True)


def serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([HELPDESK, "serve"], env=env, stdout=out, stderr=out)


async def until(predicate: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.01)


@dataclass
class Run:
    sink: Sink
    port: int
    env: dict[str, str]
    data: Path
    relay: Controller | None = None

    def relay_down(self) -> None:
        if self.relay is not None:
            self.relay.stop()
            self.relay = None

    def relay_up(self) -> None:
        self.relay = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.relay.start()


@contextlib.asynccontextmanager
async def queued(burst: int) -> AsyncIterator[Run]:
    """A relay on loopback and a migrated data dir with `burst` mails in the outbox."""
    sink, port = Sink(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        run = Run(sink, port, environ(Path(tmp), port), Path(tmp))
        run.relay_up()
        try:
            await asyncio.to_thread(migrate, run.env)
            await fill(run.data, burst)
            yield run
        finally:
            run.relay_down()


async def kills(count: int, burst: int, rng: random.Random) -> tuple[int, int]:
    async with queued(burst) as run:
        marks = sorted(rng.sample(range(20, burst - 20), count))
        for mark in [*marks, None]:
            proc = serve(run.env, run.data / "serve.log")
            if mark is None:
                await until(lambda: len(set(run.sink.ids)) >= burst, 120)
                proc.send_signal(signal.SIGTERM)
            else:
                await until(lambda m=mark: len(run.sink.ids) >= m, 120)
                # A random moment after the mark, not the instant the relay took a mail.
                await asyncio.sleep(rng.uniform(0, 0.05))
                proc.send_signal(signal.SIGKILL)
            proc.wait(30)
    copies = Counter(run.sink.ids)
    lost = burst - len(copies)
    doubled = sum(c - 1 for c in copies.values())
    return lost, doubled


async def outage(seconds: float, burst: int) -> tuple[int, float]:
    async with queued(burst) as run:
        proc = serve(run.env, run.data / "serve.log")
        await until(lambda: len(run.sink.ids) >= burst // 3, 60)
        run.relay_down()
        down_at = time.monotonic()
        await asyncio.sleep(seconds)
        run.relay_up()
        back_at = time.monotonic()
        await until(lambda: len(set(run.sink.ids)) >= burst, seconds * 4 + 120)
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    print(f"  relay down {back_at - down_at:.0f} s")
    return burst - len(set(run.sink.ids)), run.sink.times[-1] - back_at


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--outage", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for run in range(args.runs):
        lost, doubled = await kills(args.kills, args.burst, rng)
        print(
            f"SIGKILL x{args.kills} during {args.burst} mails (run {run + 1}): "
            f"{lost} lost, {doubled} doubled"
        )
    if not args.outage:
        return
    lost, late = await outage(args.outage, args.burst)
    print(
        f"relay outage during {args.burst} mails: {lost} lost, last mail "
        f"{late:.0f} s after the relay came back"
    )


if __name__ == "__main__":
    asyncio.run(main())
