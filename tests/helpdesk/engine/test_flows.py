"""Every flow of helpdesk/engine/flows.py through `Engine.handle`: start, each step,
choices, and input that is not for the flow, in French and English."""

from __future__ import annotations

import pytest

from helpdesk.engine import Engine, EngineDeps, Wording
from helpdesk.engine.flows import FLOWS, antispam_rule
from tests.helpdesk.engine.conftest import (
    REFERENCE,
    Dialogue,
    FakeChecks,
    FakeResets,
    keys_of,
    text_of,
    values_offered,
)

# (lang, customer turns ("choice:" picks a quick reply), facts the last answer must hold)
CASES: dict[str, list[tuple[str, list[str], list[str]]]] = {
    "webmail": [
        ("fr", ["comment accéder au webmail ?"], ["https://webmail.zindex.fr", "mail2.zindex.fr"]),
        ("en", ["how do I log in to webmail?"], ["https://webmail.zindex.fr"]),
    ],
    "client_settings": [
        ("fr", ["comment configurer thunderbird en imap"], ["993", "465", "SSL", "Thunderbird"]),
        ("fr", ["je veux configurer ma boite sur mon iphone", "pop"], ["995", "465", "iPhone"]),
        ("en", ["how do I set up Outlook?", "and in IMAP?"], ["993", "465", "Outlook"]),
        ("en", ["what's the outgoing server for Thunderbird?"], ["465", "Thunderbird"]),
    ],
    "imap_vs_pop": [
        ("fr", ["quelle est la différence entre imap et pop ?"], ["IMAP", "POP", "15"]),
        ("en", ["should I use IMAP or POP?", "choice:imap"], ["993"]),
    ],
    "autoreply": [
        ("fr", ["comment mettre un message d'absence ?"], ["https://mail.zindex.fr:8443"]),
        ("en", ["how can I set an out of office reply"], ["8443", "Auto-reply"]),
    ],
    "bounce": [
        ("fr", ["j'ai reçu une erreur 552 5.3.4 message file too big"], ["bounce explained"]),
        ("fr", ["mon mail revient avec une erreur", "452 4.2.2 Mailbox full"], ["explained"]),
        ("en", ["I got this: 550 5.1.1 <john@example.com>: User unknown"], ["in en"]),
    ],
    "not_received": [
        (
            "fr",
            ["mon destinataire ne reçoit pas mes mails", "choice:no", "choice:webmail"],
            ["destinataire"],
        ),
        (
            "en",
            ["my client says he never got my email", "choice:no", "choice:client_app"],
            ["webmail.zindex.fr"],
        ),
    ],
    "spam_placement": [
        (
            "fr",
            ["mes mails arrivent en spam chez mes clients, mon domaine est exemple.fr"],
            ["report on exemple.fr in fr", "mail-tester"],
        ),
        ("en", ["my emails go to junk at gmail", "exemple.fr"], ["report on exemple.fr"]),
    ],
    "spf": [
        ("fr", ["pouvez-vous vérifier le SPF de exemple.fr ?"], ["report on exemple.fr"]),
        ("en", ["check the spf record of broken-shop.com"], ["report on broken-shop.com"]),
    ],
    "backup": [
        ("fr", ["comment sauvegarder mes mails imap ?"], [".pst", "Thunderbird"]),
        ("en", ["how do I back up my mailbox"], [".pst"]),
    ],
    "auto_cc": [
        (
            "fr",
            ["mettre quelqu'un en copie automatiquement dans thunderbird"],
            ["Copies et dossiers"],
        ),
        ("en", ["automatically cc my boss on every email in thunderbird"], ["Copies & Folders"]),
    ],
    "password_forgot": [
        (
            "fr",
            ["j'ai oublié le mot de passe de ma boite", "contact@exemple.fr"],
            ["contact@exemple.fr", "secours"],
        ),
        ("en", ["I forgot my email password", "contact@exemple.fr"], ["recovery address"]),
    ],
    "password_change": [
        ("fr", ["comment changer mon mot de passe ?"], ["8 caractères", "webmail.zindex.fr"]),
        ("en", ["how can I change my password"], ["8 characters"]),
    ],
    "mailbox_create": [
        ("fr", ["comment créer une nouvelle adresse mail ?"], ["Créer un compte mail", "8"]),
        ("en", ["how do I create a new email address"], ["Create a mail account"]),
    ],
    "forwarding": [
        ("fr", ["je voudrais rediriger mes mails vers une autre adresse"], ["Rediriger", "Gmail"]),
        ("en", ["how do I forward my emails to another address"], ["Forward", "Gmail"]),
    ],
    "alias": [
        ("fr", ["comment créer un alias ?"], ["alias", "destinations"]),
        ("en", ["how do I create an alias"], ["alias", "destinations"]),
    ],
    "antispam": [
        (
            "fr",
            ["je reçois trop de spam, comment bloquer un expéditeur ?"],
            ["blacklist_from", "5"],
        ),
        ("en", ["I receive lots of spam, how do I block a sender"], ["blacklist_from", "5"]),
    ],
    "quota_full": [
        ("fr", ["ma boite mail est pleine"], ["95 %", "452 4.2.2"]),
        ("en", ["my mailbox is full"], ["95 %"]),
    ],
    "sending_limit": [
        ("fr", ["je ne peux plus envoyer de mails, envoi bloqué"], ["300", "1 h"]),
        ("en", ["my account was suspended for sending spam"], ["72", "change your password"]),
    ],
    "greeting": [
        ("fr", ["bonjour"], ["Bonjour"]),
        ("en", ["hello"], ["Hello"]),
    ],
    "thanks": [
        ("fr", ["merci beaucoup"], ["plaisir"]),
        ("en", ["thank you"], ["welcome"]),
    ],
    "out_of_scope": [
        ("fr", ["comment renouveler mon nom de domaine ?"], ["messagerie"]),
        ("en", ["how do I renew my domain name"], ["mail"]),
    ],
    "human": [
        ("fr", ["je veux parler à un conseiller"], [REFERENCE, "support@zindex.fr"]),
        ("en", ["I want to talk to a human"], [REFERENCE]),
    ],
}

# A flow may end in the answer of the flow it leads to.
FOLLOW_UPS = {"imap_vs_pop": {"client_settings"}, "not_received": {"bounce"}}

PARAMS = [
    pytest.param(intent, lang, turns, facts, id=f"{intent}-{lang}-{n}")
    for intent, cases in CASES.items()
    for n, (lang, turns, facts) in enumerate(cases)
]


def test_every_flow_has_a_case() -> None:
    """Each flow of the engine is exercised by at least one case in each language."""
    for intent in FLOWS:
        assert {lang for lang, _, _ in CASES[intent]} == {"fr", "en"}, intent


@pytest.mark.parametrize(("intent", "lang", "turns", "facts"), PARAMS)
async def test_flow_reaches_its_answer(
    engine: Engine, intent: str, lang: str, turns: list[str], facts: list[str]
) -> None:
    """The conversation reaches the intent's answer in at most 3 turns, with the right facts."""
    assert len(turns) <= 3
    d = Dialogue(engine, lang)
    outcome = await d.run(turns)
    answer = text_of(outcome)
    for fact in facts:
        assert fact.lower() in answer.lower(), f"{fact!r} not in {answer!r}"
    assert outcome.replies[-1].intent in {intent} | FOLLOW_UPS.get(intent, set())


# --- client settings


async def test_settings_are_answered_at_once_imap_first(engine: Engine) -> None:
    """Without a protocol the bot answers rather than asks: IMAP first, POP beside it,
    the outgoing server; nothing waits."""
    d = Dialogue(engine, "en")
    outcome = await d.say("how do I set up my phone for email")
    assert keys_of(outcome) == ["client_settings.answer_all"]
    assert not outcome.state.waiting and outcome.state.offered == ()
    assert all(port in text_of(outcome) for port in ("993", "995", "465"))
    assert outcome.intent == "client_settings"


async def test_settings_for_sending_give_the_outgoing_server_only(engine: Engine) -> None:
    """Sending is the same whatever the customer receives with: no IMAP or POP in it."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("quel est le serveur smtp pour envoyer mes mails ?")
    assert keys_of(outcome) == ["client_settings.answer_send"]
    assert "465" in text_of(outcome) and "993" not in text_of(outcome)
    assert "995" not in text_of(outcome)


async def test_settings_remember_the_client_across_turns(engine: Engine) -> None:
    """The client named at the start is still known when the protocol comes later."""
    d = Dialogue(engine, "fr")
    first = await d.say("je veux configurer ma boite sur mon iphone")
    assert first.state.facts.client == "iphone" and "iPhone" in text_of(first)
    outcome = await d.say("et en pop ?")
    assert "iPhone" in text_of(outcome) and "995" in text_of(outcome)
    [record] = outcome.checks
    assert record.name == "client_settings"
    assert record.input["protocol"] == "pop" and record.input["client"] == "iphone"
    assert record.result["pop3_port"] == 995
    assert not outcome.state.waiting


async def test_imap_vs_pop_offers_the_settings(engine: Engine) -> None:
    """The comparison is followed by an offer of the settings, answered by the settings flow."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("quelle est la différence entre imap et pop ?")
    assert keys_of(outcome) == ["imap_vs_pop.answer", "imap_vs_pop.offer"]
    assert outcome.state.flow == "client_settings"
    assert outcome.replies[0].links  # the article
    answer = await d.choose("pop")
    assert "995" in text_of(answer)
    assert answer.replies[-1].intent == "client_settings"


async def test_a_new_question_leaves_the_waiting_flow(engine: Engine) -> None:
    """Input that does not answer the step is routed as a new request."""
    d = Dialogue(engine, "fr")
    await d.say("je veux configurer ma boite mail")
    outcome = await d.say("comment accéder au webmail ?")
    assert keys_of(outcome) == ["webmail.answer"]
    assert outcome.intent == "webmail"
    assert not outcome.state.waiting


# --- bounces


async def test_a_bounce_with_a_code_is_explained_at_once(
    engine: Engine, checks: FakeChecks, wording: Wording
) -> None:
    """A message holding a reply code runs the bounce check on it and ends the flow."""
    d = Dialogue(engine, "fr")
    text = "j'ai reçu une erreur 552 5.3.4 message file too big"
    outcome = await d.say(text)
    assert checks.bounces == [(text, "fr")]
    assert text_of(outcome) == "[bounce explained in fr]"
    assert [c.name for c in outcome.checks] == ["bounce"]
    assert outcome.replies[0].links and not outcome.state.waiting
    assert d.progress == [wording.say("fr", "bounce.checking")]


async def test_a_bounce_without_its_text_is_asked_for(engine: Engine, checks: FakeChecks) -> None:
    """Without a code the bot asks for the message, then explains what is pasted."""
    d = Dialogue(engine, "en")
    asked = await d.say("my email came back with an error")
    assert keys_of(asked) == ["bounce.ask_paste"]
    assert (asked.state.flow, asked.state.step) == ("bounce", "paste")
    # The sentence itself was read for a bounce's words first, and held none.
    assert checks.bounces == [("my email came back with an error", "en")]
    outcome = await d.say("Remote server said: 550 5.1.1 user unknown")
    assert text_of(outcome) == "[bounce explained in en]"
    assert outcome.intent == "bounce"


async def test_an_unreadable_paste_is_asked_again_then_let_go(engine: Engine) -> None:
    """One unreadable paste gets a second chance and a person on offer; a second one is
    routed as a new request."""
    d = Dialogue(engine, "en")
    await d.say("my email came back with an error")
    again = await d.say("the message says something went wrong with delivery")
    assert keys_of(again) == ["bounce.unreadable"]
    assert again.state.bounce_misses == 1 and again.state.step == "paste"
    assert values_offered(again) == ["human"]
    routed = await d.say("how do I log in to webmail?")
    assert routed.state.bounce_misses == 0
    assert keys_of(routed) == ["webmail.answer"]


# --- not received: the decision tree


async def test_not_received_asks_for_an_error_first(engine: Engine) -> None:
    """The first question is whether an error came back, with yes/no choices."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("mon destinataire ne reçoit pas mes mails")
    assert keys_of(outcome) == ["not_received.ask_error"]
    assert (outcome.state.flow, outcome.state.step) == ("not_received", "error")
    assert values_offered(outcome) == ["yes", "no"]


async def test_not_received_with_an_error_asks_to_paste_it(
    engine: Engine, checks: FakeChecks
) -> None:
    """'Yes' (typed) leads to the bounce flow, which explains the pasted error."""
    d = Dialogue(engine, "fr")
    await d.say("mon destinataire ne reçoit pas mes mails")
    asked = await d.say("oui")
    assert keys_of(asked) == ["not_received.ask_paste"]
    assert (asked.state.flow, asked.state.step) == ("bounce", "paste")
    explained = await d.say("550 5.1.1 user unknown")
    assert text_of(explained) == "[bounce explained in fr]"
    # The first sentence was read for evidence (none), then the pasted error.
    assert [text for text, _ in checks.bounces][-1] == "550 5.1.1 user unknown"


async def test_not_received_error_step_reads_a_pasted_code(engine: Engine) -> None:
    """A code given instead of yes/no is explained straight away."""
    d = Dialogue(engine, "en")
    await d.say("my recipient never got my email")
    outcome = await d.say("yes: 452 4.2.2 mailbox full")
    assert text_of(outcome) == "[bounce explained in en]"
    assert not outcome.state.waiting


@pytest.mark.parametrize(
    ("source", "key", "step"),
    [
        ("choice:webmail", "not_received.ask_details", "details"),
        ("choice:client_app", "not_received.try_webmail", "webmail_test"),
        ("choice:software", "not_received.try_webmail", "webmail_test"),
        ("depuis notre logiciel métier", "not_received.try_webmail", "webmail_test"),
        ("depuis le webmail", "not_received.ask_details", "details"),
    ],
)
async def test_not_received_software_step(engine: Engine, source: str, key: str, step: str) -> None:
    """Where the mail was sent from (picked or typed) decides the next question."""
    d = Dialogue(engine, "fr")
    await d.run(["mon destinataire ne reçoit pas mes mails", "choice:no"])
    outcome = await d.run([source])
    assert keys_of(outcome) == [key]
    assert outcome.state.step == step
    assert outcome.state.slots.source in ("webmail", "client_app", "software")


async def test_not_received_webmail_test_arrived_means_settings(engine: Engine) -> None:
    """A test sent from webmail that arrived points at the app's settings, and ends."""
    d = Dialogue(engine, "en")
    outcome = await d.run(
        ["my recipient never got my email", "choice:no", "choice:client_app", "choice:yes"]
    )
    assert keys_of(outcome) == ["not_received.config_issue"]
    assert "465" in text_of(outcome)
    assert not outcome.state.waiting


async def test_not_received_webmail_test_lost_asks_details(engine: Engine) -> None:
    """A test from webmail that did not arrive either asks for the details for staff."""
    d = Dialogue(engine, "en")
    outcome = await d.run(
        ["my recipient never got my email", "choice:no", "choice:client_app", "no"]
    )
    assert keys_of(outcome) == ["not_received.ask_details"]
    assert outcome.state.step == "details"


@pytest.mark.parametrize(
    ("lang", "opening", "when"),
    [
        ("fr", "mon destinataire n'a rien reçu", "hier à 14h"),
        ("en", "my recipient never got my email", "yesterday at 2pm"),
    ],
)
async def test_not_received_details_go_to_staff_with_the_moment_resolved(
    engine: Engine, lang: str, opening: str, when: str
) -> None:
    """Recipient and time hand the ticket to staff: the words and the resolved moment."""
    d = Dialogue(engine, lang)
    await d.run([opening, "choice:no", "choice:webmail"])
    outcome = await d.say(f"paul@exemple.fr, {when}")
    assert outcome.handoff
    assert keys_of(outcome) == ["not_received.handoff"]
    details = dict(outcome.events)["not_received.details"]
    assert details["recipient"] == "paul@exemple.fr"
    assert details["when"] == when
    assert details["when_resolved"].startswith("2024-03-10T14:00")
    assert not outcome.state.waiting and outcome.state.slots.recipient is None


async def test_not_received_details_given_in_two_turns(engine: Engine) -> None:
    """Given the address alone, the bot asks for the time and keeps the address."""
    d = Dialogue(engine, "fr")
    await d.run(["mon destinataire n'a rien reçu", "choice:no", "choice:webmail"])
    half = await d.say("paul@exemple.fr")
    assert keys_of(half) == ["not_received.ask_details_missing"]
    assert "quand" in text_of(half).lower() or "heure" in text_of(half).lower()
    assert half.state.slots.recipient == "paul@exemple.fr"
    outcome = await d.say("hier vers 14h")
    assert outcome.handoff
    assert dict(outcome.events)["not_received.details"]["recipient"] == "paul@exemple.fr"


# --- domain checks


@pytest.mark.parametrize("intent", ["spf", "spam_placement"])
async def test_domain_flows_ask_for_the_domain_then_check_it(
    engine: Engine, checks: FakeChecks, intent: str
) -> None:
    """Without a domain the flow answers with the seed's explanation first and offers the
    check; a bare domain then runs the check."""
    d = Dialogue(engine, "en")
    opening = {"spf": "is my SPF record correct?", "spam_placement": "my emails go to junk"}
    asked = await d.say(opening[intent])
    expected = {
        "spf": ["spf.answer", "domain.offer_check"],
        "spam_placement": ["spam_placement.answer", "domain.offer_check"],
    }
    assert keys_of(asked) == expected[intent]
    assert ("mail-tester" in text_of(asked)) == (intent == "spam_placement")
    assert (asked.state.flow, asked.state.step) == (intent, "domain")
    outcome = await d.say("Exemple.FR.")
    assert checks.domains == [("exemple.fr", "en")]
    assert "[report on exemple.fr in en]" in text_of(outcome)
    assert [c.name for c in outcome.checks] == ["domain"]
    assert d.progress == ["Checking the SPF of exemple.fr…"]


async def test_domain_step_refuses_a_word_that_is_no_domain(
    engine: Engine, checks: FakeChecks
) -> None:
    """A short answer that is not a domain is refused and the question stays."""
    d = Dialogue(engine, "fr")
    await d.say("pouvez-vous vérifier mon SPF ?")
    outcome = await d.say("monsite")
    assert keys_of(outcome) == ["domain.bad_domain"]
    assert "monsite" in text_of(outcome)
    assert outcome.state.step == "domain" and checks.domains == []


async def test_domain_taken_from_an_address(engine: Engine, checks: FakeChecks) -> None:
    """An address given for the domain checks the address's domain."""
    d = Dialogue(engine, "fr")
    await d.say("pouvez-vous vérifier mon SPF ?")
    await d.say("c'est pour contact@exemple.fr")
    assert checks.domains == [("exemple.fr", "fr")]


# --- password forgotten


async def test_password_reset_is_requested_for_the_address(
    engine: Engine, resets: FakeResets
) -> None:
    """The address given starts a reset through the mailbox service, for this conversation."""
    d = Dialogue(engine, "en")
    asked = await d.say("I forgot my email password")
    assert keys_of(asked) == ["password_forgot.ask_address"]
    assert asked.state.step == "address"
    outcome = await d.say("it is contact@exemple.fr", client="ip:192.0.2.1")
    assert resets.requests == [
        {
            "address": "contact@exemple.fr",
            "client": f"conversation:{REFERENCE}",
            "lang": "en",
            "reference": REFERENCE,
            "network": "ip:192.0.2.1",
        }
    ]
    assert keys_of(outcome) == ["password_forgot.sent"]
    assert "30" in text_of(outcome)
    assert values_offered(outcome) == ["human"]
    [record] = outcome.checks
    assert record.result == {"request": "accepted"}


async def test_password_reset_refused_when_asked_too_often(
    engine: Engine, resets: FakeResets
) -> None:
    """A limited request says so, and offers a person."""
    resets.answer = "limited"
    d = Dialogue(engine, "fr")
    outcome = await d.say("j'ai oublié le mot de passe de contact@exemple.fr")
    assert keys_of(outcome) == ["password_forgot.limited"]
    assert values_offered(outcome) == ["human"]


async def test_password_reset_without_a_mailbox_service_goes_to_staff(
    understanding: object, wording: Wording
) -> None:
    """With no mailbox service wired in, staff take the request."""
    engine = Engine(
        EngineDeps(understanding=understanding, wording=wording, checks=FakeChecks())  # type: ignore[arg-type]
    )
    d = Dialogue(engine, "fr")
    outcome = await d.say("j'ai oublié le mot de passe de contact@exemple.fr")
    assert outcome.handoff
    assert keys_of(outcome) == ["password_forgot.handoff"]
    assert "contact@exemple.fr" in text_of(outcome)


async def test_password_step_lets_another_question_through(engine: Engine) -> None:
    """Asked for an address, a customer who asks something else gets that answered."""
    d = Dialogue(engine, "en")
    await d.say("I forgot my email password")
    outcome = await d.say("how do I log in to webmail?")
    assert keys_of(outcome) == ["webmail.answer"]


# --- conversation


async def test_asking_for_a_person_hands_off(engine: Engine) -> None:
    """'A person' hands the ticket to staff: the outcome says so, with an event and the
    reply's wording key, and the state waits for nothing."""
    d = Dialogue(engine, "en")
    outcome = await d.say("I want to talk to a human")
    assert outcome.handoff and outcome.intent == "human"
    assert keys_of(outcome) == ["handoff"]
    assert ("handoff", {"intent": "human"}) in outcome.events
    assert not outcome.state.waiting
    assert "handoff" not in outcome.state.to_json()


async def test_greeting_offers_the_popular_topics(engine: Engine) -> None:
    """A greeting is answered with the popular topics as choices."""
    outcome = await Dialogue(engine, "fr").say("bonjour")
    assert keys_of(outcome) == ["greeting"]
    assert "intent:client_settings" in values_offered(outcome)
    assert "human" not in values_offered(outcome)


async def test_out_of_scope_offers_a_person(engine: Engine) -> None:
    """A request outside mail support says so and offers a person."""
    d = Dialogue(engine, "en")
    outcome = await d.say("how do I renew my domain name")
    assert keys_of(outcome) == ["out_of_scope.answer"]
    handed = await d.choose("human")
    assert handed.handoff


async def test_not_received_without_an_error_said_skips_that_question(engine: Engine) -> None:
    """'No error came back' is not asked again: the next step of the seed's tree comes."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("Un client ne reçoit pas mes mails et je n'ai aucun message d'erreur.")
    assert "not_received.ask_error" not in keys_of(outcome)
    assert outcome.state.step == "software"


async def test_not_received_answers_first_and_takes_what_follows(engine: Engine) -> None:
    """The first answer gives both cases (paste the error, or test from webmail); a
    failed webmail test told in a sentence leads to the details for the logs."""
    d = Dialogue(engine, "fr")
    first = await d.say("mon destinataire ne reçoit pas mes mails")
    assert "webmail.zindex.fr" in text_of(first)
    outcome = await d.say("J'ai essayé depuis le webmail, il ne l'a toujours pas.")
    assert keys_of(outcome) == ["not_received.ask_details"]


async def test_a_request_for_staff_comes_before_the_question_waiting(engine: Engine) -> None:
    """A flow waiting for an answer does not swallow 'I want a person, reactivate it'."""
    d = Dialogue(engine, "en")
    await d.say("my client says he never got my email")
    outcome = await d.say("Please have someone reactivate my account today, I need a person.")
    assert outcome.handoff


async def test_spf_asked_by_name_is_checked_without_a_lesson(
    engine: Engine, checks: FakeChecks
) -> None:
    """'Check the SPF of X' gets the check alone; 'what is SPF?' gets the explanation."""
    d = Dialogue(engine, "en")
    checked = await d.say("can you check the spf of exemple.fr?")
    assert keys_of(checked) == [None] and checks.domains == [("exemple.fr", "en")]
    explained = await Dialogue(engine, "en").say("what is this SPF thing people talk about?")
    assert keys_of(explained)[0] == "spf.answer" and "TXT" in text_of(explained)


async def test_a_bounce_quoted_in_a_sentence_is_explained_by_its_meaning(
    engine: Engine, checks: FakeChecks
) -> None:
    """A code in the customer's own sentence is evidence, but their sentence is not the
    server's answer: the reply is the bounce's meaning."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("Mes mails vers Gmail sont refusés avec un code 550 5.7.26, que faire ?")
    assert "[bounce meaning in fr]" in text_of(outcome)
    assert "[bounce explained in fr]" not in text_of(outcome)


async def test_an_authentication_bounce_checks_the_customers_domain(
    engine: Engine, checks: FakeChecks
) -> None:
    """Who must fix an SPF failure is in the domain's records: when the customer named
    their domain, the bounce's explanation comes with the domain's check."""
    d = Dialogue(engine, "en")
    outcome = await d.say(
        "Our domain is exemple.fr and our mail to a client comes back:\n"
        "550 5.7.26 Unauthenticated email from exemple.fr is not accepted"
    )
    assert "[bounce explained in en]" in text_of(outcome)
    assert checks.domains == [("exemple.fr", "en")]
    assert "[report on exemple.fr in en]" in text_of(outcome)


async def test_an_answer_uses_the_server_the_customer_named(engine: Engine) -> None:
    """'Et pour mail2 ?' after the autoreply answer gives mail2's management panel."""
    d = Dialogue(engine, "fr")
    await d.say("Comment je mets un message d'absence sur ma boîte ?")
    outcome = await d.say("et pour mail2 ? ma boîte est sur mail2 je crois")
    assert "https://mail2.zindex.fr:8443" in text_of(outcome)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "They come from noreply@banque-dulac.fr, how do I let them through?",
            "whitelist_from noreply@banque-dulac.fr",
        ),
        ("anything @papeterie-roux.fr ends up in junk", "whitelist_from *@papeterie-roux.fr"),
        (
            "comment je bloque les mails qui viennent de *@pub-en-masse.com",
            "blacklist_from *@pub-en-masse.com",
        ),
        (
            "mes mails arrivent en spam, ils viennent de compta@cabinet.fr",
            "whitelist_from compta@cabinet.fr",
        ),
        ("my mailbox is contact@exemple.fr", None),
    ],
)
def test_the_antispam_rule_for_the_sender_named(text: str, rule: str | None) -> None:
    assert antispam_rule(text) == rule


async def test_the_antispam_answer_gives_the_customers_rule(engine: Engine) -> None:
    d = Dialogue(engine, "en")
    outcome = await d.say(
        "Statements from noreply@banque-dulac.fr land in junk, can the filter let them through?"
    )
    assert "whitelist_from noreply@banque-dulac.fr" in text_of(outcome)


async def test_details_given_early_are_never_asked_again(engine: Engine) -> None:
    """No error, recipient and time told at once: the webmail test first, as the seed
    says; when it fails, the details go to staff without asking for them again."""
    d = Dialogue(engine, "en")
    first = await d.say(
        "My colleague never got the invoice I sent yesterday at 3pm to tom@example.com. "
        "I didn't get any error."
    )
    assert keys_of(first) == ["not_received.try_webmail"]
    outcome = await d.say("no")
    assert keys_of(outcome) == ["not_received.handoff"]
    assert dict(outcome.events)["not_received.details"]["recipient"] == "tom@example.com"


async def test_a_server_that_is_not_ours_is_sent_to_support(engine: Engine) -> None:
    d = Dialogue(engine, "en")
    outcome = await d.say("what are the settings? my paper says the server is mail3")
    assert '"mail3" is not one of our servers' in text_of(outcome)
    assert "support@zindex.fr" in text_of(outcome)
