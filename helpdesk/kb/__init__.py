"""The knowledge base: articles in kb/<lang>/, rendered with the provider profile.

`load_articles(KB_DIR)` reads them (once, at start-up); `KnowledgeBase` renders them, serves
search and gives the bot the link of the article about an intent.
"""

from helpdesk.kb.articles import Article, KbError, load_articles, parse_article
from helpdesk.kb.knowledge import KnowledgeBase, Page
from helpdesk.kb.render import Renderer, spf_terms
from helpdesk.kb.search import SearchIndex, fold, terms

__all__ = [
    "Article",
    "KbError",
    "KnowledgeBase",
    "Page",
    "Renderer",
    "SearchIndex",
    "fold",
    "load_articles",
    "parse_article",
    "spf_terms",
    "terms",
]
