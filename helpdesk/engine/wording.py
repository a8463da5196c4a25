"""The bot's sentences: `templates/bot/<lang>.yaml`, each value a Jinja2 template.

Wording never lives in Python: flows name a key, this renders it in the conversation's
language with the provider profile in context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

from helpdesk.config import ProviderProfile

LANGS = ("fr", "en")


class WordingError(Exception):
    """The wording files are incomplete or invalid; the message names the file and key."""


class Wording:
    def __init__(self, directory: Path, provider: ProviderProfile) -> None:
        # Plain text for chat and email bodies: the channel escapes (the widget shows text).
        env = Environment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)  # noqa: S701
        self._provider = provider
        self._templates: dict[str, dict[str, Template]] = {}
        for lang in LANGS:
            path = directory / f"{lang}.yaml"
            try:
                raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise WordingError(f"{path}: {exc}") from None
            if not isinstance(raw, dict):
                raise WordingError(f"{path}: expected a mapping of keys to texts")
            flat: dict[str, Template] = {}
            self._flatten(raw, "", flat, env, path)
            self._templates[lang] = flat
        missing = set(self._templates["fr"]) ^ set(self._templates["en"])
        if missing:
            raise WordingError(f"keys not in both languages: {sorted(missing)[:5]}")

    def _flatten(
        self,
        raw: dict[str, Any],
        prefix: str,
        out: dict[str, Template],
        env: Environment,
        path: Path,
    ) -> None:
        for key, value in raw.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                self._flatten(value, name + ".", out, env, path)
            elif isinstance(value, str):
                try:
                    out[name] = env.from_string(value.strip())
                except Exception as exc:
                    raise WordingError(f"{path}: {name}: {exc}") from None
            else:
                raise WordingError(f"{path}: {name}: expected text")

    @property
    def provider(self) -> ProviderProfile:
        return self._provider

    def has(self, key: str) -> bool:
        return key in self._templates["fr"]

    def keys(self) -> list[str]:
        return sorted(self._templates["fr"])

    def say(self, lang: str, key: str, **context: Any) -> str:
        """The text of `key` in `lang` (French when `lang` is not one of ours)."""
        table = self._templates.get(lang, self._templates["fr"])
        return table[key].render(p=self._provider, **context)
