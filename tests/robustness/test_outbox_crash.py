"""SIGKILL during a burst of outgoing mail: nothing is lost, and nothing is sent twice
except, with an SMTP relay, a mail the relay had taken whose 250 the killed process never
read (no protocol can tell that one apart from a mail the relay never got)."""

from __future__ import annotations

import asyncio
import mailbox
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

from helpdesk.db import create_engine, session_factory
from helpdesk.db.models import OutboxMail, OutboxStatus
from helpdesk.outbox import Outbox
from tests.helpdesk.outbox.relay import running_relay

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
BURST = 300
KILLS_AT = (80, 190)  # mails handed over when each SIGKILL is sent


def _environ(env: dict[str, str], relay: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")},
        **env,
        "HELPDESK_SMTP_RELAY": relay,
        "HELPDESK_SECRET_KEY": "outbox-crash-key-" + "k" * 20,
        "HELPDESK_DNS_SERVERS": "127.0.0.1:9",  # nothing here asks DNS
    }


async def _fill(data_dir: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'helpdesk.sqlite3'}")
    try:
        outbox = Outbox(session_factory(engine))
        for n in range(BURST):
            msg = EmailMessage()
            msg["From"] = "support@zindex.fr"
            msg["To"] = f"client{n}@exemple.fr"
            msg["Subject"] = f"Réponse {n}"
            msg["Message-ID"] = f"<burst-{n}@zindex.fr>"
            msg.set_content(f"Bonjour {n}")
            await outbox.enqueue(msg)
    finally:
        await engine.dispose()


async def _unsent(data_dir: Path) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'helpdesk.sqlite3'}")
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(OutboxMail.status != OutboxStatus.SENT)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


def _start(environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([HELPDESK, "serve"], env=environ, stdout=out, stderr=out)


def _output(log: Path) -> str:
    return log.read_text(errors="replace")


async def _burst_with_kills(
    environ: dict[str, str], data_dir: Path, log: Path, handed_over: Callable[[], int]
) -> None:
    """Serve the queue, SIGKILL the server at each of KILLS_AT, then let it finish."""
    await asyncio.to_thread(
        subprocess.run, [HELPDESK, "migrate"], env=environ, check=True, capture_output=True
    )
    await _fill(data_dir)
    for threshold in (*KILLS_AT, None):
        proc = await asyncio.to_thread(_start, environ, log)
        deadline = time.monotonic() + 120
        try:
            while True:
                assert proc.poll() is None, _output(log)
                assert time.monotonic() < deadline, _output(log)
                if threshold is not None and handed_over() >= threshold:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(10)
                    break
                if threshold is None and await _unsent(data_dir) == 0:
                    break
                await asyncio.sleep(0.02)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)


async def test_sigkill_during_a_burst_to_a_relay(
    env: dict[str, str], data_dir: Path, tmp_path: Path
) -> None:
    """Two SIGKILLs during 300 answers to a relay: every answer arrives; a second copy at
    most for the one mail in flight at each kill. The kills here come the instant the relay
    takes a mail, the worst moment: before its 250 is read, when nothing can tell."""
    with running_relay() as relay:
        environ = _environ(env, f"smtp://127.0.0.1:{relay.port}")
        await _burst_with_kills(
            environ, data_dir, tmp_path / "serve.log", lambda: len(relay.received)
        )
        copies = Counter(str(r.message["Message-ID"]) for r in relay.received)
    assert set(copies) == {f"<burst-{n}@zindex.fr>" for n in range(BURST)}
    doubled = [m for m, c in copies.items() if c > 1]
    assert len(doubled) <= len(KILLS_AT), doubled
    assert all(c <= 2 for c in copies.values())


async def test_sigkill_during_a_burst_to_the_maildir(
    env: dict[str, str], data_dir: Path, tmp_path: Path
) -> None:
    """With the Maildir transport, which can tell what it already has, two SIGKILLs
    during 300 mails lose none and double none."""
    box = data_dir / "outgoing-maildir"

    def written() -> int:
        folder = box / "new"
        return len(os.listdir(folder)) if folder.is_dir() else 0

    environ = _environ(env, "")
    await _burst_with_kills(environ, data_dir, tmp_path / "serve.log", written)
    copies = Counter(str(m["Message-ID"]) for m in mailbox.Maildir(box, create=False))
    assert set(copies) == {f"<burst-{n}@zindex.fr>" for n in range(BURST)}
    assert max(copies.values()) == 1
