"""The conversation engine: understand a turn, route it to a flow, return replies and actions.

It knows no channel: chat and email both call `Engine.handle` with the conversation's
state and get an `Outcome` (new state, replies, what was understood and checked).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.engine.context import Articles, Checks, Ctx, Progress, Resets
from helpdesk.engine.flows import FLOWS, POPULAR
from helpdesk.engine.model import Outcome, Turn
from helpdesk.engine.redact import redact
from helpdesk.engine.wording import Wording

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

    def opening(self, lang: str) -> Outcome:
        """The first bot message of a new conversation."""
        outcome = Outcome(state={"lang": lang}, lang=lang)
        ctx = self._ctx(Turn(), "", None, outcome, None, "")
        ctx.say("opening", choices=[ctx.intent_choice(i) for i in POPULAR])
        return outcome

    def _ctx(
        self,
        turn: Turn,
        text: str,
        understood: Understood | None,
        outcome: Outcome,
        progress: Progress | None,
        reference: str,
    ) -> Ctx:
        return Ctx(
            turn=turn,
            text=text,
            understood=understood,
            outcome=outcome,
            wording=self._deps.wording,
            checks=self._deps.checks,
            articles=self._deps.articles,
            progress=progress,
            reference=reference,
            resets=self._deps.resets,
        )

    async def handle(
        self,
        state: dict[str, Any],
        turn: Turn,
        *,
        reference: str,
        progress: Progress | None = None,
        now: datetime | None = None,
    ) -> Outcome:
        """Answer one customer turn. `state` is not modified; the new one is in the outcome."""
        state = {k: v for k, v in state.items()}
        text, found_secret = redact(turn.text)
        had_secret = found_secret or turn.had_secret
        offered = state.pop("offered", [])
        choice = turn.choice if turn.choice in offered else None
        if turn.choice is not None and choice is None:
            text = text or turn.choice  # an unknown choice value is read as text

        current = state.get("lang") or turn.lang_hint or "fr"
        understood = None
        if text.strip():
            understood = self._deps.understanding.understand(text, current, now=now)
            if len(text.split()) >= LANG_MIN_WORDS:
                current = understood.lang
        if turn.lang_hint in ("fr", "en") and not text.strip():
            current = turn.lang_hint
        state["lang"] = current

        outcome = Outcome(state=state, lang=current)
        if understood is not None:
            outcome.understood = _understood_json(understood)
        ctx = self._ctx(
            Turn(text, choice, turn.lang_hint, had_secret, turn.client),
            text,
            understood,
            outcome,
            progress,
            reference,
        )
        if had_secret:
            outcome.events.append(("secret.redacted", {}))
            ctx.say("password_warning")
        if state.get("handoff"):
            return outcome  # staff own the conversation now; the bot stays silent

        if choice is not None and await self._on_choice(ctx, choice):
            return outcome
        flow_name = state.get("flow")
        flow = FLOWS.get(flow_name or "")
        if flow is not None and flow.resume is not None:
            outcome.intent = flow_name
            if await flow.resume(ctx):
                return outcome
        if understood is None:
            ctx.say("fallback", choices=[ctx.intent_choice(i) for i in POPULAR])
            return outcome
        await self._route(ctx, understood)
        return outcome

    async def _on_choice(self, ctx: Ctx, choice: str) -> bool:
        if choice.startswith("intent:"):
            return await self._start(ctx, choice.removeprefix("intent:"))
        if choice == "human":
            return await self._start(ctx, "human")
        if choice == "rephrase":
            ctx.state.pop("misses", None)
            ctx.say("rephrase")
            return True
        return False

    async def _start(self, ctx: Ctx, intent: str) -> bool:
        flow = FLOWS.get(intent)
        if flow is None:
            return False
        ctx.done()
        ctx.state.pop("misses", None)
        ctx.outcome.intent = intent
        await flow.start(ctx)
        return True

    async def _route(self, ctx: Ctx, u: Understood) -> None:
        confident = (
            u.confidence >= MIN_CONFIDENCE and u.confidence - u.runner_up_confidence >= MIN_MARGIN
        )
        if confident:
            await self._start(ctx, u.intent)
            return
        misses = int(ctx.state.get("misses", 0)) + 1
        ctx.state["misses"] = misses
        ctx.outcome.intent = None
        ctx.outcome.events.append(
            ("clarify", {"candidates": [u.intent, u.runner_up], "miss": misses})
        )
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
