"""The toolbox a flow works with during one turn: what was said, state, replies, checks.

A `Ctx` is the turn's private draft: flows move its `state` on (each change a new
frozen `DialogueState`) and add replies, checks and events; the engine then freezes it
all into one `Outcome`. Nothing outside the engine sees a `Ctx`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from helpdesk.engine.model import CheckRecord, Choice, Link, Outcome, Reply, Turn
from helpdesk.engine.reading import Reading, read
from helpdesk.engine.state import DialogueState, Facts, Slots
from helpdesk.engine.wording import Wording

if TYPE_CHECKING:
    from helpdesk.understanding import Understood

Progress = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class CheckAnswer:
    """A check's result for the transcript and its explanation in the customer's language."""

    record: CheckRecord
    text: str
    ok: bool = True  # False when nothing usable was found (unreadable bounce, ...)
    # The meaning in a few sentences, without the codes and the server's words: what a
    # follow-up ("what does that mean for me?") gets, and the answer to a bounce the
    # customer only quoted in their own sentence (no server's words to show then).
    gist: str = ""
    reason: str = ""  # a bounce's reason (contracts.md), for what the flow does next


class Checks(Protocol):
    """The diagnostics the engine can run for a customer (see helpdesk.engine.checks)."""

    async def bounce(self, text: str, lang: str) -> CheckAnswer: ...

    async def domain(self, domain: str, lang: str) -> CheckAnswer: ...


class Articles(Protocol):
    """Where the knowledge base article about an intent is, if there is one."""

    def link_for(self, intent: str, lang: str) -> tuple[str, str] | None:
        """(title, url) of the article for `intent` in `lang`."""
        ...


class Resets(Protocol):
    """Password resets through the mailbox service (see helpdesk.mailbox.reset)."""

    @property
    def link_minutes(self) -> int:
        """How long a reset link lives."""
        ...

    async def request(
        self,
        address: str,
        *,
        client: str,
        lang: str,
        reference: str | None,
        network: str | None = None,
    ) -> str:
        """`accepted` (the same whether or not the mailbox exists) or `limited`."""
        ...


class Ctx:
    def __init__(
        self,
        *,
        turn: Turn,
        text: str,
        understood: Understood | None,
        state: DialogueState,
        wording: Wording,
        checks: Checks,
        articles: Articles | None,
        progress: Progress | None,
        reference: str,
        resets: Resets | None = None,
        reading: Reading | None = None,
    ) -> None:
        self.turn = turn
        self.text = text
        self.understood = understood
        self.state = state
        self.wording = wording
        self.checks = checks
        self.articles = articles
        self.progress = progress
        self.reference = reference
        self.resets = resets
        self.intent: str | None = None
        # The message read (own words, pasted text, segments) and whether this turn
        # follows up on the current topic rather than raising a new one.
        self.reading = reading or read(text)
        self.follow_up = False
        self.topic_raised = False  # a request of this turn already set the topic
        self._replies: list[Reply] = []
        self._records: list[CheckRecord] = []
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._handoff = False

    def outcome(self, understood: dict[str, Any] | None = None) -> Outcome:
        """The turn so far, frozen."""
        return Outcome(
            state=self.state,
            replies=tuple(self._replies),
            understood=understood,
            checks=tuple(self._records),
            events=tuple(self._events),
            handoff=self._handoff,
            intent=self.intent,
        )

    # --- state

    @property
    def lang(self) -> str:
        return self.state.lang or "fr"

    @property
    def handed_off(self) -> bool:
        return self._handoff

    @property
    def facts(self) -> Facts:
        return self.state.facts

    @property
    def slots(self) -> Slots:
        return self.state.slots

    @property
    def step(self) -> str | None:
        return self.state.step

    def learn(self, **values: str | None) -> None:
        """Keep a fact about the customer's problem: `values` are `Facts` fields."""
        self.update(facts=replace(self.state.facts, **values))

    def update(self, **changes: Any) -> None:
        """Move the state on: `changes` are `DialogueState` fields."""
        self.state = replace(self.state, **changes)

    def remember(self, **values: str | None) -> None:
        """Keep what the customer told the flow: `values` are `Slots` fields."""
        self.update(slots=replace(self.state.slots, **values))

    def goto(self, flow: str, step: str | None) -> None:
        """Wait for the customer's next input in `flow` at `step` (None ends the flow)."""
        if step is None:
            self.update(flow=None, step=None, slots=Slots())
        else:
            self.update(flow=flow, step=step)

    def done(self) -> None:
        self.goto("", None)

    # --- replies, checks and events

    def t(self, key: str, **context: Any) -> str:
        return self.wording.say(self.lang, key, **context)

    def choice(self, label_key: str, value: str, **context: Any) -> Choice:
        return Choice(self.t(label_key, **context), value)

    def intent_choice(self, intent: str) -> Choice:
        return Choice(self.t(f"intent.{intent}"), f"intent:{intent}")

    def say(
        self,
        key: str | None = None,
        *,
        text: str | None = None,
        choices: Sequence[Choice] = (),
        links: Sequence[Link] = (),
        intent: str | None = None,
        **context: Any,
    ) -> None:
        body = text if text is not None else self.t(key or "", **context)
        self._replies.append(Reply(body, tuple(choices), tuple(links), intent or self.intent, key))
        # Only the last message's quick replies can be answered with a `choice` frame.
        self.update(offered=tuple(choices))

    def record(self, check: CheckRecord) -> None:
        """A check that was run, for the transcript."""
        self._records.append(check)

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """An event for the ticket's audit trail."""
        self._events.append((kind, data or {}))

    def article(self, intent: str) -> list[Link]:
        if self.articles is None:
            return []
        found = self.articles.link_for(intent, self.lang)
        return [Link(found[0], found[1])] if found else []

    # --- checks and hand-off

    async def announce(self, key: str, **context: Any) -> None:
        if self.progress is not None:
            await self.progress(self.t(key, **context))

    async def check_bounce(self, text: str) -> CheckAnswer:
        await self.announce("bounce.checking")
        answer = await self.checks.bounce(text, self.lang)
        self.record(answer.record)
        return answer

    async def check_domain(self, domain: str) -> CheckAnswer:
        await self.announce("domain.checking", domain=domain)
        answer = await self.checks.domain(domain, self.lang)
        self.record(answer.record)
        return answer

    def handoff(self, key: str = "handoff", **context: Any) -> None:
        """The ticket now waits for staff; the bot says so and stops answering."""
        self.say(key, reference=self.reference, **context)
        self._handoff = True
        self.event("handoff", {"intent": self.intent})
        self.done()
