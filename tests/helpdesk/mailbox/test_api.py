"""The mailbox API server and client: authentication, bad input, mounting, a remote store."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from helpdesk.app import create_app
from helpdesk.config import ConfigError, Settings, load_settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from helpdesk.keys import MAILBOXES, RESETS
from helpdesk.mailbox.api import mailbox_api
from helpdesk.mailbox.embedded import EmbeddedMailboxService
from helpdesk.mailbox.http_client import HttpMailboxService
from helpdesk.mailbox.service import NewMailbox, ServiceUnavailable
from tests.chatclient import ChatCustomer
from tests.conftest import free_port
from tests.helpdesk.mailbox.conftest import API_TOKEN

Client = Callable[..., Awaitable[TestClient[Any, Any]]]
JEAN = NewMailbox("jean@exemple.fr", "Ourson-bleu-7", "jean@ailleurs.example", "mail.zindex.fr")


@pytest.fixture
async def api(embedded: EmbeddedMailboxService, aiohttp_client: Client) -> TestClient[Any, Any]:
    app = web.Application()
    app.add_subapp("/api/mailbox", mailbox_api(API_TOKEN, embedded))
    return await aiohttp_client(app)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_TOKEN}],
)
async def test_api_needs_the_token(api: TestClient[Any, Any], headers: dict[str, str]) -> None:
    """Every route refuses a request without the exact bearer token."""
    for method, path in (("GET", "/v1/mailboxes"), ("POST", "/v1/links/check")):
        response = await api.request(method, "/api/mailbox" + path, headers=headers)
        assert response.status == 401
        assert (await response.json())["error"] == "unauthorized"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'{"address": 3}', "address: expected a string"),
        (
            b'{"address": "a@b.fr", "password": "x", "server": "s", "quota_bytes": "big"}',
            "quota_bytes",
        ),
    ],
)
async def test_api_bad_input_is_400(api: TestClient[Any, Any], body: bytes, message: str) -> None:
    """Malformed bodies get a 400 naming the problem."""
    response = await api.post(
        "/api/mailbox/v1/mailboxes",
        data=body,
        headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert message in (await response.json())["message"]


async def test_client_reports_an_unreachable_service() -> None:
    """A service that does not answer is ServiceUnavailable, with where it was asked."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        client = HttpMailboxService(f"http://127.0.0.1:{free_port()}/api/mailbox", "t" * 40, http)
        with pytest.raises(ServiceUnavailable, match=r"127\.0\.0\.1"):
            await client.get("jean@exemple.fr")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_client_reports_a_refused_token(api: TestClient[Any, Any]) -> None:
    """A wrong token is ServiceUnavailable saying so."""
    client = HttpMailboxService(str(api.make_url("/api/mailbox")), "w" * 40, api.session)
    with pytest.raises(ServiceUnavailable, match="token was refused"):
        await client.list()


def test_settings_for_the_mailbox_service(env: dict[str, str]) -> None:
    """A service URL needs its token; the API token has a minimum length; the link life is set."""
    with pytest.raises(
        ConfigError,
        match=r"^helpdesk\.mailbox_service_token: required when mailbox_service is a URL$",
    ):
        load_settings({**env, "HELPDESK_MAILBOX_SERVICE": "https://mail.example.net/api/mailbox"})
    with pytest.raises(ConfigError, match=r"^HELPDESK_MAILBOX_API_TOKEN: must have at least 32"):
        load_settings({**env, "HELPDESK_MAILBOX_API_TOKEN": "short"})
    with pytest.raises(ConfigError, match=r"^HELPDESK_MAILBOX_SERVICE: expected an http"):
        load_settings({**env, "HELPDESK_MAILBOX_SERVICE": "ftp://x"})
    with pytest.raises(
        ConfigError, match=r"^HELPDESK_RESET_LINK_MINUTES: expected an integer from 1"
    ):
        load_settings({**env, "HELPDESK_RESET_LINK_MINUTES": "0"})
    settings = load_settings(
        {**env, "HELPDESK_RESET_LINK_MINUTES": "45", "HELPDESK_MAILBOX_API_TOKEN": API_TOKEN}
    )
    assert settings.reset_link_minutes == 45
    masked = repr(settings.masked()) + repr(settings)
    assert API_TOKEN not in masked


def _settings(env: dict[str, str], data_dir: Path, extra: dict[str, str]) -> Settings:
    data_dir.mkdir(parents=True, exist_ok=True)
    return load_settings({**env, "HELPDESK_DATA_DIR": str(data_dir), **extra})


async def _migrated_app(
    env: dict[str, str], data_dir: Path, extra: dict[str, str], understanding: Any
) -> web.Application:
    settings = _settings(env, data_dir, extra)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    return create_app(settings, understanding=understanding)


async def test_serve_mounts_the_api_only_when_configured(
    env: dict[str, str], tmp_path: Path, understanding: Any, aiohttp_client: Client
) -> None:
    """`serve` offers /api/mailbox for a configured token, and nothing without one."""
    plain = await aiohttp_client(await _migrated_app(env, tmp_path / "a", {}, understanding))
    assert (
        await plain.get("/api/mailbox/v1/mailboxes", headers={"Accept": "application/json"})
    ).status == 404
    served = await aiohttp_client(
        await _migrated_app(
            env, tmp_path / "b", {"HELPDESK_MAILBOX_API_TOKEN": API_TOKEN}, understanding
        )
    )
    response = await served.get(
        "/api/mailbox/v1/mailboxes", headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert response.status == 200 and await response.json() == {"mailboxes": []}


async def test_help_desk_on_a_remote_mailbox_service(
    env: dict[str, str], tmp_path: Path, understanding: Any, aiohttp_client: Client
) -> None:
    """A help desk configured with a provider's mailbox API resets passwords in that store."""
    from tests.helpdesk.outbox.relay import running_relay

    provider_app = await _migrated_app(
        env, tmp_path / "provider", {"HELPDESK_MAILBOX_API_TOKEN": API_TOKEN}, understanding
    )
    provider = TestServer(provider_app)
    await provider.start_server()
    try:
        with running_relay() as relay:
            desk_app = await _migrated_app(
                env,
                tmp_path / "desk",
                {
                    "HELPDESK_MAILBOX_SERVICE": str(provider.make_url("/api/mailbox")),
                    "HELPDESK_MAILBOX_SERVICE_TOKEN": API_TOKEN,
                    "HELPDESK_SMTP_RELAY": relay.url,
                },
                understanding,
            )
            desk = await aiohttp_client(desk_app)
            assert isinstance(desk_app[MAILBOXES], HttpMailboxService)
            await provider_app[MAILBOXES].create(JEAN)
            customer = ChatCustomer(await desk.ws_connect("/chat/ws"))
            await customer.hello("fr")
            await customer.say("j'ai oublié le mot de passe de jean@exemple.fr")
            await desk_app[RESETS].drain()
            [mail] = await relay.wait_for(1)
            found = re.search(r"/reset/[A-Za-z0-9_-]{43}", mail.message.get_content())
            assert found is not None
            before = await provider_app[MAILBOXES].get(JEAN.address)
            page = await desk.get(found.group(0))
            csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
            assert page.status == 200 and csrf is not None
            done = await desk.post(
                found.group(0),
                data={
                    "csrf": csrf.group(1),
                    "password": "Girafe-verte-8",
                    "confirm": "Girafe-verte-8",
                },
            )
            assert done.status == 200, await done.text()
            after = await provider_app[MAILBOXES].get(JEAN.address)
            assert before is not None and after is not None
            assert after.password_changed_at > before.password_changed_at
    finally:
        await provider.close()
