"""What goes into the engine and what comes out of it; channel-neutral and JSON-friendly."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    """One bot message: plain text (never HTML), optional quick replies and links."""

    text: str
    choices: tuple[Choice, ...] = ()
    links: tuple[Link, ...] = ()
    intent: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckRecord:
    """A check the bot ran, with its structured result, for the transcript."""

    name: str  # "bounce", "spf", "dmarc", "mx", "client_settings"
    input: dict[str, Any]
    result: dict[str, Any]


@dataclass
class Outcome:
    """The engine's answer to one turn."""

    state: dict[str, Any]
    lang: str
    replies: list[Reply] = field(default_factory=list)
    understood: dict[str, Any] | None = None
    checks: list[CheckRecord] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    handoff: bool = False  # the ticket now waits for staff; the bot stops answering
    intent: str | None = None
