"""`Engine.handle` as a step: choices, clarification, language, secrets, and a state that
is never changed in place."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from helpdesk.engine import Choice, DialogueState, Engine, EngineDeps, Turn, Wording
from helpdesk.engine.flows import POPULAR
from tests.helpdesk.engine.conftest import (
    NOW,
    REFERENCE,
    Dialogue,
    FakeChecks,
    keys_of,
    text_of,
    values_offered,
)


def test_opening_offers_the_popular_topics(engine: Engine) -> None:
    """The opening is in the asked language and offers the popular topics, with labels."""
    outcome = engine.opening("en")
    assert keys_of(outcome) == ["opening"]
    assert outcome.state == DialogueState(lang="en", offered=outcome.replies[0].choices)
    assert values_offered(outcome) == [f"intent:{i}" for i in POPULAR]
    assert outcome.state.offered_choice("intent:webmail") == Choice(
        "Webmail access", "intent:webmail"
    )


async def test_the_state_given_is_left_as_it_was(engine: Engine) -> None:
    """A turn returns a new state and frozen outcome; the state passed in is unchanged."""
    before = DialogueState(lang="fr", flow="client_settings", step="protocol")
    copy = dataclasses.replace(before)
    outcome = await engine.handle(before, Turn("imap"), reference=REFERENCE, now=NOW)
    assert before == copy
    assert outcome.state != before and not outcome.state.waiting
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.state.lang = "en"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.handoff = True  # type: ignore[misc]
    assert isinstance(outcome.replies, tuple)


async def test_picking_a_topic_starts_its_flow(engine: Engine) -> None:
    """A topic offered in the opening, picked, starts that topic's flow."""
    d = Dialogue(engine, "fr")
    outcome = await d.choose("intent:client_settings")
    assert outcome.intent == "client_settings"
    assert keys_of(outcome) == ["client_settings.answer_all"]
    assert outcome.understood is None


async def test_a_choice_not_offered_is_read_as_text(engine: Engine) -> None:
    """A choice value the last message did not offer is not trusted: it is read as text."""
    d = Dialogue(engine, "en")
    await d.say("thank you")  # offers nothing
    outcome = await d.choose("imap")
    assert outcome.understood is not None
    assert outcome.understood["entities"]["protocols"] == ["IMAP"]


async def test_an_earlier_offer_is_gone_after_the_next_message(engine: Engine) -> None:
    """Only the last message's quick replies count: an answer without choices clears them."""
    d = Dialogue(engine, "en")
    asked = await d.say("should I use IMAP or POP?")
    assert values_offered(asked) == ["imap", "pop"]
    answered = await d.say("how do I get to webmail?")
    assert answered.state.offered == ()


async def test_unclear_twice_offers_a_person(engine: Engine) -> None:
    """Below the confidence floor the bot asks which topic; a second miss offers a person."""
    d = Dialogue(engine, "fr")
    first = await d.say("euh")
    assert keys_of(first) == ["clarify"]
    assert first.state.misses == 1 and first.intent is None
    assert len(values_offered(first)) == 3 and values_offered(first)[-1] == "rephrase"
    assert first.events[0][0] == "clarify"
    second = await d.say("bof")
    assert keys_of(second) == ["clarify_again"]
    assert values_offered(second) == ["human", "rephrase"]
    assert second.state.misses == 2
    handed = await d.choose("human")
    assert handed.handoff and keys_of(handed) == ["handoff"]


async def test_rephrase_starts_the_count_again(engine: Engine) -> None:
    """'I'll rephrase' invites the customer to say more and forgets the misses."""
    d = Dialogue(engine, "fr")
    await d.say("euh")
    outcome = await d.choose("rephrase")
    assert keys_of(outcome) == ["rephrase"]
    assert outcome.state.misses == 0


async def test_a_clear_request_forgets_earlier_misses(engine: Engine) -> None:
    """Once a topic is recognised, the misses are forgotten."""
    d = Dialogue(engine, "fr")
    await d.say("euh")
    outcome = await d.say("comment accéder au webmail ?")
    assert outcome.state.misses == 0


async def test_a_clarified_topic_can_be_picked(engine: Engine) -> None:
    """The clarification's first choice is a topic that starts its flow."""
    d = Dialogue(engine, "fr")
    asked = await d.say("euh")
    assert keys_of(asked) == ["clarify"]
    value = values_offered(asked)[0]
    outcome = await d.choose(value)
    assert outcome.intent == value.removeprefix("intent:")


async def test_the_language_follows_the_customer(engine: Engine, wording: Wording) -> None:
    """A sentence in English moves a French conversation to English; the replies follow."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("how do I log in to webmail?")
    assert outcome.state.lang == "en" and outcome.lang == "en"
    assert text_of(outcome) == wording.say("en", "webmail.answer")


async def test_a_short_message_keeps_the_language(engine: Engine) -> None:
    """Fewer than three words do not change the conversation's language."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("thanks")
    assert outcome.state.lang == "fr"


async def test_the_language_button_alone_switches(engine: Engine) -> None:
    """An empty turn with a language hint (the widget's button) switches the language."""
    d = Dialogue(engine, "fr")
    outcome = await engine.handle(d.state, Turn("", lang_hint="en"), reference=REFERENCE)
    assert outcome.state.lang == "en"
    assert keys_of(outcome) == ["fallback"]


async def test_a_new_conversation_takes_the_hint(engine: Engine) -> None:
    """A state with no language yet takes the channel's hint."""
    outcome = await engine.handle(
        DialogueState(), Turn("merci", lang_hint="en"), reference=REFERENCE
    )
    assert outcome.state.lang == "en"


async def test_a_typed_password_is_masked_and_warned_about(engine: Engine) -> None:
    """A password in the message is redacted before understanding, with a warning first."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("mon mot de passe est Tr0ub4dor&3 et ça ne marche pas")
    assert keys_of(outcome)[0] == "password_warning"
    assert ("secret.redacted", {}) in outcome.events
    assert "Tr0ub4dor" not in repr(outcome)


async def test_a_password_redacted_by_the_channel_is_warned_about(engine: Engine) -> None:
    """A channel that already redacted a secret says so, and the warning is given."""
    d = Dialogue(engine, "en")
    outcome = await d.say("my password is [redacted] and it fails", had_secret=True)
    assert keys_of(outcome)[0] == "password_warning"


async def test_what_was_understood_is_reported(engine: Engine) -> None:
    """The outcome carries the understanding: language, intent, entities."""
    outcome = await Dialogue(engine, "fr").say("vérifiez le SPF de exemple.fr")
    assert outcome.understood is not None
    assert outcome.understood["intent"] == "spf"
    assert outcome.understood["entities"]["domains"] == ["exemple.fr"]


async def test_a_thanks_does_not_replace_the_problem(engine: Engine) -> None:
    """The outcome's topic is the customer's problem; a thanks is only the turn's intent."""
    d = Dialogue(engine, "fr")
    asked = await d.say("comment accéder au webmail ?")
    assert asked.topic == "webmail"
    thanked = await d.say("merci beaucoup")
    assert thanked.intent == "thanks" and thanked.topic == "webmail"


async def test_the_first_problem_of_a_message_is_its_topic(engine: Engine) -> None:
    """Several questions get several answers; the conversation's topic is the first."""
    d = Dialogue(engine, "fr")
    outcome = await d.say("Quel est le port SMTP et comment je mets un répondeur ?")
    assert [r.intent for r in outcome.replies] == ["client_settings", "autoreply"]
    assert outcome.state.topic == "client_settings"


async def test_a_follow_up_after_a_bounce_gets_its_meaning(engine: Engine) -> None:
    """'What do I do?' after an explained bounce is about that bounce: its meaning and
    what to do, not a request to paste it again."""
    d = Dialogue(engine, "fr")
    await d.say("Mon mail revient avec ça :\n550 5.1.1 <paul@example.org>: User unknown")
    outcome = await d.say("et moi je peux faire quoi ?")
    assert keys_of(outcome) == ["bounce.followup"]
    assert "[bounce meaning in fr]" in text_of(outcome)


async def test_a_request_only_staff_can_act_on_is_handed_over(engine: Engine) -> None:
    """After the bot's answer, 'can you reactivate my sending now?' goes to staff."""
    d = Dialogue(engine, "fr")
    await d.say("mon adresse a envoyé du spam et l'envoi est suspendu, que faire ?")
    outcome = await d.say("J'ai changé le mot de passe. Pouvez-vous réactiver l'envoi maintenant ?")
    assert outcome.handoff


async def test_a_hacked_mailbox_gets_the_seeds_procedure_first(engine: Engine) -> None:
    """Whatever else the story suggests, the procedure comes first: change the
    password, sending suspended for the provider's hours."""
    d = Dialogue(engine, "fr")
    outcome = await d.say(
        "Je crois que ma boîte a été piratée : il y a des mails envoyés en mon nom que je "
        "n'ai jamais écrits. Que dois-je faire ?"
    )
    assert outcome.replies[0].intent == "sending_limit"
    assert "mot de passe" in outcome.replies[0].text and "72" in outcome.replies[0].text


async def test_a_follow_up_is_read_with_the_rules_that_chose_the_topic(engine: Engine) -> None:
    """The topic came from a rule (SPF named); the follow-up, read with the first
    message, stays in it rather than in what the words alone suggest."""
    d = Dialogue(engine, "fr")
    first = await d.say(
        "On m'a dit que mes mails n'arrivaient pas chez Orange parce qu'il manquait un SPF. "
        "C'est quoi ?"
    )
    assert first.state.topic == "spf"
    outcome = await d.say("je mets quoi dedans alors ?")
    assert outcome.intent == "spf"


class _Hesitant:
    """An understanding that reads every text the same way: `intent` a little ahead of
    `runner_up`, below the confidence at which the bot is sure."""

    def __init__(self, real: Any, intent: str, runner_up: str, scores: tuple[float, float]):
        self._real, self._intent, self._runner_up, self._scores = real, intent, runner_up, scores

    def language(self, text: str, hint: str | None = None) -> str:
        return str(self._real.language(text, hint))

    def understand(self, text: str, hint: str | None = None, *, now: Any = None) -> Any:
        u = self._real.understand(text, hint, now=now)
        first, second = self._scores
        return dataclasses.replace(
            u,
            intent=self._intent,
            confidence=first,
            runner_up=self._runner_up,
            runner_up_confidence=second,
        )


@pytest.mark.parametrize(
    ("scores", "answered"),
    [((0.38, 0.28), True), ((0.33, 0.31), False), ((0.2, 0.1), False)],
)
async def test_answer_first_when_one_reading_is_clearly_likelier(
    understanding: Any,
    wording: Wording,
    checks: FakeChecks,
    scores: tuple[float, float],
    answered: bool,
) -> None:
    """Below the sure threshold, a reading clearly ahead is answered and the other
    offered; two readings neck and neck get the question."""
    hesitant = _Hesitant(understanding, "sending_limit", "not_received", scores)
    engine = Engine(EngineDeps(understanding=hesitant, wording=wording, checks=checks))
    outcome = await engine.handle(
        DialogueState(lang="fr"), Turn("plus rien ne part depuis ce matin"), reference=REFERENCE
    )
    if answered:
        assert keys_of(outcome) == ["sending_limit.answer", "offer_other"]
        assert values_offered(outcome) == ["intent:not_received"]
    else:
        assert keys_of(outcome) == ["clarify"]


@pytest.mark.parametrize(
    ("text", "handoff"),
    [
        ("I want to talk to a real person", True),
        ("how do I open a ticket?", True),
        ("so what am I supposed to do?", False),
    ],
)
async def test_a_person_is_called_for_by_name(engine: Engine, text: str, handoff: bool) -> None:
    """A vague question the model reads as a call for a person stays with the bot unless
    the customer names a person or a way to reach one."""
    outcome = await Dialogue(engine, "en").say(text)
    assert outcome.handoff is handoff


@pytest.mark.parametrize(
    ("first", "follow_up", "lang"),
    [
        ("my msgs keep going to spam at my clients, I need help", "wats a good score", "en"),
        ("Vous pouvez regarder le SPF de example.org ?", "et c'est chez qui que je dois voir ça ?",
         "fr"),
    ],
)  # fmt: skip
async def test_courtesy_is_read_only_in_courtesy_words(
    engine: Engine, first: str, follow_up: str, lang: str
) -> None:
    """A short question the model reads as thanks is no thanks without a word of it: it
    is read as a follow-up of the topic, never answered "You're welcome"."""
    dialogue = Dialogue(engine, lang)
    await dialogue.say(first)
    outcome = await dialogue.say(follow_up)
    assert outcome.intent not in ("thanks", "greeting")


@pytest.mark.parametrize(
    ("lang", "first", "then"),
    [
        ("en", "I forgot the password of my mailbox.", "I never gave you any other email address"),
        ("fr", "J'ai oublié le mot de passe de ma boîte.",
         "J'ai demandé trois fois et je n'ai rien reçu, même pas dans les spams."),
    ],
)  # fmt: skip
async def test_a_reset_link_that_cannot_arrive_goes_to_support(
    engine: Engine, lang: str, first: str, then: str
) -> None:
    """No recovery address, or links that never came: another link would not arrive
    either. The customer gets support's identity check and an agent takes over."""
    dialogue = Dialogue(engine, lang)
    await dialogue.say(first)
    outcome = await dialogue.say(then)
    text = " ".join(reply.text for reply in outcome.replies)
    assert outcome.handoff
    assert "support@" in text and ("customer number" in text or "numéro de client" in text)


async def test_a_question_about_the_link_still_gets_the_link(engine: Engine) -> None:
    dialogue = Dialogue(engine, "fr")
    await dialogue.say("J'ai oublié le mot de passe de ma boîte contact@example.org")
    outcome = await dialogue.say("et le lien il arrive où ?")
    assert not outcome.handoff


@pytest.mark.parametrize(
    ("first", "then", "topic"),
    [
        ("Comment je sauvegarde mes mails dans Outlook ?",
         "et Thunderbird ? j'ai aussi un vieux PC avec Thunderbird", "backup"),
        ("How do I back up my mailbox in Outlook?", "and on my old laptop with Thunderbird?",
         "backup"),
    ],
)  # fmt: skip
async def test_a_follow_up_naming_only_a_program_keeps_the_question(
    engine: Engine, first: str, then: str, topic: str
) -> None:
    """A program or device named after an answer says where, not what: the same question
    is answered for it, not the program's settings."""
    dialogue = Dialogue(engine, "fr" if "Comment" in first else "en")
    await dialogue.say(first)
    outcome = await dialogue.say(then)
    assert outcome.intent == topic


async def test_a_follow_up_asking_the_programs_settings_gets_them(engine: Engine) -> None:
    dialogue = Dialogue(engine, "fr")
    await dialogue.say("Comment je sauvegarde mes mails dans Outlook ?")
    outcome = await dialogue.say("et pour Thunderbird, quels sont les réglages du serveur ?")
    assert outcome.intent == "client_settings"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Je dois installer ma boîte sur Outlook mais je ne connais pas mon mot de passe."),
        ("en", "I need to set up Thunderbird on my new laptop but I forgot my password."),
    ],
)
async def test_without_the_password_the_reset_comes_first(
    engine: Engine, lang: str, text: str
) -> None:
    """Setting up a program needs the password: the reset is answered first, the
    settings after, and follow-ups are read with the password topic."""
    outcome = await Dialogue(engine, lang).say(text)
    assert outcome.topic == "password_forgot"
    assert len(outcome.replies) >= 2


@pytest.mark.parametrize(
    ("lang", "first", "then"),
    [
        (
            "en",
            "I'm adding claire@example.fr to Outlook 365. What goes in the outgoing server?",
            "ok. and the user name is just claire.dumas?",
        ),
        (
            "fr",
            "J'ajoute jean@example.fr dans Outlook. Je mets quoi en serveur sortant ?",
            "d'accord. et l'identifiant c'est juste jean.dupont ?",
        ),
    ],
)
async def test_a_login_question_after_the_settings_is_about_them(
    engine: Engine, lang: str, first: str, then: str
) -> None:
    """A login, port or server asked about after the settings is about the settings,
    whatever else the words suggest (a webmail login, creating an address)."""
    dialogue = Dialogue(engine, lang)
    await dialogue.say(first)
    outcome = await dialogue.say(then)
    assert outcome.intent == "client_settings"


@pytest.mark.parametrize(
    ("lang", "then", "comparison"),
    [
        ("fr", "et si je prends POP quand même ?", True),
        ("en", "what happens if I pick POP anyway?", True),
        ("fr", "POP", False),
        ("fr", "POP, c'est quel port ?", False),
    ],
)
async def test_weighing_a_protocol_is_not_only_choosing_it(
    engine: Engine, lang: str, then: str, comparison: bool
) -> None:
    """After the comparison and its offer of settings, a question about what choosing a
    protocol means gets what it means and the settings; naming one, or asking its port,
    gets the settings alone."""
    dialogue = Dialogue(engine, lang)
    await dialogue.say("IMAP ou POP, je prends quoi ?" if lang == "fr" else "IMAP or POP?")
    outcome = await dialogue.say(then)
    text = " ".join(reply.text for reply in outcome.replies)
    assert "995" in text
    assert ("15" in text) is comparison


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Est-ce que je peux avoir une adresse compta@example.fr qui arrive dans ma "
               "boîte sans créer un deuxième compte ?"),
        ("en", "Can I get a billing@example.com address that lands in my inbox without "
               "creating another mailbox?"),
    ],
)  # fmt: skip
async def test_an_address_without_a_new_mailbox_is_an_alias(
    engine: Engine, lang: str, text: str
) -> None:
    outcome = await Dialogue(engine, lang).say(text)
    assert outcome.topic == "alias"


async def test_sentences_around_a_pasted_bounce_raise_nothing_else(engine: Engine) -> None:
    """ "...come back with this:" and "What should I do?" lean on the bounce: the answer
    is the bounce's, not forwarding to Gmail or a full mailbox."""
    text = (
        "Hello,\n\nAll my emails to Gmail addresses come back with this:\n\n"
        "<bob@gmail.com>: host gmail-smtp-in.l.google.com[192.0.2.27] said:\n"
        "    550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
        "    (in reply to end of DATA command)\n\nWhat should I do?\n\nBest,\nMarc"
    )
    outcome = await Dialogue(engine, "en").say(text)
    said = " ".join(reply.text for reply in outcome.replies)
    assert outcome.topic == "bounce" and "bounce explained" in said
    assert "Forwarding" not in said and "full mailbox" not in said.lower()


async def test_a_dmarc_question_after_a_bounce_checks_the_domain(engine: Engine) -> None:
    dialogue = Dialogue(engine, "en")
    await dialogue.say(
        "Our mails to Gmail come back: 550-5.7.26 This mail has been blocked because the "
        "sender is unauthenticated. Our domain is example.org."
    )
    outcome = await dialogue.say("ok. and do we have a DMARC record at all?")
    assert outcome.intent == "spf"
