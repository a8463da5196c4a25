"""The conversation engine: understand a turn, route it to a flow, return replies and actions.

The contract: `Engine.handle` is a step, (DialogueState, Turn, facts from checks) ->
Outcome (new DialogueState, replies, what was understood, checks run, events, hand-off).
Both state and outcome are frozen; the state passed in is never changed. Channels store
the state (`to_json`, `from_json`) and hand it back at the next turn; they never edit it
beyond its own verbs (see helpdesk.engine.state). The engine knows no channel, database
or network: chat and email both call it. It is async only because the services it is
given (`Checks` for DNS and bounce parsing, `Resets` for password links) are awaited;
they are protocols, and a test passes fakes (tests/helpdesk/engine/).

The engine is not called while staff hold the conversation: who holds it is a fact on
the ticket, which the channel reads before each turn.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.engine.context import Articles, Checks, Ctx, Progress, Resets
from helpdesk.engine.flows import FLOWS, POPULAR
from helpdesk.engine.model import Outcome, Turn
from helpdesk.engine.redact import redact
from helpdesk.engine.state import DialogueState
from helpdesk.engine.wording import Wording
from helpdesk.understanding import CONVERSATIONAL_INTENTS
from helpdesk.wording import LANGUAGES

if TYPE_CHECKING:
    from helpdesk.understanding import Understanding, Understood

# Below this confidence, or this margin over the runner-up, the bot asks which one.
MIN_CONFIDENCE = 0.45
MIN_MARGIN = 0.15
# A message shorter than this many words does not change the conversation's language.
LANG_MIN_WORDS = 3


@dataclass(frozen=True)
class EngineDeps:
    understanding: Understanding
    wording: Wording
    checks: Checks
    articles: Articles | None = None
    resets: Resets | None = None


def _understood_json(u: Understood) -> dict[str, Any]:
    entities: dict[str, list[str]] = {}
    if is_dataclass(u.entities):
        for f in fields(u.entities):
            values = getattr(u.entities, f.name)
            if isinstance(values, tuple | list) and values:
                entities[f.name] = [str(v) for v in values]
    return {
        "lang": u.lang,
        "intent": u.intent,
        "confidence": u.confidence,
        "runner_up": u.runner_up,
        "runner_up_confidence": u.runner_up_confidence,
        "entities": entities,
    }


class Engine:
    def __init__(self, deps: EngineDeps) -> None:
        self._deps = deps

    @property
    def wording(self) -> Wording:
        return self._deps.wording

    def opening(self, lang: str) -> Outcome:
        """The first bot message of a new conversation."""
        ctx = self._ctx(Turn(), "", None, DialogueState(lang=lang), None, "")
        ctx.say("opening", choices=[ctx.intent_choice(i) for i in POPULAR])
        return ctx.outcome()

    def clear_intent(self, text: str, lang: str) -> str | None:
        """The request `text` makes, when the engine would answer it without asking which
        one was meant; None for a greeting, thanks, or a message it hesitates over.

        A channel that splits a message (an email's paragraphs) asks this of each part.
        """
        u = self._deps.understanding.understand(text, lang)
        if u.intent in CONVERSATIONAL_INTENTS or not _confident(u):
            return None
        return u.intent

    def _ctx(
        self,
        turn: Turn,
        text: str,
        understood: Understood | None,
        state: DialogueState,
        progress: Progress | None,
        reference: str,
    ) -> Ctx:
        return Ctx(
            turn=turn,
            text=text,
            understood=understood,
            state=state,
            wording=self._deps.wording,
            checks=self._deps.checks,
            articles=self._deps.articles,
            progress=progress,
            reference=reference,
            resets=self._deps.resets,
        )

    async def handle(
        self,
        state: DialogueState,
        turn: Turn,
        *,
        reference: str,
        progress: Progress | None = None,
        now: datetime | None = None,
    ) -> Outcome:
        """Answer one customer turn from `state`; the new state is in the outcome."""
        text, found_secret = redact(turn.text)
        had_secret = found_secret or turn.had_secret
        choice = turn.choice if turn.choice and state.offered_choice(turn.choice) else None
        if turn.choice is not None and choice is None:
            text = text or turn.choice  # an unknown choice value is read as text

        current = state.lang or turn.lang_hint or LANGUAGES.default
        understood = None
        if text.strip():
            understood = self._deps.understanding.understand(text, current, now=now)
            if len(text.split()) >= LANG_MIN_WORDS:
                current = understood.lang
        if LANGUAGES.knows(turn.lang_hint) and not text.strip():
            current = turn.lang_hint

        # What was offered is answered now (or not at all): the turn offers anew.
        ctx = self._ctx(
            Turn(text, choice, turn.lang_hint, had_secret, turn.client),
            text,
            understood,
            replace(state, lang=current, offered=()),
            progress,
            reference,
        )
        await self._step(ctx, choice)
        return ctx.outcome(_understood_json(understood) if understood is not None else None)

    async def _step(self, ctx: Ctx, choice: str | None) -> None:
        if ctx.turn.had_secret:
            ctx.event("secret.redacted")
            ctx.say("password_warning")
        if choice is not None and await self._on_choice(ctx, choice):
            return
        flow_name = ctx.state.flow
        flow = FLOWS.get(flow_name or "")
        if flow is not None and flow.resume is not None:
            ctx.intent = flow_name
            if await flow.resume(ctx):
                return
        if ctx.understood is None:
            ctx.say("fallback", choices=[ctx.intent_choice(i) for i in POPULAR])
            return
        await self._route(ctx, ctx.understood)

    async def _on_choice(self, ctx: Ctx, choice: str) -> bool:
        if choice.startswith("intent:"):
            return await self._start(ctx, choice.removeprefix("intent:"))
        if choice == "human":
            return await self._start(ctx, "human")
        if choice == "rephrase":
            ctx.update(misses=0)
            ctx.say("rephrase")
            return True
        return False

    async def _start(self, ctx: Ctx, intent: str) -> bool:
        flow = FLOWS.get(intent)
        if flow is None:
            return False
        ctx.done()
        ctx.update(misses=0)
        ctx.intent = intent
        await flow.start(ctx)
        return True

    async def _route(self, ctx: Ctx, u: Understood) -> None:
        if _confident(u):
            await self._start(ctx, u.intent)
            return
        misses = ctx.state.misses + 1
        ctx.update(misses=misses)
        ctx.intent = None
        ctx.event("clarify", {"candidates": [u.intent, u.runner_up], "miss": misses})
        if misses >= 2:
            ctx.say(
                "clarify_again",
                choices=[
                    ctx.choice("choice.human", "human"),
                    ctx.choice("choice.rephrase", "rephrase"),
                ],
            )
            return
        ctx.say(
            "clarify",
            first=ctx.t(f"intent.{u.intent}"),
            second=ctx.t(f"intent.{u.runner_up}"),
            choices=[
                ctx.intent_choice(u.intent),
                ctx.intent_choice(u.runner_up),
                ctx.choice("choice.rephrase", "rephrase"),
            ],
        )


def _confident(u: Understood) -> bool:
    """Sure enough of `u.intent` to answer it rather than ask which topic was meant."""
    return u.confidence >= MIN_CONFIDENCE and u.confidence - u.runner_up_confidence >= MIN_MARGIN
