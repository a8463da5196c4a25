"""A migrated help desk with staff accounts, and a logged-in browser-like client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from diagnostics.zone import ZoneResolver
from helpdesk.app import create_app
from helpdesk.config import Settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from helpdesk.db.models import utcnow
from helpdesk.keys import CONSOLE, ENGINE
from helpdesk.staff.accounts import create_staff
from tests.chatclient import ChatCustomer

ZONE: dict[str, list[Any]] = {
    "exemple.fr": [{"TXT": "v=spf1 a:mail.zindex.fr -all"}, {"MX": [10, "mail.zindex.fr"]}],
    "mail.zindex.fr": [{"A": "192.0.2.10"}],
}
ADMIN = ("admin@zindex.fr", "admin-password-1")
AGENT = ("agent@zindex.fr", "agent-password-1")
_TOKEN = re.compile(r'name="(?:csrf|login_token)" value="([^"]+)"')

Client = TestClient[Any, Any]


def field(html: str) -> str:
    """The CSRF (or login) token of the first form of a page."""
    found = _TOKEN.search(html)
    assert found, html[:500]
    return found.group(1)


async def log_in(client: Client, email: str, password: str, lang: str = "fr") -> Any:
    """Log in through the form as a browser does; returns the response."""
    headers = {"Accept-Language": lang}
    page = await client.get("/staff/login", headers=headers)
    return await client.post(
        "/staff/login",
        data={"login_token": field(await page.text()), "email": email, "password": password},
        headers=headers,
        allow_redirects=False,
    )


async def csrf_of(client: Client, path: str = "/staff/tickets") -> str:
    page = await client.get(path)
    assert page.status == 200, page.status
    return field(await page.text())


@pytest.fixture
async def console_app(settings: Settings, understanding: Any) -> web.Application:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    return create_app(settings, understanding=understanding, resolver=ZoneResolver(ZONE))


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Desk:
    """The running app and ways in: staff clients and chat customers."""

    app: web.Application
    make_client: Callable[..., Awaitable[Client]]

    async def staff(self, who: tuple[str, str] = AGENT) -> Client:
        client = await self.make_client()
        response = await log_in(client, *who)
        assert response.status == 303, await response.text()
        return client

    async def anonymous(self, address: str | None = None) -> Client:
        """A visitor; with `address` (another loopback address, 127.0.0.2 say), connecting
        from there, as a client on another machine would."""
        if address is None:
            return await self.make_client()
        return await self.make_client(connector=aiohttp.TCPConnector(local_addr=(address, 0)))

    def stop_the_clock(self) -> Clock:
        """Login delays run on a clock the test moves (never on the wall clock)."""
        clock = Clock()
        self.app[CONSOLE].auth.clock = clock
        return clock

    async def customer(self, client: Client) -> ChatCustomer:
        return ChatCustomer(await client.ws_connect("/chat/ws"))


@pytest.fixture
async def desk(
    aiohttp_client: Callable[..., Awaitable[Client]],
    aiohttp_server: Callable[..., Awaitable[Any]],
    console_app: web.Application,
) -> AsyncIterator[Desk]:
    """The app on a real loopback server; every client has its own cookie jar."""
    server = await aiohttp_server(console_app)
    engine = console_app[ENGINE]
    await create_staff(engine, ADMIN[0], ADMIN[1], "admin")
    await create_staff(engine, AGENT[0], AGENT[1], "agent")
    clients: list[Client] = []

    async def make(**kwargs: Any) -> Client:
        client = await aiohttp_client(server, **kwargs)
        clients.append(client)
        return client

    yield Desk(console_app, make)
    # Every client's sockets close before the shared server stops, or the server would
    # wait for the open chats until its shutdown timeout.
    for client in clients:
        await client.session.close()
