"""`/healthz`: is this process able to serve (the database answers)?"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from helpdesk.keys import ENGINE

log = logging.getLogger("helpdesk.health")

DB_TIMEOUT = 2.0


async def healthz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(DB_TIMEOUT):
            async with request.app[ENGINE].connect() as conn:
                await conn.execute(text("SELECT 1"))
    except (TimeoutError, SQLAlchemyError, OSError) as exc:
        log.warning("health check failed: database: %s", type(exc).__name__)
        return web.json_response(
            {"status": "error", "database": "unreachable"},
            status=503,
            headers={"Cache-Control": "no-store"},
        )
    return web.json_response(
        {"status": "ok", "database": "ok"}, headers={"Cache-Control": "no-store"}
    )
