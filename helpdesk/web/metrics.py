"""Prometheus metrics of the HTTP server, on a registry owned by one application."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

import helpdesk


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


async def metrics_view(request: web.Request) -> web.Response:
    from helpdesk.keys import REGISTRY

    body = generate_latest(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
