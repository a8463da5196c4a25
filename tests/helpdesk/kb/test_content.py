"""The shipped articles: complete in both languages, every intent and seed question covered,
and every provider fact taken from the profile."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from helpdesk.config import Endpoint, Settings
from helpdesk.kb import Article, KnowledgeBase
from helpdesk.understanding.intents import CONVERSATIONAL_INTENTS, INTENTS

# Every question of the two seed documents (../shared/seeds/), the article that answers it,
# and an English wording of the question.
SEED_QUESTIONS: list[tuple[str, str, str]] = [
    # 000: managing mail accounts in the customer area
    ("Afficher mes comptes mail", "create-mailbox", "list my email accounts"),
    ("Créer une adresse mail", "create-mailbox", "create an email address"),
    ("Mot de passe d'un compte mail", "change-password", "password of a mail account"),
    ("Réponse automatique", "automatic-reply", "automatic reply"),
    ("Redirection d'un compte mail", "forwarding", "forward a mail account"),
    ("Activer le filtre anti-spam", "spam-filter", "turn on the spam filter"),
    ("Paramétrer le filtre anti-spam", "spam-filter", "configure the spam filter"),
    ("Créer un alias", "alias", "create an alias"),
    ("Consulter une adresse e-mail", "webmail", "read my email in webmail"),
    ("Configurer une adresse e-mail", "mail-client-settings", "configure an email address"),
    ("Limite d'envoi et de réception de mail", "sending-limits", "sending and receiving limits"),
    ("En cas de dépassement de quota", "mailbox-full", "mailbox over quota"),
    ("Adresse suspendue pour envoi de spam", "sending-limits", "account suspended for spam"),
    ("Redirection vers Gmail refusée", "forwarding", "forwarding to gmail refused"),
    # 004: mail service FAQ
    ("Comment accéder au webmail ?", "webmail", "How do I access webmail?"),
    ("Je ne vois pas mon serveur dans la liste", "webmail", "my server is not in the list"),
    (
        "Comment configurer ma boite mail dans mon logiciel de messagerie ?",
        "mail-client-settings",
        "How do I set up my mailbox in my mail app?",
    ),
    (
        "Comment paramétrer une réponse automatique ?",
        "automatic-reply",
        "How do I set an automatic reply?",
    ),
    (
        "Quelle est la différence entre IMAP et POP ?",
        "imap-or-pop",
        "What is the difference between IMAP and POP?",
    ),
    (
        "Mon destinataire dit ne pas recevoir mon mail, comment vérifier ?",
        "message-not-received",
        "My recipient says they did not receive my email",
    ),
    ("La pièce jointe est trop lourde", "bounce-messages", "attachment too large error"),
    ("Erreur dans l'adresse mail du destinataire", "bounce-messages", "recipient address rejected"),
    (
        "Comment savoir pourquoi mon mail arrive en SPAM ?",
        "mail-in-spam",
        "Why does my email arrive in spam?",
    ),
    ("Comment sauvegarder mon compte imap ?", "imap-backup", "How do I back up my IMAP account?"),
    (
        "Créer une mise en copie automatique lors de l'envoi de mails sur Thunderbird",
        "thunderbird-auto-cc",
        "automatic cc when sending email in Thunderbird",
    ),
    (
        "J'ai oublié le mot de passe de ma boite mail",
        "forgotten-password",
        "I forgot my mailbox password",
    ),
    (
        "Comment ajouter un mail externe pour la récupération de mot de passe ?",
        "forgotten-password",
        "add an external address for password recovery",
    ),
    (
        "Comment puis-je changer mon mot de passe ?",
        "change-password",
        "How can I change my password?",
    ),
    (
        "Qu'est-ce que le SPF (Sender Policy Framework) ?",
        "spf",
        "What is SPF (Sender Policy Framework)?",
    ),
]

# A provider that shares no fact with the shipped default.
OTHER = {
    "name": "Acme Mail",
    "support_address": "help@acme.test",
    "webmail_url": "https://post.acme.test",
    "panel_url": "https://{server}:9443",
    "servers": ("imap1.acme.test", "imap2.acme.test"),
    "mx_hosts": ("mx.acme.test",),
    "message_size_limit_mb": 37,
    "hourly_send_limit": 123,
    "send_block_hours": 4,
    "quota_warning_percent": 87,
    "spam_suspension_hours": 48,
    "spam_score_default": 6.5,
    "password_min_length": 11,
    "pop_keep_days": 9,
    "imap": Endpoint(1143, "starttls"),
    "pop3": Endpoint(1110, "starttls"),
    "smtp": Endpoint(587, "starttls"),
}

# Facts of the default profile; none may be left once rendered for OTHER.
DEFAULT_FACTS = re.compile(
    r"zindex|z-index|\bssl\b|\b(993|995|465|8443|300|95|72|20|15)\b"
    r"|\b8 (caractères|characters)|\b5 par défaut|défaut est 5\b|value is 5\b",
    re.IGNORECASE,
)

# Where each fact of OTHER must show: (article id, French text, English text).
OTHER_FACTS = [
    ("webmail", "https://post.acme.test", "https://post.acme.test"),
    ("webmail", "imap2.acme.test", "imap2.acme.test"),
    ("webmail", "help@acme.test", "help@acme.test"),
    ("mail-client-settings", "1143", "1143"),
    ("mail-client-settings", "1110", "1110"),
    ("mail-client-settings", "587", "587"),
    ("mail-client-settings", "STARTTLS", "STARTTLS"),
    ("automatic-reply", "https://imap1.acme.test:9443", "https://imap1.acme.test:9443"),
    ("imap-or-pop", "9 jours", "9 days"),
    ("bounce-messages", "37 Mo", "37 MB"),
    ("sending-limits", "123 mails par heure", "123 messages an hour"),
    ("sending-limits", "4 h", "4 h"),
    ("sending-limits", "48 heures", "48 hours"),
    ("mailbox-full", "87 %", "87 %"),
    ("spam-filter", "6.5", "6.5"),
    ("change-password", "11 caractères", "11 characters"),
    ("spf", "v=spf1 a:imap1.acme.test a:imap2.acme.test -all", "a:imap2.acme.test -all"),
]


def ids(articles: tuple[Article, ...], lang: str) -> set[str]:
    return {a.id for a in articles if a.lang == lang}


def test_french_and_english_have_the_same_articles(articles: tuple[Article, ...]) -> None:
    """Every article exists in both languages, under the same id."""
    assert ids(articles, "fr") == ids(articles, "en")
    assert len(ids(articles, "fr")) >= 18


def test_both_versions_cover_the_same_intents(articles: tuple[Article, ...]) -> None:
    """The French and English versions of an article answer the same questions."""
    by_key = {(a.lang, a.id): a for a in articles}
    for article_id in ids(articles, "fr"):
        assert by_key[("fr", article_id)].intents == by_key[("en", article_id)].intents, article_id


@pytest.mark.parametrize("intent", sorted(set(INTENTS) - CONVERSATIONAL_INTENTS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_intent_has_an_article(kb: KnowledgeBase, intent: str, lang: str) -> None:
    """Each intent the bot answers links to an article whose main topic it is."""
    page = kb.for_intent(intent, lang)
    assert page is not None
    assert page.intents[0] == intent


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_article_renders(kb: KnowledgeBase, articles: tuple[Article, ...], lang: str) -> None:
    """Every article renders to HTML with a title, an excerpt and no template left over."""
    for article_id in ids(articles, lang):
        page = kb.get(lang, article_id)
        assert page is not None
        assert page.title and page.excerpt and "<p>" in page.html, article_id
        assert "{{" not in page.html and "{%" not in page.html, article_id


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_links_between_articles_lead_somewhere(
    kb: KnowledgeBase, articles: tuple[Article, ...], lang: str
) -> None:
    """A relative link in an article names another article of the same language."""
    known = ids(articles, lang)
    for article_id in known:
        page = kb.get(lang, article_id)
        assert page is not None
        for href in re.findall(r'href="([^"]+)"', page.html):
            if not re.match(r"(https?|mailto):", href):
                assert href in known, f"{lang}/{article_id} links to {href!r}"


def test_no_article_hard_codes_a_provider_fact(
    articles: tuple[Article, ...], default_settings: Settings
) -> None:
    """Rendered for another provider, no article keeps a fact of the default profile."""
    other = replace(default_settings.provider, **OTHER)  # type: ignore[arg-type]
    kb = KnowledgeBase(articles, other, "https://help.acme.test")
    for article in articles:
        page = kb.get(article.lang, article.id)
        assert page is not None
        for text in (page.title, page.html, page.text):
            found = DEFAULT_FACTS.search(text)
            assert found is None, f"{article.path}: {found.group(0)!r} is not from the profile"
    for article_id, fr, en in OTHER_FACTS:
        for lang, fact in (("fr", fr), ("en", en)):
            page = kb.get(lang, article_id)
            assert page is not None
            assert fact in page.text, f"{lang}/{article_id}: {fact!r} missing"


def test_the_default_facts_are_there(kb: KnowledgeBase) -> None:
    """With the shipped profile, the seed documents' facts appear (the check above bites)."""
    settings = kb.get("fr", "mail-client-settings")
    assert settings is not None
    for fact in ("993", "995", "465", "SSL", "mail2.zindex.fr"):
        assert fact in settings.text
    limits = kb.get("fr", "sending-limits")
    assert limits is not None
    assert DEFAULT_FACTS.search(limits.text)


@pytest.mark.parametrize(("question_fr", "article_id", "question_en"), SEED_QUESTIONS)
def test_every_seed_question_finds_its_article(
    kb: KnowledgeBase, question_fr: str, article_id: str, question_en: str
) -> None:
    """Each question of the seed documents, searched as asked, finds its article in the top 3."""
    for lang, question in (("fr", question_fr), ("en", question_en)):
        found = [page.id for page in kb.search(lang, question, limit=3)]
        assert article_id in found, f"{lang}: {question!r} gave {found}"
