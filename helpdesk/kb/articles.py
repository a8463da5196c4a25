"""Reading the knowledge base: `kb/<lang>/<id>.md`, YAML front matter then a Markdown body.

The body is a Jinja2 template (rendered later with the provider profile as `p`), so the
articles never state a server name, a port or a limit themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, TemplateSyntaxError

from helpdesk.understanding.intents import INTENTS, LANGUAGES

ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
FIELDS = ("id", "title", "intents", "keywords")
_FENCE = "---"


class KbError(Exception):
    """An article cannot be used; the message names the file and what to fix.

    Raised at start-up, so the service never runs with a half-loaded knowledge base.
    """


@dataclass(frozen=True)
class Article:
    """One article as written: front matter and the unrendered body template."""

    id: str
    lang: str
    title: str
    intents: tuple[str, ...]  # the first one is the article's main topic
    keywords: tuple[str, ...]
    body: str
    path: Path


def _strings(value: Any, path: Path, key: str, *, allow_empty: bool) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise KbError(f"{path}: front matter: {key!r} must be a list of strings")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            hint = " (quote it)" if isinstance(item, int | float) else ""
            raise KbError(f"{path}: front matter: {key!r}: {item!r} is not a word{hint}")
    if not value and not allow_empty:
        raise KbError(f"{path}: front matter: {key!r} must not be empty")
    return tuple(v.strip() for v in value)


def split_front_matter(text: str, path: Path) -> tuple[dict[str, Any], str, int]:
    """The YAML mapping between the opening and closing `---` lines, the rest, and the
    line number (from 1) where the rest starts."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise KbError(f"{path}: front matter: the file must start with a '---' line")
    for end in range(1, len(lines)):
        if lines[end].strip() == _FENCE:
            break
    else:
        raise KbError(f"{path}: front matter: no closing '---' line")
    try:
        meta = yaml.safe_load("".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise KbError(f"{path}: front matter: invalid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise KbError(f"{path}: front matter: expected a mapping of {', '.join(FIELDS)}")
    return meta, "".join(lines[end + 1 :]), end + 2


def parse_article(text: str, path: Path, lang: str) -> Article:
    """One article from the text of `path`; raises KbError naming `path`."""
    meta, body, first_line = split_front_matter(text, path)
    unknown = sorted(str(k) for k in meta if k not in FIELDS)
    if unknown:
        raise KbError(f"{path}: front matter: unknown key {unknown[0]!r} (known: {FIELDS})")
    for key in FIELDS:
        if key not in meta:
            raise KbError(f"{path}: front matter: missing {key!r}")
    article_id, title = meta["id"], meta["title"]
    if not isinstance(article_id, str) or not ID.match(article_id):
        raise KbError(f"{path}: front matter: 'id' must be lower-case letters, digits and '-'")
    if article_id != path.stem:
        raise KbError(f"{path}: front matter: id {article_id!r} differs from the file name")
    if not isinstance(title, str) or not title.strip():
        raise KbError(f"{path}: front matter: 'title' must be a non-empty string")
    intents = _strings(meta["intents"], path, "intents", allow_empty=False)
    for intent in intents:
        if intent not in INTENTS:
            raise KbError(f"{path}: front matter: unknown intent {intent!r}")
    keywords = _strings(meta["keywords"], path, "keywords", allow_empty=True)
    try:
        # Syntax errors surface now, with the file name, rather than at the first request.
        Environment(autoescape=False).parse(body)  # noqa: S701 - Markdown source, escaped later
    except TemplateSyntaxError as exc:
        line = first_line + exc.lineno - 1
        raise KbError(f"{path}: line {line}: template error: {exc.message}") from None
    return Article(article_id, lang, title.strip(), intents, keywords, body, path)


def load_articles(directory: Path) -> tuple[Article, ...]:
    """Every article of `directory/<lang>/*.md`, sorted by language then id.

    Both languages must hold the same ids: a customer switching language always finds
    the same article. Raises KbError naming the offending file.
    """
    articles: list[Article] = []
    ids: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        folder = directory / lang
        if not folder.is_dir():
            raise KbError(f"{folder}: knowledge base folder missing")
        ids[lang] = set()
        for path in sorted(folder.glob("*.md")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise KbError(f"{path}: cannot be read: {exc}") from None
            article = parse_article(text, path, lang)
            articles.append(article)
            ids[lang].add(article.id)
    first, *others = LANGUAGES
    for lang in others:
        for missing_in, present_in in ((lang, first), (first, lang)):
            for article_id in sorted(ids[present_in] - ids[missing_in]):
                raise KbError(
                    f"{directory / missing_in / (article_id + '.md')}: missing "
                    f"(the {present_in} article {article_id!r} has no {missing_in} version)"
                )
    return tuple(articles)
