"""Turning an article's body into HTML and plain text.

Two stages: Jinja2 fills in the provider's facts (the result is still Markdown, so no
HTML escaping there), then markdown-it renders CommonMark with raw HTML switched off:
a `<script>` in an article or in a configured value comes out as text, never as markup.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, StrictUndefined, TemplateError
from markdown_it import MarkdownIt
from markdown_it.token import Token

from helpdesk.config import ProviderProfile
from helpdesk.kb.articles import Article, KbError


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str  # the words of the page, for search
    excerpt: str  # the first paragraph, as plain text


def spf_terms(p: ProviderProfile) -> str:
    """The SPF terms that authorise the provider's sending servers (as the checks expect)."""
    if p.spf_include or p.sending_ips:
        parts = [f"include:{p.spf_include}"] if p.spf_include else []
        parts += [f"ip6:{ip}" if ":" in ip else f"ip4:{ip}" for ip in p.sending_ips]
        return " ".join(parts)
    return " ".join(f"a:{server}" for server in p.servers)


class Renderer:
    """Renders article bodies with one provider profile."""

    def __init__(self, provider: ProviderProfile) -> None:
        # Output is Markdown, escaped by markdown-it below, not HTML.
        self._env = Environment(
            autoescape=False,  # noqa: S701
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._context: Mapping[str, Any] = {"p": provider, "spf_terms": spf_terms(provider)}
        self._md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

    def markdown(self, article: Article) -> str:
        try:
            return self._env.from_string(article.body).render(self._context)
        except TemplateError as exc:
            raise KbError(f"{article.path}: cannot be rendered: {exc}") from None

    def render(self, article: Article) -> Rendered:
        source = self.markdown(article)
        tokens = self._md.parse(source)
        html = self._md.renderer.render(tokens, self._md.options, {})
        return Rendered(html, "\n".join(_blocks(tokens)), _excerpt(tokens))


def _inline_text(token: Token) -> str:
    return "".join(
        child.content if child.type in ("text", "code_inline") else " "
        for child in token.children or ()
        if child.type in ("text", "code_inline", "softbreak", "hardbreak")
    )


def _blocks(tokens: list[Token]) -> list[str]:
    """The text of each block (heading, paragraph, table cell, code) in reading order."""
    out: list[str] = []
    for token in tokens:
        if token.type == "inline":
            out.append(" ".join(_inline_text(token).split()))
        elif token.type in ("fence", "code_block"):
            out.append(token.content.strip())
    return [p for p in out if p]


def _excerpt(tokens: list[Token]) -> str:
    """The first top-level paragraph: headings and list items make poor summaries."""
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "paragraph_open" and opening.level == 0 and inline.type == "inline":
            return " ".join(_inline_text(inline).split())
    return ""
