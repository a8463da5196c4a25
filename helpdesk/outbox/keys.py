"""Application key of the outbox (what any part of the app enqueues mail into)."""

from __future__ import annotations

from aiohttp import web

from helpdesk.outbox.store import Outbox

OUTBOX = web.AppKey("outbox", Outbox)
