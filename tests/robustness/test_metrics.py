"""Issue 12 finding 7: /metrics is never public by default (token or separate listener)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from helpdesk.app import create_app
from helpdesk.config import Settings
from helpdesk.errors import UserError
from helpdesk.web.metrics import metrics_listener
from tests.conftest import free_port

Client = Callable[..., Awaitable[TestClient[Any, Any]]]
TOKEN = "a-metrics-token-of-forty-characters-0123"


async def test_metrics_not_served_without_a_setting(
    aiohttp_client: Client, settings: Settings
) -> None:
    """With neither token nor listener, /metrics is a 404 on the public port."""
    client = await aiohttp_client(create_app(settings))
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer "}):
        resp = await client.get("/metrics", headers=headers)
        assert resp.status == 404
        assert "helpdesk_build_info" not in await resp.text()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer wrong-token",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN[:-1]}é",
    ],
)
async def test_metrics_refuse_a_wrong_token(
    aiohttp_client: Client, settings: Settings, authorization: str | None
) -> None:
    """With a token set, /metrics answers 401 (and says Bearer) to a missing or wrong one."""
    client = await aiohttp_client(create_app(replace(settings, metrics_token=TOKEN)))
    headers = {} if authorization is None else {"Authorization": authorization}
    resp = await client.get("/metrics", headers=headers)
    assert resp.status == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "helpdesk_build_info" not in await resp.text()


async def test_metrics_with_the_right_token(aiohttp_client: Client, settings: Settings) -> None:
    """The right bearer token gets the Prometheus text, never cached."""
    client = await aiohttp_client(create_app(replace(settings, metrics_token=TOKEN)))
    resp = await client.get("/metrics", headers={"Authorization": f"bearer  {TOKEN}"})
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert "helpdesk_build_info" in await resp.text()


async def test_separate_listener_serves_metrics_alone(
    aiohttp_client: Client, settings: Settings
) -> None:
    """A metrics listener serves /metrics (counting the main port) and nothing else; the
    main port then has no /metrics."""
    port = free_port()
    client = await aiohttp_client(create_app(replace(settings, metrics_listen=("127.0.0.1", port))))
    assert (await client.get("/healthz")).status in (200, 503)
    assert (await client.get("/metrics")).status == 404
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            body = await resp.text()
        assert 'route="/healthz"' in body
        assert "helpdesk_build_info" in body
        for path in ("/healthz", "/staff/login", "/"):
            async with session.get(f"http://127.0.0.1:{port}{path}") as resp:
                assert resp.status == 404, path


async def test_separate_listener_asks_for_the_token_when_set(
    aiohttp_client: Client, settings: Settings
) -> None:
    """With both settings, the separate listener wants the token too."""
    port = free_port()
    both = replace(settings, metrics_token=TOKEN, metrics_listen=("127.0.0.1", port))
    await aiohttp_client(create_app(both))
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.status == 401
        async with session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            assert resp.status == 200


async def test_metrics_listener_on_a_busy_port_fails_loudly() -> None:
    """A metrics address already in use stops start-up with a line naming it."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ctx = metrics_listener(CollectorRegistry(), "127.0.0.1", port)
        with pytest.raises(UserError, match=f"cannot listen for metrics on 127.0.0.1:{port}"):
            await anext(aiter(ctx(web.Application())))
