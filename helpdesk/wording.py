"""Customer- and staff-facing wording: the declared languages and the catalogues.

One way to store wording, Jinja everywhere:

- `templates/languages.yaml` declares the languages once (code, the name shown in a
  language switch, which one is the default). `load_languages` reads it; every list of
  languages in the help desk (the catalogues' completeness check, page negotiation, the
  chat protocol's `lang`, the CLI's `--lang` choices) comes from there.
- Short texts are catalogues, `templates/<area>/<lang>.yaml`: nested keys (flattened to
  `a.b.c`) whose values are Jinja templates, `{{ name }}` for a value. One class,
  `Catalogue`, loads an area, refuses at load a key that is missing in one language (the
  file and the key are named) and renders `text(lang, key, **values)`. Pages receive the
  same thing bound to their language, `t(key, **values)`.
- Multi-paragraph documents (mails, domain explanations) stay Jinja files named
  `<name>.<lang>.<ext>`: a catalogue entry would be a block scalar holding a whole template
  with loops and macros, harder to edit and to diff than the file itself. Their languages
  are still the declared ones, checked at load.

Why not gettext with Babel: our templates and the bot's texts are already Jinja, gettext
would add a dependency, an extraction and a compile step (`.po` to `.mo`) that deployments
must not forget, and message ids in one language that the other languages translate; a
YAML catalogue per language needs none of that and shows a translator every key at once.

Catalogue values are plain text rendered without escaping; an HTML page escapes their
output like any other value, so a catalogue never carries markup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import yaml
from jinja2 import Environment, StrictUndefined, Template, TemplateError

from helpdesk.resources import TEMPLATES_DIR

__all__ = [
    "LANGUAGES",
    "Catalogue",
    "Language",
    "Languages",
    "Phrases",
    "WordingError",
    "load_languages",
]

LANGUAGES_FILE = "languages.yaml"


class WordingError(Exception):
    """The wording files are incomplete or invalid: the help desk does not start, and the
    message names the file and the key to fix."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself, as a language switch shows it


@dataclass(frozen=True)
class Languages:
    """The declared languages, in the declared order; `default` serves everyone else."""

    all: tuple[Language, ...]
    default: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(language.code for language in self.all)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __iter__(self) -> Iterator[str]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.all)

    def knows(self, code: object) -> TypeGuard[str]:
        """Whether `code` is a declared language (`in`, for type checkers)."""
        return code in self.codes

    def pick(self, code: object, fallback: str | None = None) -> str:
        """`code` when it is one of ours, else `fallback` (the default language if None)."""
        return code if isinstance(code, str) and code in self else fallback or self.default

    def others(self, code: str) -> tuple[Language, ...]:
        """Every language but `code`: the entries of a language switch."""
        return tuple(language for language in self.all if language.code != code)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise WordingError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise WordingError(f"{path}: expected a mapping of keys to texts")
    return raw


def load_languages(templates: Path = TEMPLATES_DIR) -> Languages:
    """The languages declared in `<templates>/languages.yaml`."""
    path = templates / LANGUAGES_FILE
    raw = _read_yaml(path)
    entries, default = raw.get("languages"), raw.get("default")
    if not isinstance(entries, list) or not entries:
        raise WordingError(f"{path}: 'languages' must be a list of {{code, name}}")
    found: list[Language] = []
    for entry in entries:
        code = entry.get("code") if isinstance(entry, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(code, str) or not isinstance(name, str) or not code.isalpha():
            raise WordingError(f"{path}: each language needs a code (letters) and a name")
        found.append(Language(code.lower(), name))
    languages = Languages(tuple(found), str(default))
    if len(set(languages.codes)) != len(found):
        raise WordingError(f"{path}: a language is declared twice")
    if default not in languages:
        raise WordingError(f"{path}: default {default!r} is not a declared language")
    return languages


LANGUAGES = load_languages()


class Catalogue:
    """One area's texts, `<directory>/<lang>.yaml` for every declared language.

    `context` is given to every text (the bot's texts see the provider profile as `p`).
    """

    def __init__(
        self,
        directory: Path,
        languages: Languages = LANGUAGES,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        # Plain text: a page escapes the result like any other value; chat and mail are text.
        env = Environment(autoescape=False, undefined=StrictUndefined)  # noqa: S701
        self.languages = languages
        self._context = dict(context or {})
        self._texts: dict[str, dict[str, Template]] = {}
        for lang in languages:
            path = directory / f"{lang}.yaml"
            flat: dict[str, Template] = {}
            _flatten(_read_yaml(path), "", flat, env, path)
            self._texts[lang] = flat
        first = languages.codes[0]
        for lang in languages.codes[1:]:
            missing = sorted(set(self._texts[first]) - set(self._texts[lang]))
            extra = sorted(set(self._texts[lang]) - set(self._texts[first]))
            if missing:
                raise WordingError(
                    f"{directory / f'{lang}.yaml'}: missing key {missing[0]!r}"
                    f" (in {first}.yaml; {len(missing)} missing)"
                )
            if extra:
                raise WordingError(
                    f"{directory / f'{first}.yaml'}: missing key {extra[0]!r}"
                    f" (in {lang}.yaml; {len(extra)} missing)"
                )

    def has(self, key: str) -> bool:
        return key in self._texts[self.languages.default]

    def keys(self) -> list[str]:
        return sorted(self._texts[self.languages.default])

    def text(self, lang: str, key: str, **values: Any) -> str:
        """The text of `key` in `lang` (the default language when `lang` is not ours)."""
        table = self._texts[self.languages.pick(lang)]
        return table[key].render(self._context, **values)

    def phrases(self, lang: str) -> Phrases:
        """This catalogue in one language, as templates call it: `t(key, **values)`."""
        return Phrases(self, self.languages.pick(lang))


@dataclass(frozen=True)
class Phrases:
    catalogue: Catalogue
    lang: str

    def __call__(self, key: str, **values: Any) -> str:
        return self.catalogue.text(self.lang, key, **values)

    def has(self, key: str) -> bool:
        return self.catalogue.has(key)

    def get(self, key: str, default: str = "", **values: Any) -> str:
        """The text of `key`, or `default` for a key the catalogue does not have (a code
        that a newer release added, shown as it is)."""
        return self(key, **values) if self.has(key) else default


def _flatten(
    raw: dict[str, Any], prefix: str, out: dict[str, Template], env: Environment, path: Path
) -> None:
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, name + ".", out, env, path)
        elif isinstance(value, str):
            try:
                out[name] = env.from_string(value.strip())
            except TemplateError as exc:
                raise WordingError(f"{path}: {name}: {exc}") from None
        else:
            raise WordingError(f"{path}: {name}: expected text")
