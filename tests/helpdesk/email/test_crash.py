"""Killing the server (SIGKILL) while mail arrives loses no message and answers none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import aiosmtplib
from sqlalchemy import select

from helpdesk.db import create_engine
from helpdesk.db.models import Message
from tests.conftest import free_port
from tests.dnsserver import DNSServer
from tests.helpdesk.email.conftest import Relay, mail

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
MESSAGES = 40
QUESTIONS = [
    "Comment accéder au webmail ?",
    "How do I set up Thunderbird in IMAP?",
    "Comment mettre un message d'absence ?",
    "What are the POP settings for my iPhone?",
]


def start(environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([HELPDESK, "serve"], env=environ, stdout=out, stderr=out)


def output(log: Path) -> str:
    return log.read_text(errors="replace")


async def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, output(log)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError("the SMTP listener did not come up: " + output(log))


async def test_sigkill_loses_nothing_and_answers_once(
    env: dict[str, str], relay: Relay, dns_server: DNSServer, tmp_path: Path
) -> None:
    """Mail acknowledged before a SIGKILL is answered after the restart, and mail the
    sending MTA retries (never acknowledged, or acknowledged but unprocessed) once only."""
    smtp_port = free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")},
        **env,
        "HELPDESK_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
        "HELPDESK_SMTP_RELAY": f"smtp://127.0.0.1:{relay.port}",
        "HELPDESK_SECRET_KEY": "crash-test-key-" + "z" * 20,
        "HELPDESK_DNS_SERVERS": dns_server.address,
    }
    await asyncio.to_thread(
        subprocess.run, [HELPDESK, "migrate"], env=environ, check=True, capture_output=True
    )
    log = tmp_path / "serve.log"
    proc = start(environ, log)
    await wait_listening(smtp_port, proc, log)

    mails = [
        mail(QUESTIONS[n % len(QUESTIONS)], sender=f"client{n}@exemple.fr") for n in range(MESSAGES)
    ]
    acknowledged: set[int] = set()
    killed = asyncio.Event()

    async def send(n: int) -> None:
        try:
            await aiosmtplib.send(
                mails[n], hostname="127.0.0.1", port=smtp_port, timeout=10, start_tls=False
            )
        except (aiosmtplib.SMTPException, OSError):
            return  # not acknowledged: the sending MTA keeps it and retries
        acknowledged.add(n)
        if len(acknowledged) == MESSAGES // 3 and not killed.is_set():
            proc.send_signal(signal.SIGKILL)
            killed.set()

    queue = list(range(MESSAGES))

    async def sender() -> None:
        while queue:
            await send(queue.pop(0))

    await asyncio.gather(*(sender() for _ in range(6)))
    assert killed.is_set()
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    proc = start(environ, log)
    try:
        await wait_listening(smtp_port, proc, log)
        # The MTA retries what was not acknowledged; one acknowledged message is sent
        # again too, as an MTA does when the 250 was lost in the crash.
        for n in [*sorted(set(range(MESSAGES)) - acknowledged), min(acknowledged)]:
            await aiosmtplib.send(mails[n], hostname="127.0.0.1", port=smtp_port, timeout=10)
        for n in range(MESSAGES):
            await relay.wait_for(f"client{n}@exemple.fr", within=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)

    by_question: dict[str, set[str]] = defaultdict(set)
    for captured in relay.mails:
        msg = captured.message
        by_question[str(msg["In-Reply-To"])].add(str(msg["Message-ID"]))
    for m in mails:
        # Exactly one answer per message (the outbox may hand the very same mail to the
        # relay twice if the kill fell between the relay's 250 and its bookkeeping).
        assert len(by_question[str(m["Message-ID"])]) == 1, m["Message-ID"]

    engine = create_engine(
        f"sqlite+aiosqlite:///{Path(env['HELPDESK_DATA_DIR']) / 'helpdesk.sqlite3'}"
    )
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(Message.author, Message.meta))).all()
    finally:
        await engine.dispose()
    customer = [meta["message_id"] for author, meta in rows if author == "customer"]
    answers = [meta["in_reply_to"] for author, meta in rows if author == "bot"]
    assert sorted(customer) == sorted(str(m["Message-ID"]) for m in mails)
    assert sorted(answers) == sorted(customer)
    assert not os.listdir(Path(env["HELPDESK_DATA_DIR"]) / "inbound" / "new")
