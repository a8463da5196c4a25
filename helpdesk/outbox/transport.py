"""Where outgoing mail goes: the configured SMTP relay, or a local Maildir without one."""

from __future__ import annotations

import asyncio
import mailbox
import ssl
from pathlib import Path
from typing import Protocol

import aiosmtplib

from helpdesk.config import Relay


class TransientError(Exception):
    """Sending failed in a way that may pass (relay down, 4xx): retry later."""


class PermanentError(Exception):
    """The relay refused the mail for good (5xx): retrying would not help."""


class Transport(Protocol):
    def describe(self) -> str:
        """Where mail goes, for logs (no secret)."""
        ...

    async def send(self, raw: bytes, mail_from: str, recipients: list[str]) -> None:
        """Hand over one message; raises TransientError or PermanentError."""
        ...


class SmtpRelay:
    """aiosmtplib to the relay: implicit TLS (`smtps`), STARTTLS, or plain (loopback)."""

    def __init__(
        self, relay: Relay, *, timeout: float = 30, tls_context: ssl.SSLContext | None = None
    ) -> None:
        """`tls_context` checks the relay's certificate; by default against the system's
        certificate authorities (OpenSSL's SSL_CERT_FILE names a private one)."""
        self._relay = relay
        self._timeout = timeout
        self._tls_context = tls_context

    def describe(self) -> str:
        return self._relay.masked()

    async def send(self, raw: bytes, mail_from: str, recipients: list[str]) -> None:
        relay = self._relay
        try:
            await aiosmtplib.send(
                raw,
                sender=mail_from,
                recipients=recipients,
                hostname=relay.host,
                port=relay.port,
                use_tls=relay.implicit_tls,
                # Plain smtp:// means plain: no opportunistic STARTTLS to a loopback relay.
                start_tls=relay.starttls,
                username=relay.username,
                password=relay.password,
                timeout=self._timeout,
                tls_context=self._tls_context,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            message = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentError(message) from None
            raise TransientError(message) from None
        except aiosmtplib.SMTPResponseException as exc:
            text = f"{exc.code} {exc.message}"
            # A refused login (535) or a relay that wants TLS or a login first (530) is the
            # configuration's fault, not the message's: once an operator fixes it the mail
            # must still go, so it waits.
            relay_setup = exc.code == 530 or isinstance(exc, aiosmtplib.SMTPAuthenticationError)
            if 500 <= exc.code < 600 and not relay_setup:
                raise PermanentError(text) from None
            raise TransientError(text) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from None


class MaildirTransport:
    """Writes each message into a Maildir (the `make run` default): read it with any MUA."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    def describe(self) -> str:
        return f"maildir:{self._path}"

    def _write(self, raw: bytes, recipients: list[str]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self._path, create=True)
        envelope = ("X-Envelope-To: " + ", ".join(recipients) + "\r\n").encode()
        box.add(envelope + raw)

    async def send(self, raw: bytes, mail_from: str, recipients: list[str]) -> None:
        try:
            await asyncio.to_thread(self._write, raw, recipients)
        except OSError as exc:
            raise TransientError(f"cannot write to {self._path}: {exc}") from None
