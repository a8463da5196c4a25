"""Language detection: the customer's own words decide, not what they pasted."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.understanding import Understanding
from helpdesk.understanding.language import detect_language, own_words

KB = Path(__file__).resolve().parents[2] / "kb"


@pytest.fixture(scope="module")
def understanding() -> Understanding:
    return Understanding.load(KB)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("mot de passe oublie", "fr"),
        ("jai pas recu mon mail", "fr"),
        ("boite pleine", "fr"),
        ("forgot my pw", "en"),
        ("cant send emails", "en"),
        ("mailbox full", "en"),
        ("comment je configure outlook", "fr"),
        ("how do i configure outlook", "en"),
    ],
)
def test_short_text_without_accents(understanding: Understanding, text: str, lang: str) -> None:
    """Short messages, without accents or with typos, get the right language."""
    assert understanding.language(text) == lang


def test_pasted_bounce_does_not_make_french_english(understanding: Understanding) -> None:
    """A French message quoting an English bounce is French."""
    text = (
        "Bonjour, mon mail revient avec ça :\n"
        "This is the mail system at host mail.zindex.fr.\n"
        "I'm sorry to have to inform you that your message could not be delivered.\n"
        "<jean@exemple.fr>: host mx.exemple.fr said: 550 5.1.1 User unknown\n"
        "Final-Recipient: rfc822; jean@exemple.fr\n"
        "Diagnostic-Code: smtp; 550 5.1.1 Recipient address rejected: User unknown\n"
    )
    assert understanding.language(text) == "fr"


def test_quoted_english_inside_a_french_sentence() -> None:
    """English quoted inside a French sentence leaves the sentence French."""
    assert (
        detect_language('mon mail revient avec "Recipient address rejected: User unknown"') == "fr"
    )


def test_hint_decides_when_the_text_does_not() -> None:
    """With nothing to go on ("ok", "IMAP ?") the conversation's language is kept."""
    assert detect_language("IMAP ?", hint="en") == "en"
    assert detect_language("ok", hint="fr") == "fr"


def test_own_words_drops_quoted_lines() -> None:
    """Quoted reply lines and report headers are not the customer's own words."""
    text = "je ne comprends pas\n> Delivery to the following recipient failed\nStatus: 5.1.1"
    assert own_words(text).strip() == "je ne comprends pas"
