"""A real SMTP server (aiosmtpd) on loopback standing as the outgoing relay in tests."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: str | None = None  # the TLS version the mail came over, None in clear

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Relay:
    """What the relay received; set `reply` to make it answer DATA with an error."""

    port: int
    received: list[Received] = field(default_factory=list)
    reply: str | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            return self.reply
        secured = server.transport.get_extra_info("ssl_object")
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.content,
                secured.version() if secured is not None else None,
            )
        )
        return "250 OK queued"

    async def wait_for(self, count: int, within: float = 15) -> list[Received]:
        """The first `count` messages, once they have arrived (at most `within` seconds)."""
        deadline = time.monotonic() + within
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, relay got {len(self.received)}")
            await asyncio.sleep(0.05)
        return self.received[:count]


class Login:
    """An aiosmtpd authenticator accepting one user name and password."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()
        self.seen: list[bytes] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.username,
            self.password,
        )
        if isinstance(auth_data, LoginPassword):
            self.seen.append(auth_data.login)
        return AuthResult(success=ok, handled=False)


@contextmanager
def running_relay(
    port: int | None = None,
    relay: Relay | None = None,
    login: Login | None = None,
    *,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
    smtputf8: bool = False,
) -> Iterator[Relay]:
    """aiosmtpd's threaded Controller on 127.0.0.1 and an explicit free port.

    With `login`, the relay offers AUTH and checks what it is given (without TLS unless
    `tls` is given: loopback). With `smtputf8`, it offers SMTPUTF8 (RFC 6531). With `tls` (a server context), the relay requires STARTTLS
    before any mail, or, with `implicit_tls`, speaks TLS from the first byte (smtps).
    """
    relay = relay or Relay(port or free_port())
    options: dict[str, Any] = {"enable_SMTPUTF8": smtputf8}
    if login is not None:
        # aiosmtpd counts only STARTTLS as encryption when it decides to offer AUTH; with
        # implicit TLS every byte is encrypted already.
        options = {"authenticator": login, "auth_require_tls": tls is not None and not implicit_tls}
    if tls is not None and implicit_tls:
        options["ssl_context"] = tls
    elif tls is not None:
        options |= {"tls_context": tls, "require_starttls": True}
    controller = Controller(relay, hostname="127.0.0.1", port=relay.port, **options)
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()
