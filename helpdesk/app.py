"""The aiohttp application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from diagnostics.dns import Resolver
from diagnostics.resolver import DnsResolver
from helpdesk.chat.limits import AddressGate
from helpdesk.chat.service import ChatService
from helpdesk.chat.tokens import ConversationTokens
from helpdesk.chat.ws import CHAT, CHAT_GATE, chat_ws
from helpdesk.config import Settings
from helpdesk.console.setup import setup_console
from helpdesk.conversations import ConversationStore
from helpdesk.db import create_engine, session_factory
from helpdesk.email import setup_email
from helpdesk.email.key import signing_key
from helpdesk.engine import Engine, EngineDeps, Wording
from helpdesk.engine.checks import DiagnosticChecks
from helpdesk.errors import UserError
from helpdesk.kb_paths import KB_DIR
from helpdesk.keys import (
    ENGINE,
    HTTP_METRICS,
    REGISTRY,
    SESSIONS,
    SETTINGS,
    TEMPLATES,
    UNDERSTANDING,
)
from helpdesk.mailbox.keys import RESETS
from helpdesk.mailbox.wiring import setup_mailbox
from helpdesk.templating import TEMPLATES_DIR, html_environment
from helpdesk.tickets import TicketStore
from helpdesk.understanding import Understanding
from helpdesk.web.health import healthz
from helpdesk.web.kb import KB
from helpdesk.web.kb import add_routes as add_kb_routes
from helpdesk.web.metrics import (
    HttpMetrics,
    metrics_listener,
    metrics_middleware,
    metrics_view,
)
from helpdesk.web.middleware import add_security_headers, error_pages
from helpdesk.web.pages import add_routes


def _database(
    engine: AsyncEngine | None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        owned = engine is None
        eng = engine or create_engine(app[SETTINGS].database_url, pool_pre_ping=True)
        app[ENGINE] = eng
        app[SESSIONS] = session_factory(eng)
        yield
        if owned:  # an injected engine belongs to the caller, who disposes of it
            await eng.dispose()

    return ctx


def _chat(
    understanding: Understanding | None, resolver: Resolver | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        # Training takes about a second of CPU: off the loop, once per process.
        model = understanding
        if model is None:
            model = await asyncio.to_thread(Understanding.load, KB_DIR)
        app[UNDERSTANDING] = model
        dns = resolver or DnsResolver(settings.dns_servers)
        wording = Wording(TEMPLATES_DIR / "bot", settings.provider)
        tickets = TicketStore(app[SESSIONS])
        deps = EngineDeps(
            understanding=model,
            wording=wording,
            checks=DiagnosticChecks(dns, settings.provider),
            articles=app[KB],
            resets=app[RESETS],
        )
        try:
            key = await asyncio.to_thread(signing_key, settings.secret_key, settings.data_dir)
        except OSError as exc:
            raise UserError(f"cannot use the data dir {str(settings.data_dir)!r}: {exc}") from None
        app[CHAT] = ChatService(
            Engine(deps),
            wording,
            tickets,
            ConversationStore(app[SESSIONS], tickets),
            tokens=ConversationTokens(key),
        )
        app[CHAT_GATE] = AddressGate()
        yield

    return ctx


def _add_metrics(app: web.Application, settings: Settings, registry: CollectorRegistry) -> None:
    # Never public by default: the main port serves /metrics only for the bearer token.
    if settings.metrics_token:
        app.router.add_get(
            "/metrics", metrics_view(registry, settings.metrics_token), name="metrics"
        )
    if settings.metrics_listen is not None:
        host, port = settings.metrics_listen
        app.cleanup_ctx.append(metrics_listener(registry, host, port, settings.metrics_token))


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    registry: CollectorRegistry | None = None,
    understanding: Understanding | None = None,
    resolver: Resolver | None = None,
) -> web.Application:
    """Build the application; every resource is opened and closed by a cleanup context.

    Dependencies are injected for tests: `engine` (an AsyncEngine the caller owns),
    `registry` (where Prometheus metrics go; a fresh one per app by default),
    `understanding` (a trained model, shared to save the training time) and `resolver`
    (where DNS questions go; the servers of the settings by default).
    """
    registry = registry or CollectorRegistry()
    metrics = HttpMetrics(registry)
    app = web.Application(middlewares=[metrics_middleware(metrics), error_pages])
    app[SETTINGS] = settings
    app[REGISTRY] = registry
    app[HTTP_METRICS] = metrics
    app[TEMPLATES] = html_environment()
    app.cleanup_ctx.append(_database(engine))
    setup_mailbox(app)  # before the chat: the password_forgot flow uses the resets
    app.cleanup_ctx.append(_chat(understanding, resolver))
    app.on_response_prepare.append(add_security_headers)

    app.router.add_get("/healthz", healthz, name="healthz")
    _add_metrics(app, settings, registry)
    app.router.add_get("/chat/ws", chat_ws, name="chat")
    add_routes(app)
    add_kb_routes(app)
    setup_console(app)
    # After the mailbox set-up: answers go through its outbox, resets through its service.
    setup_email(app, understanding=understanding, resolver=resolver)
    return app
