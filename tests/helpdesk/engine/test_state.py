"""`DialogueState`: its JSON (what `Conversation.state` stores), older stored shapes, and
the verbs channels use instead of editing it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpdesk.engine import Choice, DialogueState, Engine, Slots, Turn
from helpdesk.engine.state import Facts
from tests.helpdesk.engine.conftest import NOW, REFERENCE, text_of

FULL = DialogueState(
    lang="en",
    flow="not_received",
    step="details",
    slots=Slots(
        client="iphone",
        recipient="paul@exemple.fr",
        when="yesterday at 2pm",
        when_resolved="2024-03-10T14:00+01:00",
        source="webmail",
    ),
    offered=(Choice("Yes", "yes"), Choice("No", "no")),
    misses=1,
    bounce_misses=1,
    topic="not_received",
    asked="my client says he never got my mail",
    facts=Facts(protocol="imap", client="iphone", server="mail2.zindex.fr", domain="exemple.fr"),
)

# How the chat stored a conversation waiting for IMAP or POP before the state was typed.
OLD_CHAT = {
    "lang": "fr",
    "flow": "client_settings",
    "step": "protocol",
    "slots": {"client": "outlook"},
    "offered": ["imap", "pop", "unsure"],
    "offered_labels": [
        {"label": "IMAP", "value": "imap"},
        {"label": "POP", "value": "pop"},
        {"label": "Je ne sais pas, aidez-moi à choisir", "value": "unsure"},
    ],
    "handoff": False,
}


def test_json_round_trip() -> None:
    """Every field survives to_json, JSON text and from_json."""
    assert DialogueState.from_json(json.loads(json.dumps(FULL.to_json()))) == FULL


def test_default_state_stores_nothing() -> None:
    """A fresh state is an empty object; defaults are left out of the JSON."""
    assert DialogueState().to_json() == {}
    assert DialogueState(lang="fr").to_json() == {"lang": "fr"}
    assert DialogueState.from_json({}) == DialogueState()


def test_offered_choices_are_stored_with_their_labels() -> None:
    """Quick replies are stored once, label and value together."""
    assert FULL.to_json()["offered"] == [
        {"label": "Yes", "value": "yes"},
        {"label": "No", "value": "no"},
    ]


def test_an_old_chat_state_reads_with_its_labels() -> None:
    """Bare offered values take their labels from the old offered_labels; handoff is gone."""
    state = DialogueState.from_json(OLD_CHAT)
    assert state.flow == "client_settings" and state.step == "protocol"
    assert state.slots == Slots(client="outlook")
    assert state.offered_choice("pop") == Choice("POP", "pop")
    assert [c.value for c in state.offered] == ["imap", "pop", "unsure"]
    assert "handoff" not in state.to_json() and "offered_labels" not in state.to_json()


def test_an_old_email_state_without_labels_reads() -> None:
    """Offered values with no labels stored keep their value as label."""
    state = DialogueState.from_json({"lang": "en", "offered": ["yes", "no"], "handoff": True})
    assert state.offered == (Choice("yes", "yes"), Choice("no", "no"))


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        "text",
        {"lang": 3, "flow": ["x"], "step": {}, "slots": "no", "offered": "imap"},
        {"misses": True, "bounce_misses": -2, "offered": [None, 4, {"label": "x"}]},
        {"slots": {"client": 7, "recipient": None, "surprise": "x"}, "step": "protocol"},
        {"unknown": {"nested": [1, 2]}, "version": 9},
    ],
)
def test_anything_stored_reads_without_error(raw: Any) -> None:
    """Unknown keys and wrong types read as defaults, never as an error."""
    state = DialogueState.from_json(raw)
    assert state.to_json() in ({}, {"lang": "fr"})
    assert DialogueState.from_json(state.to_json()) == state


def test_a_step_without_its_flow_is_dropped() -> None:
    """A step alone waits for nothing."""
    assert not DialogueState.from_json({"step": "protocol"}).waiting


async def test_an_old_stored_state_resumes_its_flow(engine: Engine) -> None:
    """A conversation stored before the typed state continues where it waited."""
    state = DialogueState.from_json(OLD_CHAT)
    outcome = await engine.handle(state, Turn(choice="imap"), reference=REFERENCE, now=NOW)
    assert "993" in text_of(outcome) and "Outlook" in text_of(outcome)


def test_in_lang_keeps_the_dialogue() -> None:
    """The language button changes the language and nothing else."""
    assert FULL.in_lang("fr") == DialogueState(**{**vars(FULL), "lang": "fr"})


def test_restarted_keeps_the_language_and_the_problem() -> None:
    """Handed back by staff, the dialogue starts afresh in the same language, on the same
    problem: a follow-up is still read within it."""
    assert FULL.restarted() == DialogueState(
        lang="en", topic=FULL.topic, asked=FULL.asked, facts=FULL.facts
    )
