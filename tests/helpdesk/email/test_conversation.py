"""MailConversation: one mail read by the engine and worded for email, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.email.conversation import MailConversation
from helpdesk.engine import Choice, DialogueState, Engine, EngineDeps, Wording
from helpdesk.profile import load_profile
from helpdesk.templating import TEMPLATES_DIR
from tests.helpdesk.engine.conftest import NOW, REFERENCE, FakeArticles, FakeChecks


@pytest.fixture(scope="module")
def wording() -> Wording:
    return Wording(TEMPLATES_DIR / "bot", load_profile({}))


@pytest.fixture
def conversation(understanding: Any, wording: Wording) -> MailConversation:
    deps = EngineDeps(
        understanding=understanding, wording=wording, checks=FakeChecks(), articles=FakeArticles()
    )
    return MailConversation(Engine(deps))


async def read(conv: MailConversation, text: str, state: DialogueState | None = None) -> Any:
    return await conv.answer(
        state or DialogueState(),
        whole=text,
        own=text,
        had_secret=False,
        lang_hint="fr",
        reference=REFERENCE,
        now=NOW,
    )


async def test_the_hand_off_is_worded_for_email(
    conversation: MailConversation, wording: Wording
) -> None:
    """The chat's hand-off reply is replaced by the email's, found by its wording key."""
    answered = await read(conversation, "Je voudrais parler à un conseiller, s'il vous plaît.")
    assert answered.handoff
    texts = [b.text for b in answered.blocks]
    assert wording.say("fr", "email.handoff", reference=REFERENCE) in texts
    assert wording.say("fr", "handoff", reference=REFERENCE) not in texts
    assert wording.say("fr", "email.handoff_note") not in texts


async def test_another_hand_off_gets_the_email_note(
    conversation: MailConversation, wording: Wording
) -> None:
    """A hand-off with its own wording keeps it, and the email's note is added."""
    state = DialogueState(lang="fr", flow="not_received", step="details")
    answered = await read(conversation, "paul@exemple.fr, hier à 14h", state)
    assert answered.handoff
    assert answered.blocks[-1].text == wording.say("fr", "email.handoff_note")
    assert "paul@exemple.fr" in answered.blocks[0].text


@pytest.mark.parametrize(
    ("first_line", "value"),
    [("IMAP", "imap"), ("pop", "pop"), ("« Je ne sais pas »", "unsure"), ("Bonjour,", None)],
)
def test_a_choice_is_read_from_the_first_line(
    conversation: MailConversation, first_line: str, value: str | None
) -> None:
    """The label (or value, or its start) alone on the first line picks an offered reply."""
    state = DialogueState(
        lang="fr",
        offered=(
            Choice("IMAP", "imap"),
            Choice("POP", "pop"),
            Choice("Je ne sais pas, aidez-moi à choisir", "unsure"),
        ),
    )
    assert conversation.choice_for(state, f"\n{first_line}\n\nLe lundi, Support a écrit :") == value


async def test_a_mail_asking_two_things_gets_both_answers_in_order(
    conversation: MailConversation,
) -> None:
    """A mail asking two things gets both answers, in the order asked, and asks nothing."""
    body = (
        "Bonjour,\n\nJe voudrais configurer ma boite mail sur mon téléphone.\n\n"
        "Et comment accéder au webmail depuis un autre ordinateur ?"
    )
    answered = await read(conversation, body)
    assert answered.intents == ["client_settings", "webmail"]
    text = "\n".join(b.text for b in answered.blocks)
    assert text.index("993") < text.index("webmail.zindex.fr")
    assert not answered.state.waiting
