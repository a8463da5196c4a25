"""The SMTP listener on its own: long lines taken whole as Postfix delivers them, the
envelope written on top of the stored message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosmtplib
import pytest

from helpdesk.email.smtp import SmtpListener
from helpdesk.email.spool import Spool
from tests.conftest import free_port

TOO_BIG = "Your message is larger than the 1 MB this mailbox accepts."


async def listening(spool: Spool, size_limit: int) -> SmtpListener:
    listener = SmtpListener(
        "127.0.0.1",
        free_port(),
        spool=spool,
        on_stored=lambda _name: None,
        size_limit=size_limit,
        too_big_text=TOO_BIG,
        unavailable_text="Try again later.",
    )
    await listener.start()
    return listener


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    spool = Spool(tmp_path / "inbound")
    spool.create()
    return spool


@pytest.fixture
async def listener(spool: Spool) -> AsyncIterator[SmtpListener]:
    running = await listening(spool, 20 * 1024 * 1024)
    try:
        yield running
    finally:
        await running.stop()


async def send(listener: SmtpListener, data: bytes, to: str = "support@zindex.fr") -> None:
    await aiosmtplib.send(
        data,
        sender="client@exemple.fr",
        recipients=[to],
        hostname="127.0.0.1",
        port=listener.port,
        start_tls=False,
        use_tls=False,
        timeout=60,
    )


def stored(spool: Spool) -> bytes:
    (item,) = spool.pending()
    claim = spool.claim(item)
    assert claim is not None
    return claim.raw


async def test_a_line_of_1_5_mib_is_accepted_and_stored_intact(
    listener: SmtpListener, spool: Spool
) -> None:
    """A 1.5 MiB line (an HTML mail without line breaks) gets 250, not 500, and the
    stored message holds the line as it was sent."""
    line = b"<p>" + b"x" * (3 * 512 * 1024) + b"</p>"
    head = b"From: client@exemple.fr\r\nTo: support@zindex.fr\r\nSubject: long\r\n"
    data = head + b"Content-Type: text/html\r\n\r\n" + line + b"\r\nfin\r\n"
    await send(listener, data)
    raw = stored(spool)
    assert raw.endswith(data)
    assert line + b"\r\n" in raw


async def test_a_line_longer_than_the_size_limit_gets_the_552(spool: Spool) -> None:
    """A line longer than the whole size limit: the 552 5.3.4 sentence the sender's bounce
    shows, not aiosmtpd's bare "500 Line too long"."""
    small = await listening(spool, 1024 * 1024)
    try:
        data = b"Subject: long\r\n\r\n" + b"x" * (3 * 512 * 1024) + b"\r\n"
        with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
            await send(small, data)
    finally:
        await small.stop()
    assert refused.value.code == 552
    assert refused.value.message == f"5.3.4 {TOO_BIG}"
    assert not spool.pending()


async def test_envelope_is_written_on_top(listener: SmtpListener, spool: Spool) -> None:
    """Return-Path and one Delivered-To per RCPT TO come first, as an MDA writes them."""
    await send(listener, b"Subject: x\r\n\r\ny\r\n", to="contact@zindex.fr")
    assert stored(spool).startswith(
        b"Return-Path: <client@exemple.fr>\r\nDelivered-To: contact@zindex.fr\r\nSubject: x"
    )
