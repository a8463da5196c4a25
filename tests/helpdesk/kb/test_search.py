"""Search: accent- and case-insensitive, forgiving of typos and endings, best match first."""

from __future__ import annotations

import pytest

from helpdesk.kb.search import Document, SearchIndex, fold, stem, terms

DOCS = [
    Document("full", "Ma boîte mail est pleine", ["quota", "espace"], "Supprimez des mails."),
    Document("password", "Mot de passe oublié", ["réinitialiser"], "Un lien est envoyé."),
    Document("settings", "Configurer Outlook", ["imap", "pop"], "Port 993, erreur 552 5.3.4."),
]


def keys(query: str) -> list[str]:
    return [hit.key for hit in SearchIndex(DOCS).search(query)]


def test_fold_removes_case_and_accents() -> None:
    """Case and accents go: "Boîte PLEINE" and "boite pleine" are the same words."""
    assert fold("Boîte PLEINE, Réponse") == "boite pleine, reponse"


def test_endings_meet() -> None:
    """Plurals and common endings are trimmed alike in FR and EN."""
    assert stem("boites") == stem("boite")
    assert stem("passwords") == stem("password")
    assert stem("configurer") == stem("configuration")
    assert terms("Boîtes pleines") == terms("boite pleine")


def test_stop_words_are_ignored() -> None:
    """Question words carry no topic."""
    assert terms("Comment est-ce que je peux faire ?") == []
    assert keys("comment faire") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("boite pleine", "full"),  # no accent
        ("BOÎTE PLEINE", "full"),  # case
        ("ma boite est plene", "full"),  # one typo
        ("mot de pase oublie", "password"),  # a typo and no accent
        ("reinitialisation", "password"),  # another form of the keyword
        ("outlok", "settings"),
        ("552", "settings"),  # an error code
        ("5.3.4", "settings"),
    ],
)
def test_customer_queries_find_the_document(query: str, expected: str) -> None:
    """Typed the way customers type, the query still finds the right document first."""
    assert keys(query)[0] == expected


def test_title_words_weigh_more_than_body_words() -> None:
    """A word in a title ranks that document above one that only mentions it."""
    docs = [Document("body", "Autre sujet", [], "une boîte"), Document("title", "Boîte", [], "")]
    assert [h.key for h in SearchIndex(docs).search("boite")] == ["title", "body"]


def test_nothing_matches_nothing() -> None:
    """Unrelated words return no document rather than a random one."""
    assert keys("zzzz qqqq") == []
    assert keys("") == []


def test_error_codes_are_not_fuzzy() -> None:
    """A different code is a different error: 553 does not find 552."""
    assert keys("553") == []


def test_long_queries_are_cut() -> None:
    """A pasted novel costs no more than a few words."""
    assert keys("pleine " * 10_000) == ["full"]
