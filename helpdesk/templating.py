"""The Jinja2 environments that render HTML from templates/ (pages and the HTML part of
answer emails): all autoescaped, by one rule. Pages take their sentences from the
catalogues of helpdesk/wording.py (`phrases(area, lang)`), never from literals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from helpdesk.resources import TEMPLATES_DIR as TEMPLATES_DIR  # re-exported
from helpdesk.wording import LANGUAGES, Catalogue, Languages, Phrases

# The declared languages' codes (templates/languages.yaml), for the modules that list them.
LANGS = LANGUAGES.codes
# Areas whose catalogue (templates/<area>/<lang>.yaml) the pages read.
PAGE_AREAS = ("pages", "reset", "kb")


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


def html_environment(
    directory: Path = TEMPLATES_DIR, languages: Languages = LANGUAGES
) -> Environment:
    """Templates for pages: every variable is HTML-escaped unless marked safe.

    Pages see `languages` (the declared ones, for language switches) and
    `phrases(area, lang)`, the catalogue of `area` bound to a language: `t(key, **values)`.
    """
    env = escaping_environment(directory, enable_async=False)
    catalogues = {area: Catalogue(directory / area, languages) for area in PAGE_AREAS}

    def phrases(area: str, lang: str) -> Phrases:
        return catalogues[area].phrases(lang)

    env.globals.update(languages=languages, phrases=phrases)
    return env


def pick_lang(accept_language: str | None, languages: Languages = LANGUAGES) -> str:
    """The first of our languages named in an Accept-Language header, by weight."""
    best, best_q = languages.default, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in languages and q > best_q:
            best, best_q = primary, q
    return best
