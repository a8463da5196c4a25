"""`helpdesk migrate`: bring the database schema up to date (or down, for operators)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from helpdesk.cli._common import load_settings


def register(sub: Any) -> None:
    parser = sub.add_parser("migrate", help="apply database migrations")
    parser.add_argument(
        "--down", metavar="REVISION", help="downgrade to REVISION instead (`base` empties it)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from helpdesk.db.migrate import current_revision, downgrade, upgrade
    from helpdesk.storage import open_engine

    settings = load_settings(args)

    async def go() -> str | None:
        engine = open_engine(settings)
        try:
            if args.down:
                await downgrade(engine, args.down)
            else:
                await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(go())
    print(f"database at revision {revision or 'base'}")
    return 0
