"""The shipped knowledge base, loaded and rendered once per test session."""

from __future__ import annotations

import pytest

from helpdesk.config import Settings, load_settings
from helpdesk.kb import Article, KnowledgeBase, load_articles
from helpdesk.kb_paths import KB_DIR


@pytest.fixture(scope="session")
def default_settings() -> Settings:
    """The shipped default configuration (the provider of the seed documents)."""
    return load_settings({})


@pytest.fixture(scope="session")
def articles() -> tuple[Article, ...]:
    return load_articles(KB_DIR)


@pytest.fixture(scope="session")
def kb(articles: tuple[Article, ...], default_settings: Settings) -> KnowledgeBase:
    return KnowledgeBase(articles, default_settings.provider, "https://help.example.net")
