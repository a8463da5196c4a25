"""A migrated help desk app with a loopback DNS server, and customers to talk to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from diagnostics.resolver import DnsResolver
from helpdesk.app import create_app
from helpdesk.config import Settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from tests.chatclient import ChatCustomer
from tests.dnsserver import DNSServer

# The customer domains the flows check, served by a real DNS server on loopback.
ZONE: dict[str, list[Any]] = {
    "exemple.fr": [
        {"TXT": "v=spf1 a:mail.zindex.fr a:mail2.zindex.fr -all"},
        {"MX": [10, "mail.zindex.fr"]},
    ],
    "_dmarc.exemple.fr": [{"TXT": "v=DMARC1; p=quarantine; rua=mailto:dmarc@exemple.fr"}],
    "mail.zindex.fr": [{"A": "192.0.2.10"}],
    "mail2.zindex.fr": [{"A": "192.0.2.11"}],
    "broken-shop.com": [{"TXT": "v=spf1 +all"}, {"MX": [10, "mx.other-host.net"]}],
    "mx.other-host.net": [{"A": "198.51.100.7"}],
}


@pytest.fixture
def dns_server() -> Iterator[DNSServer]:
    with DNSServer().start(ZONE) as server:
        yield server


@pytest.fixture
async def chat_app(
    settings: Settings, understanding: Any, dns_server: DNSServer
) -> web.Application:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    resolver = DnsResolver([("127.0.0.1", dns_server.port)], timeout=1, lifetime=2)
    return create_app(settings, understanding=understanding, resolver=resolver)


@pytest.fixture
async def customer(
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]], chat_app: web.Application
) -> Callable[[], Awaitable[ChatCustomer]]:
    client = await aiohttp_client(chat_app)

    async def connect() -> ChatCustomer:
        return ChatCustomer(await client.ws_connect("/chat/ws"))

    return connect
