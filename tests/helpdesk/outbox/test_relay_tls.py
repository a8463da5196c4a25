"""The outbox to a relay over TLS: STARTTLS and implicit TLS (smtps), with the relay's
certificate checked, and AUTH only once the connection is encrypted."""

from __future__ import annotations

import ssl
import subprocess
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.config import Relay as RelayConfig
from helpdesk.db import session_factory
from helpdesk.db.models import OutboxStatus
from helpdesk.outbox import Outbox, OutboxSender, SmtpRelay
from tests.helpdesk.outbox.relay import Login, running_relay
from tests.helpdesk.outbox.test_outbox import mail, rows


@dataclass(frozen=True)
class Certificates:
    """A self-signed certificate for 127.0.0.1: what the relay serves, what trusts it."""

    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return Certificates(server, ssl.create_default_context(cafile=str(cert)))


@pytest.fixture
def engine(sqlite_engine: AsyncEngine) -> AsyncEngine:
    return sqlite_engine


@pytest.mark.parametrize(("scheme", "implicit"), [("smtp+starttls", False), ("smtps", True)])
async def test_mail_goes_over_tls_with_authentication(
    engine: AsyncEngine, certificates: Certificates, scheme: str, implicit: bool
) -> None:
    """The relay refuses AUTH and MAIL in clear; the outbox encrypts, logs in, delivers."""
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(mail(body="Bonjour TLS"))
    login = Login("bot@zindex.fr", "relay-secret")
    with running_relay(login=login, tls=certificates.server, implicit_tls=implicit) as relay:
        config = RelayConfig(scheme, "127.0.0.1", relay.port, "bot@zindex.fr", "relay-secret")
        transport = SmtpRelay(config, timeout=10, tls_context=certificates.client)
        assert await OutboxSender(outbox, transport).run_once() == 1
    [row] = await rows(engine)
    assert row.status == OutboxStatus.SENT
    [received] = relay.received
    assert received.tls is not None and received.tls.startswith("TLSv1.")
    assert login.seen == [b"bot@zindex.fr"]
    assert "Bonjour TLS" in received.message.get_content()


@pytest.mark.parametrize(("scheme", "implicit"), [("smtp+starttls", False), ("smtps", True)])
async def test_an_untrusted_certificate_keeps_the_mail_queued(
    engine: AsyncEngine, certificates: Certificates, scheme: str, implicit: bool
) -> None:
    """A relay whose certificate the help desk does not trust gets nothing, password
    included; the mail waits for a retry with the reason recorded."""
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(mail())
    login = Login("bot@zindex.fr", "relay-secret")
    with running_relay(login=login, tls=certificates.server, implicit_tls=implicit) as relay:
        config = RelayConfig(scheme, "127.0.0.1", relay.port, "bot@zindex.fr", "relay-secret")
        # the system's authorities, which never signed the test certificate
        transport = SmtpRelay(config, timeout=10)
        await OutboxSender(outbox, transport).run_once()
    [row] = await rows(engine)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "certificate" in (row.last_error or "").lower()
    assert relay.received == [] and login.seen == []


async def test_plain_relay_url_never_sends_in_clear_to_a_tls_only_relay(
    engine: AsyncEngine, certificates: Certificates
) -> None:
    """smtp:// means no STARTTLS: a relay that requires it refuses, and the mail waits."""
    outbox = Outbox(session_factory(engine))
    await outbox.enqueue(mail())
    with running_relay(tls=certificates.server) as relay:
        transport = SmtpRelay(RelayConfig("smtp", "127.0.0.1", relay.port), timeout=10)
        await OutboxSender(outbox, transport).run_once()
    [row] = await rows(engine)
    assert row.status == OutboxStatus.PENDING and "530" in (row.last_error or "")
    assert relay.received == []
