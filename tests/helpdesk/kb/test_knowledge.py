"""The knowledge base object: pages by language, the bot's links, duplicate ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.config import Settings
from helpdesk.engine.context import Articles
from helpdesk.kb import KbError, KnowledgeBase, parse_article


def make(article_id: str, intents: str, lang: str = "fr") -> str:
    return f"---\nid: {article_id}\ntitle: T {article_id}\nintents: [{intents}]\nkeywords: []\n---\nx\n"


def small(settings: Settings, *specs: tuple[str, str]) -> KnowledgeBase:
    articles = [
        parse_article(make(article_id, intents), Path(f"kb/{lang}/{article_id}.md"), lang)
        for lang in ("fr", "en")
        for article_id, intents in specs
    ]
    return KnowledgeBase(articles, settings.provider, "https://help.example.net/")


def test_link_is_absolute_and_in_the_language(kb: KnowledgeBase) -> None:
    """The widget runs on other sites: links carry the public URL, and the conversation's language."""
    assert kb.link_for("password_forgot", "fr") == (
        "Mot de passe oublié",
        "https://help.example.net/kb/fr/forgotten-password",
    )
    assert kb.link_for("password_forgot", "en") == (
        "Forgotten password",
        "https://help.example.net/kb/en/forgotten-password",
    )


def test_knowledge_base_is_the_engine_articles(kb: KnowledgeBase) -> None:
    """The knowledge base is what the engine's `Articles` protocol asks for."""
    articles: Articles = kb
    assert articles.link_for("greeting", "fr") is None
    assert articles.link_for("webmail", "de") is None


def test_main_topic_wins_over_mentions(default_settings: Settings) -> None:
    """An intent links to the article whose first intent it is, even if another id sorts first."""
    kb = small(default_settings, ("aaa", "webmail, alias"), ("zzz", "alias"))
    assert kb.link_for("alias", "fr") == ("T zzz", "https://help.example.net/kb/fr/zzz")
    assert kb.link_for("webmail", "en") == ("T aaa", "https://help.example.net/kb/en/aaa")


def test_a_mention_is_enough_without_a_main_article(default_settings: Settings) -> None:
    """An intent only mentioned still gets a link, to the first article by id."""
    kb = small(default_settings, ("bbb", "webmail, alias"), ("ccc", "spf, alias"))
    assert kb.link_for("alias", "fr") == ("T bbb", "https://help.example.net/kb/fr/bbb")


def test_pages_are_listed_by_title(kb: KnowledgeBase) -> None:
    """Lists are in alphabetical order of titles, accents ignored."""
    titles = [p.title for p in kb.pages("fr")]
    assert titles[0] == "Accéder au webmail"
    assert len(titles) == len(kb.pages("en"))
    assert kb.pages("de") == []


def test_duplicate_id_is_refused(default_settings: Settings) -> None:
    """Two articles with the same language and id stop the build, naming the second one."""
    one = parse_article(make("same", "webmail"), Path("kb/fr/same.md"), "fr")
    two = parse_article(make("same", "alias"), Path("elsewhere/fr/same.md"), "fr")
    with pytest.raises(KbError, match=r"elsewhere/fr/same\.md: id 'same' used twice"):
        KnowledgeBase([one, two], default_settings.provider, "https://help.example.net")


def test_search_is_per_language(kb: KnowledgeBase) -> None:
    """A French query searches French articles, an English one English articles."""
    assert kb.search("fr", "boite pleine")[0].id == "mailbox-full"
    assert kb.search("en", "mailbox full")[0].lang == "en"
    assert kb.search("de", "boite pleine") == []
