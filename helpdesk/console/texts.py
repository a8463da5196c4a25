"""The console's wording in French and English (templates/staff/texts.toml), and the
choice of language for a request: `?lang=`, then the remembered choice, then the browser."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from aiohttp import web

from helpdesk.templating import LANGS, TEMPLATES_DIR, pick_lang

TEXTS_FILE = TEMPLATES_DIR / "staff" / "texts.toml"
LANG_COOKIE = "hd_staff_lang"


class Texts:
    """Every key in both languages, checked once at start-up."""

    def __init__(self, path: Path = TEXTS_FILE) -> None:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
        self._by_lang: dict[str, dict[str, str]] = {
            lang: _flatten(data.get(lang, {})) for lang in LANGS
        }
        keys = [set(words) for words in self._by_lang.values()]
        missing = keys[0] ^ keys[1]
        if missing:
            raise ValueError(f"{path}: keys not in both languages: {sorted(missing)[:5]}")

    def table(self, lang: str) -> dict[str, str]:
        return self._by_lang[lang if lang in LANGS else "fr"]

    def get(self, lang: str, key: str, **values: Any) -> str:
        text = self.table(lang)[key]
        return text.format(**values) if values else text


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def request_lang(request: web.Request) -> str:
    asked = request.query.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    if kept in LANGS:
        return kept
    return pick_lang(request.headers.get("Accept-Language"))
