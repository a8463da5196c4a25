"""Prometheus metrics of the HTTP server, on a registry owned by one application.

`/metrics` tells the version and how often each route failed (staff logins included):
it is never public. On the main port it needs the bearer token of the settings; a
listener of its own (for a private address) serves it alone.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import hdrs, web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

import helpdesk
from helpdesk.errors import UserError

log = logging.getLogger("helpdesk.metrics")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpMetrics:
    """The HTTP collectors; one instance per app so tests never share a global registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "helpdesk_http_requests",
            "HTTP requests served, by route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "helpdesk_http_request_duration_seconds",
            "Time to produce an HTTP response, by route.",
            ["route"],
            registry=registry,
        )
        info = Gauge(
            "helpdesk_build_info", "Version of the help desk.", ["version"], registry=registry
        )
        info.labels(version=helpdesk.__version__).set(1)


def _route_label(request: web.Request) -> str:
    # The canonical route ("/kb/{lang}/{id}"), not the path: paths are unbounded.
    info = request.match_info
    resource = info.route.resource if info.route is not None else None
    return resource.canonical if resource is not None else "unmatched"


def metrics_middleware(metrics: HttpMetrics) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = _route_label(request)
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(route).observe(time.perf_counter() - start)

    return middleware


def _bearer_matches(request: web.Request, expected: bytes) -> bool:
    scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    # compare_digest: the time taken tells nothing of how much of the token was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), expected
    )


def metrics_view(registry: CollectorRegistry, token: str = "") -> Handler:
    """The /metrics handler over `registry`; with a token, only for `Bearer <token>`."""
    expected = token.encode("utf-8")

    async def view(request: web.Request) -> web.StreamResponse:
        if token and not _bearer_matches(request, expected):
            raise web.HTTPUnauthorized(headers={hdrs.WWW_AUTHENTICATE: 'Bearer realm="metrics"'})
        return web.Response(
            body=generate_latest(registry),
            headers={hdrs.CONTENT_TYPE: CONTENT_TYPE_LATEST, hdrs.CACHE_CONTROL: "no-store"},
        )

    return view


def metrics_listener(
    registry: CollectorRegistry, host: str, port: int, token: str = ""
) -> Callable[[web.Application], AsyncIterator[None]]:
    """cleanup_ctx: a listener of its own on HOST:PORT serving /metrics and nothing else.

    Raises UserError at start-up when the address cannot be bound.
    """

    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        private = web.Application()
        private.router.add_get("/metrics", metrics_view(registry, token), name="metrics")
        runner = web.AppRunner(private, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            await runner.cleanup()
            raise UserError(
                f"cannot listen for metrics on {host}:{port}: {exc.strerror or exc}"
            ) from None
        log.info("metrics on http://%s:%d/metrics", host, port)
        try:
            yield
        finally:
            await runner.cleanup()

    return ctx
