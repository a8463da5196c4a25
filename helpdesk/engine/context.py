"""The toolbox a flow works with during one turn: what was said, state, replies, checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from helpdesk.engine.model import CheckRecord, Choice, Link, Outcome, Reply, Turn
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
        outcome: Outcome,
        wording: Wording,
        checks: Checks,
        articles: Articles | None,
        progress: Progress | None,
        reference: str,
        resets: Resets | None = None,
    ) -> None:
        self.turn = turn
        self.text = text
        self.understood = understood
        self.outcome = outcome
        self.wording = wording
        self.checks = checks
        self.articles = articles
        self.progress = progress
        self.reference = reference
        self.resets = resets

    # --- state

    @property
    def lang(self) -> str:
        return self.outcome.lang

    @property
    def state(self) -> dict[str, Any]:
        return self.outcome.state

    @property
    def slots(self) -> dict[str, Any]:
        slots: dict[str, Any] = self.state.setdefault("slots", {})
        return slots

    @property
    def step(self) -> str | None:
        return self.state.get("step")

    def goto(self, flow: str, step: str | None) -> None:
        """Wait for the customer's next input in `flow` at `step` (None ends the flow)."""
        if step is None:
            self.state.pop("flow", None)
            self.state.pop("step", None)
            self.state.pop("slots", None)
        else:
            self.state["flow"], self.state["step"] = flow, step

    def done(self) -> None:
        self.goto("", None)

    # --- replies

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
        self.outcome.replies.append(
            Reply(body, tuple(choices), tuple(links), intent or self.outcome.intent)
        )
        # Only the last message's quick replies can be answered with a `choice` frame.
        self.state["offered"] = [c.value for c in choices]

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
        self.outcome.checks.append(answer.record)
        return answer

    async def check_domain(self, domain: str) -> CheckAnswer:
        await self.announce("domain.checking", domain=domain)
        answer = await self.checks.domain(domain, self.lang)
        self.outcome.checks.append(answer.record)
        return answer

    def handoff(self, key: str = "handoff", **context: Any) -> None:
        """The ticket now waits for staff; the bot says so and stops answering."""
        self.say(key, reference=self.reference, **context)
        self.outcome.handoff = True
        self.state["handoff"] = True
        self.outcome.events.append(("handoff", {"intent": self.outcome.intent}))
        self.done()
