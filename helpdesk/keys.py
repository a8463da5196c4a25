"""Typed keys of the aiohttp application: every shared resource is reached through one."""

from __future__ import annotations

from aiohttp import web
from jinja2 import Environment
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from helpdesk.config import Settings
from helpdesk.understanding import Understanding
from helpdesk.web.metrics import HttpMetrics

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
TEMPLATES = web.AppKey("templates", Environment)
REGISTRY = web.AppKey("registry", CollectorRegistry)
HTTP_METRICS = web.AppKey("http_metrics", HttpMetrics)
# The trained language model, shared by the chat and the email responder (training costs
# about a second of CPU: once per process).
UNDERSTANDING = web.AppKey("understanding", Understanding)
