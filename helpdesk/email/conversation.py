"""One email read by the engine: every question it holds answered, in one set of blocks.

A mail often asks several things ("my mail to X bounced (attached), and how do I set up
my phone?"). The whole text goes to the engine first, as the chat would send it; then
each paragraph whose intent is clear and not answered yet gets its own turn. When the
whole text only made the bot hesitate but paragraphs are clear, the paragraphs win. The
conversation state threads through the turns, and a question the bot is waiting an
answer to is kept so that the customer's reply continues it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from helpdesk.email.compose import Block
from helpdesk.engine import Engine, Outcome, Turn, Wording
from helpdesk.engine.engine import MIN_CONFIDENCE, MIN_MARGIN
from helpdesk.understanding import CONVERSATIONAL_INTENTS, Understanding

MAX_SEGMENTS = 4
MIN_SEGMENT_WORDS = 4
_PARAGRAPHS = re.compile(r"\n\s*\n")
# Intents one answer covers together: a bounce explained needs no "did you get an error?".
RELATED = {
    "bounce": {"not_received"},
    "not_received": {"bounce"},
    "client_settings": {"imap_vs_pop"},
    "imap_vs_pop": {"client_settings"},
    "spf": {"spam_placement"},
    "spam_placement": {"spf"},
    "password_forgot": {"password_change"},
    "password_change": {"password_forgot"},
}
_WAITING_KEYS = ("flow", "step", "slots", "offered", "offered_labels", "bounce_misses")


@dataclass
class Answered:
    """What the engine made of one mail."""

    outcomes: list[Outcome]
    state: dict[str, Any]
    lang: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def handoff(self) -> bool:
        return any(o.handoff for o in self.outcomes)

    @property
    def intents(self) -> list[str]:
        return [o.intent for o in self.outcomes if o.intent]


class MailConversation:
    def __init__(self, engine: Engine, understanding: Understanding, wording: Wording) -> None:
        self._engine = engine
        self._understanding = understanding
        self._wording = wording

    def choice_for(self, state: dict[str, Any], text: str) -> str | None:
        """The quick reply the customer picked by writing its label (or value, or the
        start of its label) alone on the first line of their reply."""
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        wanted = _fold(first)
        if not wanted or len(wanted) > 80:
            return None
        offered = [
            (_fold(str(o.get("label", ""))), _fold(str(o.get("value", ""))), str(o.get("value")))
            for o in state.get("offered_labels", [])
        ]
        for label, value, original in offered:
            if wanted in (label, value):
                return original
        close = [
            original
            for label, _, original in offered
            if label.startswith(wanted + " ") or wanted.startswith(label + " ")
        ]
        return close[0] if len(close) == 1 else None

    def _clear_intent(self, text: str, lang: str) -> str | None:
        if len(text.split()) < MIN_SEGMENT_WORDS:
            return None
        u = self._understanding.understand(text, lang)
        if u.intent in CONVERSATIONAL_INTENTS:
            return None
        if u.confidence < MIN_CONFIDENCE or u.confidence - u.runner_up_confidence < MIN_MARGIN:
            return None
        return u.intent

    async def answer(
        self,
        state: dict[str, Any],
        *,
        whole: str,
        own: str,
        had_secret: bool,
        lang_hint: str | None,
        reference: str,
        now: datetime,
    ) -> Answered:
        """Run the engine over a mail: `whole` is everything the customer sent (subject,
        words, forwarded bounce), `own` their own words, split into paragraphs."""
        choice = self.choice_for(state, own) if state.get("offered_labels") else None

        async def turn(current: dict[str, Any], text: str, pick: str | None = None) -> Outcome:
            return await self._engine.handle(
                current,
                Turn(text, pick, lang_hint, had_secret),
                reference=reference,
                now=now,
            )

        first = await turn(state, whole, choice)
        outcomes = [first]
        if first.handoff:
            return self._finish(outcomes, state)
        segments = [
            s.strip() for s in _PARAGRAPHS.split(own) if len(s.split()) >= MIN_SEGMENT_WORDS
        ]
        clear: list[tuple[str, str]] = []
        for segment in segments[: MAX_SEGMENTS * 2]:
            intent = self._clear_intent(segment, first.lang)
            if intent and intent not in {i for _, i in clear}:
                clear.append((segment, intent))
        if first.intent is None and clear and choice is None:
            # The whole mail made the bot hesitate, its paragraphs do not: answer those.
            outcomes, current = [], state
        else:
            current = first.state
            clear = [(s, i) for s, i in clear if i != first.intent]
            if first.intent is not None:
                related = RELATED.get(first.intent, set())
                clear = [(s, i) for s, i in clear if i not in related]
        for segment, intent in clear[:MAX_SEGMENTS]:
            covered = {o.intent for o in outcomes if o.intent}
            covered |= {r for i in covered for r in RELATED.get(i, ())}
            if intent in covered:
                continue
            outcome = await turn(current, segment)
            if outcome.intent is None and not outcome.handoff:
                continue  # this paragraph did not lead anywhere on its own: no noise
            outcomes.append(outcome)
            current = _keep_waiting(current, outcome.state)
            if outcome.handoff:
                break
        if not outcomes:
            outcomes = [first]
        return self._finish(outcomes, state)

    def _finish(self, outcomes: list[Outcome], initial: dict[str, Any]) -> Answered:
        state = outcomes[-1].state if outcomes else initial
        for outcome in outcomes[:-1]:
            state = _keep_waiting(outcome.state, state)
        labels = [
            {"label": c.label, "value": c.value}
            for o in outcomes
            for r in o.replies
            for c in r.choices
            if c.value in state.get("offered", [])
        ]
        if labels:
            state["offered_labels"] = labels
        else:
            state.pop("offered_labels", None)
        lang = outcomes[-1].lang
        blocks: list[Block] = []
        seen: set[str] = set()
        for outcome in outcomes:
            for reply in outcome.replies:
                if reply.text in seen:
                    continue
                seen.add(reply.text)
                blocks.append(Block(reply.text, tuple(c.label for c in reply.choices), reply.links))
        return Answered(outcomes, state, lang, blocks)


def _keep_waiting(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`after`, but still waiting where `before` waited when `after` waits for nothing:
    the customer's reply can then answer the earlier question."""
    if after.get("flow") or not before.get("flow"):
        return after
    merged = dict(after)
    for key in _WAITING_KEYS:
        if key in before:
            merged[key] = before[key]
    return merged


def _fold(text: str) -> str:
    return re.sub(r"[\s\"'«»“”.!?:;,()\[\]-]+", " ", text.casefold()).strip()
