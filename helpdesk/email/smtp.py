"""The inbound SMTP listener (aiosmtpd) that the provider's MTA forwards support mail to.

It says 250 only once the message is durable in the spool; if the spool cannot take it,
451 makes the sending MTA keep it and try again. A message over the provider's size
limit gets 552 with a sentence the customer will read in the bounce, not a bare code.
Lines of any length are taken whole, as Postfix delivers them (it splits long lines
for its queue and joins them again on delivery): only the size limit bounds a message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from helpdesk.email.spool import Spool

log = logging.getLogger("helpdesk.email.smtp")

_NOT_IN_PATH = re.compile(r"[\x00-\x20<>\x7f]")
MAX_DELIVERED_TO = 20


def _ascii_reply(code: str, text: str) -> str:
    """One SMTP reply line: ASCII, no line break, at most 510 characters."""
    clean = " ".join(text.split()).encode("ascii", "ignore").decode("ascii")
    return f"{code} {clean}"[:510]


def _path(address: str) -> bytes:
    # surrogateescape gives back the very bytes a non-UTF-8 client sent.
    return address.encode("utf-8", "surrogateescape")


class _Handler:
    def __init__(self, spool: Spool, on_stored: Callable[[str], None], unavailable: str) -> None:
        self._spool = spool
        self._on_stored = on_stored
        self._unavailable = unavailable

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        sender = _NOT_IN_PATH.sub("", envelope.mail_from or "")
        content = envelope.original_content or b""
        # What an MDA does: the envelope on top, the sender as Return-Path, each recipient
        # as Delivered-To (the responder's implicit-delivery check reads them, RFC 3834).
        trace = [b"Return-Path: <" + _path(sender) + b">\r\n"]
        for rcpt in envelope.rcpt_tos[:MAX_DELIVERED_TO]:
            trace.append(b"Delivered-To: " + _path(_NOT_IN_PATH.sub("", rcpt)) + b"\r\n")
        raw = b"".join(trace) + content
        try:
            name = await self._spool.store_async(raw)
        except OSError as exc:
            log.error("cannot store inbound mail in %s: %s", self._spool.root, exc)
            return self._unavailable
        self._on_stored(name)
        return f"250 2.0.0 Ok: queued as {name.split('.', 2)[1]}"


class _SMTP(SMTP):
    def __init__(self, handler: Any, *, too_big: str, data_size_limit: int, **kwargs: Any) -> None:
        # Broken mail has lines longer than RFC 5321's 1000, and Postfix passes them on:
        # take them whole. aiosmtpd's line limit is also its read buffer's, so it is set
        # just past the size limit: a line longer than that makes the message too big
        # anyway, and no more is held in memory than a message of the largest size.
        self.line_length_limit = data_size_limit + 3
        super().__init__(handler, data_size_limit=data_size_limit, **kwargs)
        self._too_big = too_big

    async def push(self, status: Any) -> None:
        # aiosmtpd's own 552 texts say nothing a customer can act on, and its "500 Line
        # too long" only comes for a line longer than the size limit: the message is too big.
        if isinstance(status, str) and status.startswith(("552 Error", "500 Line too long")):
            status = self._too_big
        await super().push(status)


class SmtpListener:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        spool: Spool,
        on_stored: Callable[[str], None],
        size_limit: int,
        too_big_text: str,
        unavailable_text: str,
    ) -> None:
        self.host, self.port = host, port
        self._spool = spool
        self._on_stored = on_stored
        self._size_limit = size_limit
        self._too_big = _ascii_reply("552 5.3.4", too_big_text)
        self._unavailable = _ascii_reply("451 4.3.0", unavailable_text)
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen; raises OSError when the address cannot be bound."""
        loop = asyncio.get_running_loop()
        handler = _Handler(self._spool, self._on_stored, self._unavailable)
        hostname = socket.gethostname()  # not getfqdn(): no DNS lookup per connection

        def factory() -> SMTP:
            return _SMTP(
                handler,
                too_big=self._too_big,
                data_size_limit=self._size_limit,
                enable_SMTPUTF8=True,
                hostname=hostname,
                ident="helpdesk",
                timeout=300,
                loop=loop,
            )

        self._server = await loop.create_server(factory, self.host, self.port)
        sockets = self._server.sockets or ()
        if sockets and self.port == 0:
            self.port = sockets[0].getsockname()[1]
        log.info("SMTP listener on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
