"""The dialogue state: where the bot stands with one customer, owned by the engine.

A frozen value. The engine makes a new one at every turn (`Engine.handle`); channels
store it as JSON (`Conversation.state`), hand it back on the next turn, and read it,
but never build or edit one except through the verbs below (`in_lang`, `restarted`).
Who holds the conversation (bot or staff) is not in it: that is a fact on the ticket,
and the engine is not called while staff hold it.

`from_json` reads any stored dict without error: older shapes (`offered` as bare values
with `offered_labels` beside them, the former `handoff` key), unknown keys and wrong
types are read as the nearest valid state. A new field is one attribute here, one line
in `to_json` and one in `from_json`; an absent key reads as its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from helpdesk.engine.model import Choice


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int:
    # bool is an int to Python, but `true` was never a count.
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


_Texts = TypeVar("_Texts", "Slots", "Facts")


def _texts_json(value: Slots | Facts) -> dict[str, str]:
    """A record of optional texts as stored: the fields that are set."""
    return {f.name: v for f in fields(value) if (v := getattr(value, f.name)) is not None}


def _texts_from(cls: type[_Texts], raw: Any) -> _Texts:
    """The record stored as `raw`; anything missing or not text reads as None."""
    if not isinstance(raw, Mapping):
        return cls()
    return cls(**{f.name: _text(raw.get(f.name)) for f in fields(cls)})


@dataclass(frozen=True)
class Slots:
    """What the customer told the current flow (all text, None until given)."""

    client: str | None = None  # mail client, as a wording key ("outlook", "other", ...)
    recipient: str | None = None  # the address that did not receive a mail
    when: str | None = None  # when it was sent, as the customer wrote it
    when_resolved: str | None = None  # the same moment in ISO 8601
    source: str | None = None  # what sent it: "client_app", "software", "webmail"

    def to_json(self) -> dict[str, str]:
        return _texts_json(self)

    @classmethod
    def from_json(cls, raw: Any) -> Slots:
        return _texts_from(cls, raw)


@dataclass(frozen=True)
class Facts:
    """What the conversation established about the customer's problem, kept across
    topics and turns so that a follow-up ("and for sending?", "what does that mean?")
    is answered within it. All text, None until known."""

    protocol: str | None = None  # "imap" or "pop"
    client: str | None = None  # mail client, as a wording key
    server: str | None = None  # one of the provider's servers, when the customer named it
    domain: str | None = None  # the customer's domain
    bounce: str | None = None  # what the last bounce explained means and what to do

    def to_json(self) -> dict[str, str]:
        return _texts_json(self)

    @classmethod
    def from_json(cls, raw: Any) -> Facts:
        return _texts_from(cls, raw)


@dataclass(frozen=True)
class DialogueState:
    """Language, the flow waiting for an answer, its slots, the quick replies on offer."""

    lang: str | None = None  # the conversation's language; None until the first turn
    flow: str | None = None  # the flow waiting for the customer's next input
    step: str | None = None  # where in that flow
    slots: Slots = field(default_factory=Slots)
    # The quick replies of the bot's last message: only these can be answered by a choice.
    offered: tuple[Choice, ...] = ()
    misses: int = 0  # messages in a row the bot could not place
    bounce_misses: int = 0  # pasted texts in a row that held no readable bounce
    # The customer's problem: the last topic answered, the request that raised it (their
    # own words, cut short), and the facts established. A short follow-up is read
    # against them. The topic outlives a "thanks": only a new problem replaces it.
    topic: str | None = None
    asked: str | None = None
    facts: Facts = field(default_factory=Facts)

    # --- reading

    def offered_choice(self, value: str) -> Choice | None:
        """The quick reply on offer with this value."""
        return next((c for c in self.offered if c.value == value), None)

    @property
    def waiting(self) -> bool:
        """Whether a flow waits for the customer's answer to a question."""
        return self.flow is not None

    # --- verbs for channels

    def in_lang(self, lang: str) -> DialogueState:
        """The same dialogue, continued in `lang` (the customer pressed a language button)."""
        return replace(self, lang=lang)

    def restarted(self) -> DialogueState:
        """A fresh dialogue in the same language and on the same problem (staff handed
        the conversation back)."""
        return DialogueState(lang=self.lang, topic=self.topic, asked=self.asked, facts=self.facts)

    # --- storage

    def to_json(self) -> dict[str, Any]:
        """What `Conversation.state` stores; keys at their default are left out."""
        out: dict[str, Any] = {}
        if self.lang:
            out["lang"] = self.lang
        if self.flow:
            out["flow"] = self.flow
        if self.step:
            out["step"] = self.step
        slots = self.slots.to_json()
        if slots:
            out["slots"] = slots
        if self.offered:
            out["offered"] = [{"label": c.label, "value": c.value} for c in self.offered]
        if self.misses:
            out["misses"] = self.misses
        if self.bounce_misses:
            out["bounce_misses"] = self.bounce_misses
        if self.topic:
            out["topic"] = self.topic
        if self.asked:
            out["asked"] = self.asked
        facts = self.facts.to_json()
        if facts:
            out["facts"] = facts
        return out

    @classmethod
    def from_json(cls, raw: Any) -> DialogueState:
        """The state stored as `raw`; anything unreadable in it reads as the default."""
        if not isinstance(raw, Mapping):
            return cls()
        flow = _text(raw.get("flow"))
        return cls(
            lang=_text(raw.get("lang")),
            flow=flow,
            step=_text(raw.get("step")) if flow else None,
            slots=Slots.from_json(raw.get("slots")),
            offered=_offered(raw.get("offered"), raw.get("offered_labels")),
            misses=_count(raw.get("misses")),
            bounce_misses=_count(raw.get("bounce_misses")),
            topic=_text(raw.get("topic")),
            asked=_text(raw.get("asked")),
            facts=Facts.from_json(raw.get("facts")),
        )


def _offered(offered: Any, labels: Any) -> tuple[Choice, ...]:
    """Offered choices, stored as {label, value} objects, or in the older shape: bare
    values in `offered` with their labels kept apart in `offered_labels`."""
    if not isinstance(offered, list):
        return ()
    known: dict[str, str] = {}
    for item in labels if isinstance(labels, list) else ():
        if isinstance(item, Mapping) and _text(item.get("value")):
            known[str(item["value"])] = str(item.get("label") or item["value"])
    choices: list[Choice] = []
    for item in offered:
        if isinstance(item, Mapping):
            value = _text(item.get("value"))
            if value:
                choices.append(Choice(_text(item.get("label")) or value, value))
        elif isinstance(item, str) and item:
            choices.append(Choice(known.get(item, item), item))
    return tuple(choices)
