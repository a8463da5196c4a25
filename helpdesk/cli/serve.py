"""`helpdesk serve`: run the service until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from helpdesk.cli import UserError
from helpdesk.cli._common import load_settings

log = logging.getLogger("helpdesk.serve")


def register(sub: Any) -> None:
    parser = sub.add_parser("serve", help="run the web service (chat, pages, console)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from aiohttp import web

    from helpdesk import logs
    from helpdesk.app import create_app
    from helpdesk.config import mask_url_password
    from helpdesk.db.migrate import current_revision, head_revision
    from helpdesk.storage import open_engine

    settings = load_settings(args)
    logs.configure(settings.log_format, settings.log_level)

    async def schema_revision() -> str | None:
        engine = open_engine(settings)
        try:
            return await current_revision(engine)
        except Exception as exc:  # any driver error means the same thing to the operator
            raise UserError(
                f"cannot open the database {mask_url_password(settings.database_url)}: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            ) from None
        finally:
            await engine.dispose()

    have, want = asyncio.run(schema_revision()), head_revision()
    if have != want:
        raise UserError(
            f"the database is at revision {have or 'base'}, this version needs {want}: "
            "run `helpdesk migrate` first"
        )

    app = create_app(settings)

    async def announce(_app: web.Application) -> None:
        log.info(
            "serving on http://%s:%d (public URL %s)",
            settings.http_host,
            settings.http_port,
            settings.public_url,
        )

    app.on_startup.append(announce)
    try:
        web.run_app(
            app,
            host=settings.http_host,
            port=settings.http_port,
            print=None,
            access_log=logging.getLogger("helpdesk.access"),
            shutdown_timeout=10,
        )
    except OSError as exc:
        raise UserError(
            f"cannot listen on {settings.http_host}:{settings.http_port}: {exc.strerror or exc}"
        ) from None
    log.info("stopped")
    return 0
