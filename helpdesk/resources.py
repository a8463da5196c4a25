"""Where the help desk's own files are: templates, knowledge base, static files, the default
configuration and the database migrations.

They are package data of `helpdesk`, found with `importlib.resources`, so an installed
wheel and the editable install of development find them the same way, whatever the
working directory. `templates/` and `kb/` stay at the top of the repository: the links
`helpdesk/_templates` and `helpdesk/_kb` point at them, and the wheel holds their content
under those names.

Jinja2's FileSystemLoader, Alembic and the knowledge base loader read real folders. The
`helpdesk` package is one (`files()` gives a `pathlib.Path`) when it is installed from a
wheel or in editable mode; a zipped import would not give one, and fails here, at start-up.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = [
    "DEFAULT_CONFIG",
    "KB_DIR",
    "MIGRATIONS_DIR",
    "PACKAGE_DIR",
    "STATIC_DIR",
    "TEMPLATES_DIR",
]


def _package_dir() -> Path:
    root = files("helpdesk")
    if not isinstance(root, Path):
        raise RuntimeError(
            f"the helpdesk package is not a folder on disk ({root}): install it with pip, unzipped"
        )
    return root


PACKAGE_DIR = _package_dir()
# Resolved, so that in a checkout the links give the repository's own folders.
TEMPLATES_DIR = (PACKAGE_DIR / "_templates").resolve()
KB_DIR = (PACKAGE_DIR / "_kb").resolve()
STATIC_DIR = PACKAGE_DIR / "static"
DEFAULT_CONFIG = PACKAGE_DIR / "defaults" / "helpdesk.toml"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
