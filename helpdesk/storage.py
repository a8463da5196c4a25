"""Opening the configured database, shared by the CLI and the server."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk.config import Settings
from helpdesk.db import create_engine
from helpdesk.errors import UserError


def open_engine(settings: Settings) -> AsyncEngine:
    """The engine of the configured database; for SQLite, its folder is created first."""
    if settings.database_url.startswith("sqlite"):
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create data_dir {str(settings.data_dir)!r}: {exc}") from None
    return create_engine(settings.database_url, pool_pre_ping=True)
