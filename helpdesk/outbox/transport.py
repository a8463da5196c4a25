"""Where outgoing mail goes: the configured SMTP relay, or a local Maildir without one.

A transport hands over one mail at a time through a `Delivery`, which may keep one
connection open for a whole batch. Every error is about the mail being sent: it is raised
as TransientError or PermanentError for that mail alone, and the next mail of the batch
is tried on a fresh connection if the old one broke.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import ssl
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

import aiosmtplib

from helpdesk.config import Relay
from helpdesk.outbox.addresses import BadAddress, checked, needs_smtputf8


class TransientError(Exception):
    """Sending failed in a way that may pass (relay down, 4xx): retry later."""


class PermanentError(Exception):
    """The relay refused the mail for good (5xx, an address it cannot take): no retry."""


class Handover(Protocol):
    """What a transport needs of a mail (an outbox row)."""

    @property
    def id(self) -> int: ...
    @property
    def mail_from(self) -> str: ...
    @property
    def recipients(self) -> list[str]: ...
    @property
    def wire(self) -> bytes: ...


class Delivery(Protocol):
    async def send(self, mail: Handover) -> str:
        """Hand over one mail; returns the receiving side's answer (the relay's 250 text,
        with its queue ID). Raises TransientError or PermanentError."""
        ...


class Transport(Protocol):
    def describe(self) -> str:
        """Where mail goes, for logs (no secret)."""
        ...

    def batch(self) -> AbstractAsyncContextManager[Delivery]:
        """A delivery for several mails in a row (one relay connection, opened lazily)."""
        ...

    async def delivered(self, mail: Handover) -> bool | None:
        """Whether an interrupted earlier attempt did hand `mail` over: True or False when
        the transport can tell, None when it cannot (then it is sent again)."""
        ...


def envelope(mail: Handover) -> tuple[str, list[str], bool]:
    """The checked sender and recipients, and whether they need SMTPUTF8."""
    try:
        sender = checked(mail.mail_from)
        recipients = [checked(r) for r in mail.recipients]
    except BadAddress as exc:
        raise PermanentError(str(exc)) from None
    utf8 = needs_smtputf8(sender) or any(needs_smtputf8(r) for r in recipients)
    return sender, recipients, utf8


def _refused(exc: aiosmtplib.SMTPResponseException) -> Exception:
    text = f"{exc.code} {exc.message}"
    # A refused login (535) or a relay that wants TLS or a login first (530) is the
    # configuration's fault, not the message's: once an operator fixes it the mail must
    # still go, so it waits.
    relay_setup = exc.code == 530 or isinstance(exc, aiosmtplib.SMTPAuthenticationError)
    if 500 <= exc.code < 600 and not relay_setup:
        return PermanentError(text)
    return TransientError(text)


class _RelayDelivery:
    """One connection to the relay, opened at the first mail and again after a failure."""

    def __init__(self, relay: SmtpRelay) -> None:
        self._relay = relay
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        settings = self._relay.settings
        client = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            use_tls=settings.implicit_tls,
            # Plain smtp:// means plain: no opportunistic STARTTLS to a loopback relay.
            start_tls=settings.starttls,
            username=settings.username,
            password=settings.password,
            timeout=self._relay.timeout,
            tls_context=self._relay.tls_context,
        )
        await client.connect()
        if client.is_ehlo_or_helo_needed:
            # The extensions (SMTPUTF8) must be known before the first MAIL FROM.
            await client.ehlo()
        self._client = client
        return client

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()

    async def send(self, mail: Handover) -> str:
        sender, recipients, utf8 = envelope(mail)
        try:
            client = await self._connected()
            if utf8 and not client.supports_extension("smtputf8"):
                raise PermanentError(
                    f"the relay {self._relay.describe()} does not offer SMTPUTF8, which the "
                    f"internationalised address in {[sender, *recipients]} needs (RFC 6531)"
                )
            refused, reply = await client.sendmail(
                sender, recipients, mail.wire, mail_options=["SMTPUTF8"] if utf8 else None
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            message = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            if codes and all(500 <= c < 600 for c in codes):
                raise PermanentError(message) from None
            raise TransientError(message) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _refused(exc) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # The connection may be half-way through a command: start the next mail afresh.
            await self.close()
            raise TransientError(f"{type(exc).__name__}: {exc}") from None
        if refused:
            # Some recipients took it; retrying would send the others a second copy, so the
            # refusals are recorded with the reply and not retried.
            partial = "; ".join(f"{r}: {v.code} {v.message}" for r, v in refused.items())
            return f"{reply} (refused: {partial})"
        return reply


class SmtpRelay:
    """aiosmtplib to the relay: implicit TLS (`smtps`), STARTTLS, or plain (loopback)."""

    def __init__(
        self, relay: Relay, *, timeout: float = 30, tls_context: ssl.SSLContext | None = None
    ) -> None:
        """`tls_context` checks the relay's certificate; by default against the system's
        certificate authorities (OpenSSL's SSL_CERT_FILE names a private one)."""
        self.settings = relay
        self.timeout = timeout
        self.tls_context = tls_context

    def describe(self) -> str:
        return self.settings.masked()

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Delivery]:
        delivery = _RelayDelivery(self)
        try:
            yield delivery
        finally:
            await delivery.close()

    async def delivered(self, mail: Handover) -> bool | None:
        # SMTP offers no way to ask a relay what it already has: at least once.
        return None


# Maildir file names are unique names of our own choosing (maildir(5) only asks that
# they be unique), so the outbox id in them tells whether a mail was already written.
_NAME = "helpdesk-outbox-{id}.{pid}"
_ID = re.compile(r"helpdesk-outbox-(\d+)\.")


class MaildirTransport:
    """Writes each message into a Maildir (the `make run` default): read it with any MUA."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path

    def describe(self) -> str:
        return f"maildir:{self._path}"

    def _write(self, mail: Handover, recipients: list[str]) -> str:
        for sub in ("tmp", "new", "cur"):
            (self._path / sub).mkdir(parents=True, exist_ok=True)
        envelope_to = ("X-Envelope-To: " + ", ".join(recipients) + "\r\n").encode()
        name = _NAME.format(id=mail.id, pid=os.getpid())
        tmp = self._path / "tmp" / name
        with open(tmp, "wb") as file:
            file.write(envelope_to + mail.wire)
            file.flush()
            os.fsync(file.fileno())
        # The rename is the hand-over (maildir(5)): a reader never sees half a message.
        os.replace(tmp, self._path / "new" / name)
        folder = os.open(self._path / "new", os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a power cut
        finally:
            os.close(folder)
        return f"written as {name}"

    def _has(self, mail_id: int) -> bool:
        for sub in ("new", "cur"):
            folder = self._path / sub
            if folder.is_dir() and any(
                (m := _ID.match(entry)) and int(m.group(1)) == mail_id
                for entry in os.listdir(folder)
            ):
                return True
        return False

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Delivery]:
        yield self

    async def send(self, mail: Handover) -> str:
        _sender, recipients, _utf8 = envelope(mail)
        try:
            return await asyncio.to_thread(self._write, mail, recipients)
        except OSError as exc:
            raise TransientError(f"cannot write to {self._path}: {exc}") from None

    async def delivered(self, mail: Handover) -> bool | None:
        try:
            return await asyncio.to_thread(self._has, mail.id)
        except OSError:
            return None
