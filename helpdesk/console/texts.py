"""The console's wording (templates/staff/<lang>.yaml, one catalogue per declared language)
and the choice of language for a request: `?lang=`, then the remembered choice, then the
browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from helpdesk.templating import TEMPLATES_DIR, pick_lang
from helpdesk.wording import LANGUAGES, Catalogue, Languages, Phrases

TEXTS_DIR = TEMPLATES_DIR / "staff"
LANG_COOKIE = "hd_staff_lang"


class Texts:
    """Every key in every declared language, checked once at start-up."""

    def __init__(self, directory: Path = TEXTS_DIR, languages: Languages = LANGUAGES) -> None:
        self._catalogue = Catalogue(directory, languages)

    def phrases(self, lang: str) -> Phrases:
        """The texts of `lang` as pages call them: `t(key, **values)`."""
        return self._catalogue.phrases(lang)

    def get(self, lang: str, key: str, **values: Any) -> str:
        return self._catalogue.text(lang, key, **values)


def request_lang(request: web.Request) -> str:
    asked = request.query.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    kept = request.cookies.get(LANG_COOKIE)
    if kept in LANGUAGES:
        return str(kept)
    return pick_lang(request.headers.get("Accept-Language"))
