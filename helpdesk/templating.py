"""The Jinja2 environment of the web pages (HTML, autoescaped)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

LANGS = ("fr", "en")


def html_environment(directory: Path = TEMPLATES_DIR) -> Environment:
    """Templates for pages: every variable is HTML-escaped unless marked safe."""
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        enable_async=False,
    )


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
