"""The Jinja2 environments that render HTML from templates/ (pages and the HTML part of
answer emails): all autoescaped, by one rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from helpdesk.resources import TEMPLATES_DIR as TEMPLATES_DIR  # re-exported

LANGS = ("fr", "en")


def escaping_environment(directory: Path, **options: Any) -> Environment:
    """Templates under `directory`, HTML-escaped unless named as plain text.

    Escaping is the default: a new kind of name (`.html.j2`, which
    `select_autoescape(["html"])` does not match, was one) is escaped; only `.txt` and
    `.txt.j2` templates, which are plain text, are not.
    """
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2", "xml.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        **options,
    )


def html_environment(directory: Path = TEMPLATES_DIR) -> Environment:
    """Templates for pages: every variable is HTML-escaped unless marked safe."""
    return escaping_environment(directory, enable_async=False)


def pick_lang(accept_language: str | None, default: str = "fr") -> str:
    """The first of our languages named in an Accept-Language header, by weight."""
    best, best_q = default, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and q > best_q:
            best, best_q = primary, q
    return best
