"""Intent classification and language detection, measured on held-out data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from helpdesk.understanding import INTENTS, Understanding
from helpdesk.understanding._text import words
from helpdesk.understanding.corpus import load_examples, load_labelled_tsv

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "kb"
HELD_OUT = ROOT / "tests" / "data" / "intents"


@pytest.fixture(scope="module")
def understanding() -> Understanding:
    return Understanding.load(KB)


def _confusion(pairs: list[tuple[str, str]], predicted: list[str]) -> str:
    misses = Counter(
        (gold, got) for (gold, _), got in zip(pairs, predicted, strict=True) if gold != got
    )
    lines = [f"  {gold:>16} -> {got:<16} x{n}" for (gold, got), n in misses.most_common()]
    wrong = [
        f"  [{gold} -> {got}] {text}"
        for (gold, text), got in zip(pairs, predicted, strict=True)
        if gold != got
    ]
    return "\n".join(["confusions (gold -> predicted):", *lines, "utterances:", *wrong])


def test_every_intent_has_training_data_in_both_languages() -> None:
    """Each intent has at least 50 training utterances in French and in English."""
    counts = Counter((e.intent, e.lang) for e in load_examples(KB / "intents"))
    thin = [(i, lang, counts[i, lang]) for i in INTENTS for lang in ("fr", "en")]
    assert [t for t in thin if t[2] < 50] == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_held_out_set_covers_every_intent(lang: str) -> None:
    """The held-out set has at least 15 utterances per intent per language."""
    counts = Counter(intent for intent, _ in load_labelled_tsv(HELD_OUT / f"{lang}.tsv"))
    assert {i: counts[i] for i in INTENTS if counts[i] < 15} == {}


def test_held_out_never_overlaps_training() -> None:
    """No held-out utterance repeats a training line once case, accents, punctuation go."""
    trained = {tuple(words(e.text)) for e in load_examples(KB / "intents")}
    leaked = [
        text
        for lang in ("fr", "en")
        for _, text in load_labelled_tsv(HELD_OUT / f"{lang}.tsv")
        if tuple(words(text)) in trained
    ]
    assert leaked == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_held_out_intent_accuracy(understanding: Understanding, lang: str) -> None:
    """Intent accuracy on the held-out utterances is at least 95 % per language."""
    pairs = load_labelled_tsv(HELD_OUT / f"{lang}.tsv")
    predicted = [understanding.understand(text).intent for _, text in pairs]
    accuracy = sum(g == p for (g, _), p in zip(pairs, predicted, strict=True)) / len(pairs)
    print(f"held-out {lang}: {accuracy:.3f} on {len(pairs)} utterances")
    assert accuracy >= 0.95, _confusion(pairs, predicted)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_held_out_language_accuracy(understanding: Understanding, lang: str) -> None:
    """The detected language matches the held-out file's language for 98 % of lines."""
    pairs = load_labelled_tsv(HELD_OUT / f"{lang}.tsv")
    wrong = [text for _, text in pairs if understanding.language(text) != lang]
    assert len(wrong) / len(pairs) <= 0.02, wrong


def test_confidence_and_runner_up(understanding: Understanding) -> None:
    """Confidence is a probability and the runner-up is a different intent."""
    result = understanding.understand("comment configurer outlook en imap ?")
    assert result.intent == "client_settings"
    assert 0.0 <= result.runner_up_confidence <= result.confidence <= 1.0
    assert result.runner_up != result.intent
    assert result.runner_up in INTENTS


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour, je vous colle le retour : 550 5.1.1 <a@b.fr>: Recipient address rejected",
        "hi, got this back: 552 5.3.4 Error: message file too big",
        "Mail Delivery System\nThis is the mail system at host mail.example.net.",
        "ma boite est pleine ? j'ai eu 452 4.2.2 Mailbox full en envoyant",
        "j'ai ce message 554 5.7.0 limit on the number of allowed outgoing messages",
        # a quoted reply without a status code: the report's "said:" shows it is one
        "je ne peux plus écrire à mes clients : host smtp-in.orange.fr said: 550 mwinf5c14 "
        "ME Adresse IP source bloquee OFR006_102",
        "it keeps coming back: The response from the remote server was: 554 rejected",
    ],
)
def test_pasted_smtp_code_means_bounce(understanding: Understanding, text: str) -> None:
    """A pasted SMTP reply or non-delivery report is classified as bounce."""
    assert understanding.understand(text).intent == "bounce"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bonjour", "greeting"),
        ("Bonjour, j'ai oublié mon mot de passe", "password_forgot"),
        ("merci beaucoup, bonne journée", "thanks"),
        ("hello, how do I set up outlook?", "client_settings"),
    ],
)
def test_greetings_do_not_hide_the_request(
    understanding: Understanding, text: str, expected: str
) -> None:
    """A greeting alone is `greeting`, a greeting before a request is the request."""
    assert understanding.understand(text).intent == expected
