"""The IMAP fetcher against a real Dovecot: messages are fetched, answered, flagged seen."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from helpdesk.config import load_settings
from tests.conftest import missing_peer
from tests.dnsserver import DNSServer
from tests.helpdesk.email import dovecot
from tests.helpdesk.email.conftest import SUPPORT, Desk, Relay, mail, start_desk

PASSWORD = "imap-secret-pw"


@pytest.fixture
def imap_server(tmp_path: Path) -> Iterator[dovecot.Dovecot]:
    problem = dovecot.available()
    if problem is not None:
        missing_peer(problem)
    with dovecot.Dovecot(tmp_path / "dovecot").start({SUPPORT: PASSWORD}) as server:
        yield server


@pytest.fixture
async def imap_desk(
    env: dict[str, str],
    relay: Relay,
    imap_server: dovecot.Dovecot,
    understanding: Any,
    dns_server: DNSServer,
) -> AsyncIterator[Desk]:
    settings = load_settings(
        {
            **env,
            "HELPDESK_SMTP_RELAY": f"smtp://127.0.0.1:{relay.port}",
            "HELPDESK_SECRET_KEY": "imap-test-key-" + "y" * 20,
            "HELPDESK_IMAP_FETCH": (
                f"imap://{quote(SUPPORT, safe='')}:{PASSWORD}@127.0.0.1:{imap_server.port}/INBOX"
            ),
        }
    )
    running, runner = await start_desk(settings, understanding, dns_server)
    fetcher = running.channel.fetcher
    assert fetcher is not None and running.channel.listener is None
    await asyncio.wait_for(fetcher.connected.wait(), 15)
    try:
        yield running
    finally:
        await runner.cleanup()


def seen_flags(server: dovecot.Dovecot) -> list[str]:
    cur = server.maildir(SUPPORT) / "cur"
    return sorted(name.rsplit(":2,", 1)[-1] for name in os.listdir(cur))


async def wait_seen(server: dovecot.Dovecot, count: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if sum("S" in flags for flags in seen_flags(server)) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} message(s) flagged seen expected: {seen_flags(server)}")


async def test_fetched_messages_are_answered_and_flagged_seen(
    imap_desk: Desk, imap_server: dovecot.Dovecot, relay: Relay
) -> None:
    """A message already waiting and one arriving during IDLE are both answered once."""
    waiting = mail("Comment accéder au webmail ?", sender="avant@exemple.fr")
    imap_server.deliver(SUPPORT, waiting.as_bytes(), "1000.M1P1.test")
    (answer,) = await relay.wait_for("avant@exemple.fr")
    assert "webmail.zindex.fr" in answer.text()
    await wait_seen(imap_server, 1)

    started = time.monotonic()
    during = mail("How do I set up Thunderbird in IMAP?", sender="pendant@exemple.fr")
    imap_server.deliver(SUPPORT, during.as_bytes(), "1001.M1P1.test")
    (answer,) = await relay.wait_for("pendant@exemple.fr")
    assert "993" in answer.text()
    # IDLE told us at once: far sooner than the 60 s poll that would apply without it.
    assert time.monotonic() - started < 20
    await wait_seen(imap_server, 2)
    await imap_desk.idle()
    assert len(relay.to("avant@exemple.fr")) == 1
    assert imap_desk.channel.fetcher is not None and imap_desk.channel.fetcher.fetched == 2


async def test_too_big_message_gets_a_clear_answer(
    imap_desk: Desk, imap_server: dovecot.Dovecot, relay: Relay
) -> None:
    """A message over the size limit is not downloaded; the customer is told why."""
    big = mail("Voici la pièce jointe.", sender="gros@exemple.fr", subject="Fichier")
    big.add_attachment(b"\0" * (21 * 1024 * 1024), maintype="application",
                       subtype="octet-stream", filename="video.bin")  # fmt: skip
    imap_server.deliver(SUPPORT, big.as_bytes(), "1002.M1P1.test")
    (answer,) = await relay.wait_for("gros@exemple.fr", within=60)
    assert "20 Mo" in answer.text()
    await wait_seen(imap_server, 1)
    cur = imap_desk.settings.data_dir / "inbound" / "cur"
    (kept,) = os.listdir(cur)
    assert ",T=" in kept and (cur / kept).stat().st_size < 10_000


async def test_fetcher_reconnects_after_the_server_restarts(
    imap_desk: Desk, imap_server: dovecot.Dovecot, relay: Relay
) -> None:
    """A restarted IMAP server is reconnected to, and mail that came meanwhile answered."""
    fetcher = imap_desk.channel.fetcher
    assert fetcher is not None
    imap_server.stop(keep_files=True)
    await until(lambda: not fetcher.connected.is_set())
    late = mail("Comment accéder au webmail ?", sender="apres@exemple.fr")
    imap_server.deliver(SUPPORT, late.as_bytes(), "1003.M1P1.test")
    imap_server.start({SUPPORT: PASSWORD}, port=imap_server.port)
    (answer,) = await relay.wait_for("apres@exemple.fr", within=60)
    assert "webmail.zindex.fr" in answer.text()


async def until(condition: Callable[[], bool], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")
