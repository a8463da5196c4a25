"""A migrated store, a settable clock, the mailbox service in both implementations, and a
whole help desk whose mail goes to a real SMTP relay."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.app import create_app
from helpdesk.config import Settings, load_settings
from helpdesk.db import create_engine, session_factory
from helpdesk.db.migrate import upgrade
from helpdesk.keys import MAILBOXES, RESETS
from helpdesk.mailbox.api import mailbox_api
from helpdesk.mailbox.embedded import EmbeddedMailboxService
from helpdesk.mailbox.http_client import HttpMailboxService
from helpdesk.mailbox.reset import PasswordResets
from helpdesk.mailbox.service import MailboxService
from tests.chatclient import ChatCustomer
from tests.conftest import REPO
from tests.helpdesk.outbox.relay import Received, Relay, running_relay

API_TOKEN = "test-token-" + "x" * 40


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store_engine(migrated_engine: AsyncEngine) -> AsyncEngine:
    return migrated_engine


@pytest.fixture
def embedded(store_engine: AsyncEngine, clock: Clock) -> EmbeddedMailboxService:
    return EmbeddedMailboxService(session_factory(store_engine), clock=clock)


@pytest.fixture(params=["embedded", "http"])
async def service(
    request: pytest.FixtureRequest,
    embedded: EmbeddedMailboxService,
    aiohttp_client: Callable[..., Awaitable[Any]],
) -> MailboxService:
    """Each contract test runs on the embedded store and through the HTTP API to it."""
    if request.param == "embedded":
        return embedded
    app = web.Application()
    app.add_subapp("/api/mailbox", mailbox_api(API_TOKEN, embedded))
    client = await aiohttp_client(TestServer(app))
    return HttpMailboxService(str(client.make_url("/api/mailbox")), API_TOKEN, client.session)


# --- the whole help desk with a real SMTP relay, for the reset flow and pages


@dataclass
class Desk:
    """A running help desk app, its HTTP client and the relay its mail goes to."""

    app: web.Application
    client: TestClient[Any, Any]
    relay: Relay
    settings: Settings

    @property
    def mailboxes(self) -> MailboxService:
        return self.app[MAILBOXES]

    @property
    def resets(self) -> PasswordResets:
        return self.app[RESETS]

    async def customer(self) -> ChatCustomer:
        return ChatCustomer(await self.client.ws_connect("/chat/ws"))

    async def reset_mails(self, count: int) -> list[Received]:
        """The first `count` mails at the relay, once the resets in flight are done."""
        await self.resets.drain()
        return await self.relay.wait_for(count)


PUBLIC_URL = "https://help.zindex.test"


@pytest.fixture
def relay() -> Iterator[Relay]:
    with running_relay() as running:
        yield running


@pytest.fixture
def desk_settings(env: dict[str, str], relay: Relay) -> Settings:
    return load_settings(
        {**env, "HELPDESK_SMTP_RELAY": relay.url, "HELPDESK_PUBLIC_URL": PUBLIC_URL}
    )


@pytest.fixture
async def desk(
    desk_settings: Settings,
    relay: Relay,
    understanding: Any,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> Desk:
    desk_settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(desk_settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    app = create_app(desk_settings, understanding=understanding)
    client = await aiohttp_client(app)
    return Desk(app, client, relay, desk_settings)


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def csrf_of(response: ClientResponse) -> str:
    """The CSRF token of the form on a page."""
    found = CSRF.search(await response.text())
    assert found is not None
    return found.group(1)


def as_browser(token: str) -> dict[str, str]:
    """The CSRF cookie, sent by hand: it is Secure (the public URL is https) and the test
    server speaks plain http, where a browser behind TLS would send it."""
    return {"Cookie": f"reset_csrf={token}"}


def cli(
    settings_env: dict[str, str], *argv: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`helpdesk ARGV...` in a child process with exactly these HELPDESK_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "helpdesk", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env={**env, **settings_env},
        cwd=REPO,
        timeout=60,
        check=False,
    )
