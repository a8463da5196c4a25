"""The knowledge base as the service uses it: rendered pages, search and the bot's links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from helpdesk.config import ProviderProfile
from helpdesk.kb.articles import Article, KbError
from helpdesk.kb.render import Renderer
from helpdesk.kb.search import Document, SearchIndex, fold


@dataclass(frozen=True)
class Page:
    """An article rendered for one provider, ready to serve."""

    id: str
    lang: str
    title: str
    intents: tuple[str, ...]
    keywords: tuple[str, ...]
    html: str  # safe: Markdown with raw HTML disabled
    text: str
    excerpt: str

    @property
    def path(self) -> str:
        return f"/kb/{self.lang}/{self.id}"


class KnowledgeBase:
    """Every article rendered once with the provider profile; implements engine `Articles`.

    `public_url` prefixes the links given to the bot: the widget runs on other sites, so
    its links must be absolute.
    """

    def __init__(
        self, articles: Iterable[Article], provider: ProviderProfile, public_url: str
    ) -> None:
        renderer = Renderer(provider)
        self._public_url = public_url.rstrip("/")
        self._pages: dict[tuple[str, str], Page] = {}
        for article in articles:
            key = (article.lang, article.id)
            if key in self._pages:
                raise KbError(f"{article.path}: id {article.id!r} used twice")
            done = renderer.render(article)
            self._pages[key] = Page(
                article.id,
                article.lang,
                article.title,
                article.intents,
                article.keywords,
                done.html,
                done.text,
                done.excerpt,
            )
        self.langs = tuple(dict.fromkeys(lang for lang, _ in self._pages))
        self._indexes = {
            lang: SearchIndex(Document(p.id, p.title, p.keywords, p.text) for p in self.pages(lang))
            for lang in self.langs
        }
        # An intent's link goes to the article whose main topic it is, else the first
        # article (by id) that covers it.
        self._by_intent: dict[tuple[str, str], Page] = {}
        for lang in self.langs:
            ranked = sorted(self.pages(lang), key=lambda p: p.id)
            for rank in range(max((len(p.intents) for p in ranked), default=0)):
                for page in ranked:
                    if rank < len(page.intents):
                        self._by_intent.setdefault((page.intents[rank], lang), page)

    def pages(self, lang: str) -> list[Page]:
        """The articles of `lang`, by title."""
        found = [p for (page_lang, _), p in self._pages.items() if page_lang == lang]
        return sorted(found, key=lambda p: fold(p.title))

    def get(self, lang: str, article_id: str) -> Page | None:
        return self._pages.get((lang, article_id))

    def search(self, lang: str, query: str, limit: int = 10) -> list[Page]:
        """Articles of `lang` for a customer's words, best first."""
        index = self._indexes.get(lang)
        if index is None:
            return []
        return [self._pages[(lang, hit.key)] for hit in index.search(query, limit)]

    def url(self, page: Page) -> str:
        return self._public_url + page.path

    def for_intent(self, intent: str, lang: str) -> Page | None:
        return self._by_intent.get((intent, lang))

    def link_for(self, intent: str, lang: str) -> tuple[str, str] | None:
        """(title, absolute url) of the article about `intent` in `lang`, if any."""
        page = self.for_intent(intent, lang)
        return (page.title, self.url(page)) if page else None
