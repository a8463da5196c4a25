"""The help desk with its SMTP listener on loopback, a real relay capturing its answers,
a DNS server for the domains customers ask about, and ways to send it mail."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from diagnostics.resolver import DnsResolver
from helpdesk.app import create_app
from helpdesk.config import Settings, load_settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from helpdesk.email import EmailChannel
from helpdesk.keys import EMAIL
from tests.conftest import free_port, missing_peer
from tests.dnsserver import DNSServer
from tests.helpdesk.chat.conftest import ZONE

SUPPORT = "support@zindex.fr"


def need_tool(name: str, package: str) -> str:
    """The path of a system tool; outside CI a missing one skips, in CI it fails."""
    path = shutil.which(name)
    if path is None:
        missing_peer(f"{name} is not installed (Debian package {package})")
    return path


@dataclass
class Captured:
    mail_from: str
    recipients: list[str]
    raw: bytes
    at: float

    @property
    def message(self) -> EmailMessage:
        msg = message_from_bytes(self.raw, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        return msg

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Relay:
    """A real SMTP server (aiosmtpd in a thread) standing as the help desk's relay."""

    port: int
    mails: list[Captured] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.mails.append(
                Captured(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content),
                    time.monotonic(),
                )
            )
        return "250 OK"

    def to(self, address: str) -> list[Captured]:
        with self.lock:
            return [m for m in self.mails if address in m.recipients]

    async def wait_for(self, address: str, count: int = 1, within: float = 20) -> list[Captured]:
        """The mails to `address`, once at least `count` have arrived."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} mail(s) to {address} expected, got {len(self.to(address))}")


@pytest.fixture
def relay() -> Iterator[Relay]:
    port = free_port()
    handler = Relay(port)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    with DNSServer().start(ZONE) as server:
        yield server


@pytest.fixture
def email_env(env: dict[str, str], relay: Relay) -> dict[str, str]:
    return {
        **env,
        "HELPDESK_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
        "HELPDESK_SMTP_RELAY": f"smtp://127.0.0.1:{relay.port}",
        "HELPDESK_SECRET_KEY": "test-key-" + "x" * 32,
    }


@pytest.fixture
def email_settings(email_env: dict[str, str]) -> Settings:
    return load_settings(email_env)


@dataclass
class Desk:
    """The running help desk, as the tests drive it."""

    app: web.Application
    settings: Settings

    @property
    def channel(self) -> EmailChannel:
        return self.app[EMAIL]

    @property
    def smtp_port(self) -> int:
        listener = self.channel.listener
        assert listener is not None
        return listener.port

    async def send(
        self,
        raw: bytes | EmailMessage,
        *,
        mail_from: str = "client@exemple.fr",
        to: str = SUPPORT,
    ) -> tuple[dict[str, Any], str]:
        """Hand `raw` to the listener with aiosmtplib; returns aiosmtplib's result."""
        data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
        if not mail_from:  # the null sender, which aiosmtplib.send() refuses to send
            async with aiosmtplib.SMTP(
                hostname="127.0.0.1", port=self.smtp_port, start_tls=False, timeout=30
            ) as client:
                return await client.sendmail("", [to], data)
        return await aiosmtplib.send(
            data,
            sender=mail_from,
            recipients=[to],
            hostname="127.0.0.1",
            port=self.smtp_port,
            start_tls=False,
            use_tls=False,
            timeout=30,
        )

    async def idle(self, within: float = 20) -> None:
        """Wait until the spool's `new/` is empty (every message handled)."""
        spool = self.channel.spool
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not await asyncio.to_thread(spool.pending):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the spool still holds unprocessed mail")


async def start_desk(
    settings: Settings, understanding: Any, dns_server: DNSServer, **kwargs: Any
) -> tuple[Desk, web.AppRunner]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    resolver = DnsResolver([("127.0.0.1", dns_server.port)], timeout=1, lifetime=2)
    app = create_app(settings, understanding=understanding, resolver=resolver, **kwargs)
    runner = web.AppRunner(app)
    await runner.setup()
    return Desk(app, settings), runner


@pytest.fixture
async def desk(
    email_settings: Settings, understanding: Any, dns_server: DNSServer
) -> AsyncIterator[Desk]:
    running, runner = await start_desk(email_settings, understanding, dns_server)
    try:
        yield running
    finally:
        await runner.cleanup()


def mail(
    body: str,
    *,
    subject: str = "Question",
    sender: str = "Claire Martin <client@exemple.fr>",
    to: str = SUPPORT,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A customer's plain-text message."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<{os.urandom(8).hex()}@exemple.fr>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def reply_to(
    answer: Captured, body: str, *, sender: str = "Claire Martin <client@exemple.fr>"
) -> EmailMessage:
    """The customer's reply to one of our answers, threaded as a mail client does."""
    original = answer.message
    msg = mail(body, subject="Re: " + str(original["Subject"]), sender=sender)
    msg["In-Reply-To"] = str(original["Message-ID"])
    refs = str(original.get("References", "")).split()
    msg["References"] = " ".join([*refs, str(original["Message-ID"])])
    return msg


def data_file(name: str) -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "bounces" / name


def header(msg: Message, name: str) -> str:
    return str(msg.get(name, ""))


Sender = Callable[..., Any]
