"""Every typed key of the aiohttp application, in one place.

The composition root (helpdesk.app) builds each service once and stores it here; handlers
read what they need. The types are imported for the type checker only, so that this
module depends on nothing at run time and every package may import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from jinja2 import Environment
    from prometheus_client import CollectorRegistry
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from helpdesk.chat.limits import AddressGate
    from helpdesk.chat.service import ChatService
    from helpdesk.config import Settings
    from helpdesk.console.services import Console
    from helpdesk.console.texts import Texts
    from helpdesk.email.setup import EmailChannel
    from helpdesk.kb import KnowledgeBase
    from helpdesk.mailbox.reset import PasswordResets
    from helpdesk.mailbox.service import MailboxService
    from helpdesk.mailbox.sheets import SettingsSheets
    from helpdesk.outbox.store import Outbox
    from helpdesk.understanding import Understanding
    from helpdesk.web.metrics import HttpMetrics

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine")
SESSIONS: web.AppKey[async_sessionmaker[AsyncSession]] = web.AppKey("sessions")
TEMPLATES: web.AppKey[Environment] = web.AppKey("templates")
REGISTRY: web.AppKey[CollectorRegistry] = web.AppKey("registry")
HTTP_METRICS: web.AppKey[HttpMetrics] = web.AppKey("http_metrics")
# The trained language model, shared by the chat and the email responder.
UNDERSTANDING: web.AppKey[Understanding] = web.AppKey("understanding")
KB: web.AppKey[KnowledgeBase] = web.AppKey("kb")
MAILBOXES: web.AppKey[MailboxService] = web.AppKey("mailboxes")
# The mailbox API sub-application's own key (its handlers read it from their app).
MAILBOX_API_SERVICE: web.AppKey[MailboxService] = web.AppKey("mailbox_api_service")
OUTBOX: web.AppKey[Outbox] = web.AppKey("outbox")
RESETS: web.AppKey[PasswordResets] = web.AppKey("password_resets")
SHEETS: web.AppKey[SettingsSheets] = web.AppKey("settings_sheets")
RESET_SCRIPT: web.AppKey[bytes] = web.AppKey("reset_script")
CHAT: web.AppKey[ChatService] = web.AppKey("chat")
CHAT_GATE: web.AppKey[AddressGate] = web.AppKey("chat_gate")
EMAIL: web.AppKey[EmailChannel] = web.AppKey("email")
CONSOLE: web.AppKey[Console] = web.AppKey("console")
CONSOLE_TEXTS: web.AppKey[Texts] = web.AppKey("console_texts")
