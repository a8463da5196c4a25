"""The bot's sentences: `templates/bot/<lang>.yaml`, a catalogue (helpdesk/wording.py)
whose texts see the provider profile as `p`.

Wording never lives in Python: flows name a key, this renders it in the conversation's
language with the provider profile in context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpdesk.config import ProviderProfile
from helpdesk.wording import LANGUAGES, Catalogue, Languages, WordingError

__all__ = ["Wording", "WordingError"]


class Wording:
    def __init__(
        self, directory: Path, provider: ProviderProfile, languages: Languages = LANGUAGES
    ) -> None:
        # Plain text for chat and email bodies: the channel escapes (the widget shows text).
        self._catalogue = Catalogue(directory, languages, context={"p": provider})
        self._provider = provider

    @property
    def provider(self) -> ProviderProfile:
        return self._provider

    def has(self, key: str) -> bool:
        return self._catalogue.has(key)

    def keys(self) -> list[str]:
        return self._catalogue.keys()

    def say(self, lang: str, key: str, **context: Any) -> str:
        """The text of `key` in `lang` (the default language when `lang` is not ours)."""
        return self._catalogue.text(lang, key, **context)
