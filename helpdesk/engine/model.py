"""What goes into the engine and what comes out of it; channel-neutral and JSON-friendly."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpdesk.engine.state import DialogueState


@dataclass(frozen=True)
class Turn:
    """One customer input: free text, or the value of a quick reply they picked."""

    text: str = ""
    choice: str | None = None
    lang_hint: str | None = None
    # The channel already redacted a secret from `text` (before storing it).
    had_secret: bool = False
    # Who is asking, as the channel knows it ("ip:192.0.2.1"): rate limits count per client.
    client: str | None = None


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Reply:
    """One bot message: plain text (never HTML), optional quick replies and links.

    `key` names the wording it was rendered from (None for a check's own text): a channel
    that words something its own way (the email's hand-off) finds the reply by its key,
    never by comparing sentences.
    """

    text: str
    choices: tuple[Choice, ...] = ()
    links: tuple[Link, ...] = ()
    intent: str | None = None
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckRecord:
    """A check the bot ran, with its structured result, for the transcript."""

    name: str  # "bounce", "spf", "dmarc", "mx", "client_settings"
    input: dict[str, Any]
    result: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """The engine's answer to one turn: the new state and what to say, check and record."""

    state: DialogueState
    replies: tuple[Reply, ...] = ()
    understood: dict[str, Any] | None = None
    checks: tuple[CheckRecord, ...] = ()
    events: tuple[tuple[str, dict[str, Any]], ...] = ()
    handoff: bool = False  # the ticket now waits for staff; the bot stops answering
    intent: str | None = None

    @property
    def lang(self) -> str:
        """The language the replies are in (the conversation's)."""
        return self.state.lang or "fr"

    @property
    def topic(self) -> str | None:
        """What the ticket is about: the customer's problem as the dialogue knows it,
        which a "thanks" or a greeting does not replace; else what this turn was about."""
        return self.state.topic or self.intent
