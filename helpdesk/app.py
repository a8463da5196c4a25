"""The aiohttp application factory and the composition root of the help desk."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from diagnostics.dns import Resolver
from diagnostics.resolver import DnsResolver
from helpdesk.chat.limits import AddressGate
from helpdesk.chat.service import ChatService
from helpdesk.chat.tokens import ConversationTokens
from helpdesk.chat.ws import chat_ws
from helpdesk.config import Settings
from helpdesk.console.services import console_services
from helpdesk.console.setup import add_routes as add_console_routes
from helpdesk.console.texts import Texts
from helpdesk.db import create_engine, session_factory
from helpdesk.desk import Desk
from helpdesk.email.key import signing_key
from helpdesk.email.responder import RateLimits
from helpdesk.email.setup import email_channel
from helpdesk.email.threads import MessageIds
from helpdesk.engine import Engine, EngineDeps, Wording
from helpdesk.engine.checks import DiagnosticChecks
from helpdesk.errors import UserError
from helpdesk.kb import KnowledgeBase, load_articles
from helpdesk.kb_paths import KB_DIR
from helpdesk.keys import (
    CHAT,
    CHAT_GATE,
    CONSOLE,
    CONSOLE_TEXTS,
    EMAIL,
    ENGINE,
    HTTP_METRICS,
    KB,
    MAILBOX_API_SERVICE,
    MAILBOXES,
    OUTBOX,
    REGISTRY,
    RESETS,
    SESSIONS,
    SETTINGS,
    SHEETS,
    TEMPLATES,
    UNDERSTANDING,
)
from helpdesk.mailbox.api import mailbox_api
from helpdesk.mailbox.service import MailboxService
from helpdesk.mailbox.wiring import mailbox_side
from helpdesk.outbox import Transport
from helpdesk.templating import TEMPLATES_DIR, html_environment
from helpdesk.understanding import Understanding
from helpdesk.web import reset as reset_pages
from helpdesk.web import sheet as sheet_pages
from helpdesk.web.health import healthz
from helpdesk.web.kb import add_routes as add_kb_routes
from helpdesk.web.metrics import (
    HttpMetrics,
    metrics_listener,
    metrics_middleware,
    metrics_view,
)
from helpdesk.web.middleware import add_security_headers, error_pages
from helpdesk.web.pages import add_routes

MAILBOX_API_PREFIX = "/api/mailbox"


@dataclass(frozen=True)
class Overrides:
    """What tests and benches put in place of the configured services."""

    engine: AsyncEngine | None = None
    understanding: Understanding | None = None
    resolver: Resolver | None = None
    mailboxes: MailboxService | None = None
    transport: Transport | None = None
    limits: RateLimits | None = None
    housekeeping_every: float | None = None


def _services(
    overrides: Overrides, api: web.Application | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The composition root: every service built once, in dependency order, with the
    background work (outbox sender, console housekeeping, email channel) started after
    what it needs and stopped before it, in reverse order."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        provider = settings.provider
        async with contextlib.AsyncExitStack() as stack:
            db = overrides.engine
            if db is None:  # an injected engine belongs to the caller, who disposes of it
                db = create_engine(settings.database_url, pool_pre_ping=True)
                stack.push_async_callback(db.dispose)
            sessions = session_factory(db)
            app[ENGINE], app[SESSIONS] = db, sessions
            try:
                key = await asyncio.to_thread(signing_key, settings.secret_key, settings.data_dir)
            except OSError as exc:
                raise UserError(
                    f"cannot use the data dir {str(settings.data_dir)!r}: {exc}"
                ) from None
            # Training takes about a second of CPU: off the loop, once per process.
            model = overrides.understanding
            if model is None:
                model = await asyncio.to_thread(Understanding.load, KB_DIR)
            app[UNDERSTANDING] = model
            wording = Wording(TEMPLATES_DIR / "bot", provider)
            dns = overrides.resolver or DnsResolver(settings.dns_servers)

            desk = Desk.over(sessions)
            side = await stack.enter_async_context(
                mailbox_side(
                    settings,
                    sessions,
                    tickets=desk.tickets,
                    service=overrides.mailboxes,
                    transport=overrides.transport,
                )
            )
            app[MAILBOXES], app[OUTBOX] = side.mailboxes, side.outbox
            app[RESETS], app[SHEETS] = side.resets, side.sheets
            if api is not None:
                api[MAILBOX_API_SERVICE] = side.mailboxes
            scrubber = reset_pages.install_scrubber()
            stack.callback(reset_pages.remove_scrubber, scrubber)

            engine = Engine(
                EngineDeps(
                    understanding=model,
                    wording=wording,
                    checks=DiagnosticChecks(dns, provider),
                    articles=app[KB],
                    resets=side.resets,
                )
            )
            chat = ChatService(
                engine,
                wording,
                desk.tickets,
                desk.conversations,
                tokens=ConversationTokens(key),
            )
            app[CHAT], app[CHAT_GATE] = chat, AddressGate()
            ids = MessageIds(key, provider.support_address.rpartition("@")[2])
            timing = (
                {}
                if overrides.housekeeping_every is None
                else {
                    "index_every": overrides.housekeeping_every,
                    "purge_every": overrides.housekeeping_every,
                }
            )
            app[CONSOLE] = await stack.enter_async_context(
                console_services(
                    settings,
                    sessions,
                    chat.hub,
                    app[CONSOLE_TEXTS],
                    ids.new,
                    desk=desk.staff,
                    **timing,
                )
            )
            app[EMAIL] = await stack.enter_async_context(
                email_channel(
                    settings,
                    sessions,
                    engine=engine,
                    wording=wording,
                    desk=desk.inbound,
                    ids=ids,
                    outbox=side.outbox,
                    limits=overrides.limits,
                )
            )
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
    mailboxes: MailboxService | None = None,
    transport: Transport | None = None,
    limits: RateLimits | None = None,
    housekeeping_every: float | None = None,
) -> web.Application:
    """Build the application: routes now, services when it starts (see `_services`).

    Dependencies are injected for tests: `engine` (an AsyncEngine the caller owns),
    `registry` (where Prometheus metrics go; a fresh one per app by default),
    `understanding` (a trained model, shared to save the training time), `resolver`
    (where DNS questions go; the servers of the settings by default), `mailboxes` and
    `transport` (the mailbox service and where outgoing mail goes), `limits` (of the
    automatic email answers) and `housekeeping_every` (seconds between the console's
    search-index and retention rounds).
    """
    registry = registry or CollectorRegistry()
    metrics = HttpMetrics(registry)
    app = web.Application(middlewares=[metrics_middleware(metrics), error_pages])
    app[SETTINGS] = settings
    app[REGISTRY] = registry
    app[HTTP_METRICS] = metrics
    app[TEMPLATES] = html_environment()
    # Read and checked now: a bad article or a missing translation stops the start-up.
    app[KB] = KnowledgeBase(load_articles(KB_DIR), settings.provider, settings.public_url)
    app[CONSOLE_TEXTS] = Texts()
    api = None
    if settings.mailbox_api_token:
        api = mailbox_api(settings.mailbox_api_token)
        app.add_subapp(MAILBOX_API_PREFIX, api)
    overrides = Overrides(
        engine, understanding, resolver, mailboxes, transport, limits, housekeeping_every
    )
    app.cleanup_ctx.append(_services(overrides, api))
    app.on_response_prepare.append(add_security_headers)

    app.router.add_get("/healthz", healthz, name="healthz")
    _add_metrics(app, settings, registry)
    app.router.add_get("/chat/ws", chat_ws, name="chat")
    add_routes(app)
    add_kb_routes(app)
    reset_pages.add_routes(app)
    sheet_pages.add_routes(app)
    add_console_routes(app)
    return app
