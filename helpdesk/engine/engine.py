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

import re
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from helpdesk.engine.context import Articles, Checks, Ctx, Progress, Resets
from helpdesk.engine.entities import client_of, protocols_of
from helpdesk.engine.flows import FLOWS, POPULAR
from helpdesk.engine.model import Outcome, Turn
from helpdesk.engine.reading import (
    MAX_SEGMENTS,
    Reading,
    asks_for_settings,
    asks_staff_action,
    lacks_the_password,
    read,
    servers_named,
    tells_of_a_hacked_mailbox,
)
from helpdesk.engine.redact import redact
from helpdesk.engine.state import DialogueState, Facts
from helpdesk.engine.wording import Wording
from helpdesk.understanding import CONVERSATIONAL_INTENTS
from helpdesk.understanding.courtesy import names_courtesy
from helpdesk.understanding.entities import without_names
from helpdesk.wording import LANGUAGES

if TYPE_CHECKING:
    from helpdesk.understanding import Understanding, Understood

# Below this confidence, or this margin over the runner-up, the bot asks which one.
MIN_CONFIDENCE = 0.45
MIN_MARGIN = 0.15
# Below MIN_CONFIDENCE but at least this sure, and this far ahead of the runner-up, the
# likeliest reading is answered and the runner-up offered.
ANSWER_FIRST = 0.3
ANSWER_FIRST_MARGIN = 0.08
# Fewer own words than this never change the conversation's language once it is set.
LANG_MIN_WORDS = 4
# A message of at most this many own words may be a follow-up on the current topic
# (customers write "and if I do nothing, will my mail be refused?" as a follow-up too).
FOLLOW_UP_WORDS = 15
# A short message leaves the current topic for another only when this sure of it:
# "what does that mean for me?" after a bounce is about the bounce.
SWITCH_CONFIDENCE = 0.7
# How much of the customer's request is kept to read their follow-ups against.
ASKED_CHARS = 400
# Topics one answer covers together: a bounce explained needs no "did you get an error?".
RELATED: dict[str, frozenset[str]] = {
    "bounce": frozenset({"not_received"}),
    "not_received": frozenset({"bounce"}),
    "client_settings": frozenset({"imap_vs_pop"}),
    "imap_vs_pop": frozenset({"client_settings"}),
    "spf": frozenset({"spam_placement"}),
    "spam_placement": frozenset({"spf"}),
    "password_forgot": frozenset({"password_change"}),
    "password_change": frozenset({"password_forgot"}),
}
# Topics whose answers already deal with SPF, DKIM and DMARC (a bounce that names them
# is explained as a bounce).
_AUTH_AWARE = frozenset({"spf", "spam_placement", "bounce", "human", "thanks", "greeting"})
_DOMAIN_AUTH = re.compile(r"\b(?:spf|dkim|dmarc)\b", re.IGNORECASE)
# What a customer telling of a hacked mailbox may ask for instead of its procedure: the
# password itself, or a person.
_BEFORE_HACKED = frozenset({"password_change", "password_forgot", "human"})
_PASSWORD_INTENTS = frozenset({"password_change", "password_forgot"})
_PERSON = re.compile(
    r"(?i)\b(?:human|humain|person|personne|people|agent|conseill\w*|technicien\w*|someone"
    r"|somebody|quelqu'un|real|vrai|support|service client|operator|op[ée]rat\w*|staff"
    r"|t[ée]l[ée]phon\w*|phone|call|appel\w*|ticket|bot|robot|machine)\b"
)
# A word long enough to carry a request ("réglages", "password", "backup"): short ones
# ("and", "with", "old", "mon") never do alone.
_CONTENT_WORD = re.compile(r"\w{5,}")
# Words that open a follow-up: the message leans on what was said before.
_FOLLOW_UP = re.compile(
    r"^\W*(?:and|also|but|so|then|ok(?:ay)?|what about|how about|same|et|mais|donc|alors"
    r"|d'accord|du coup|pareil|aussi|ça|ca|cela|that|it|this|celui|celle|le même|la même)\b",
    re.IGNORECASE,
)


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

    def _ctx(
        self,
        turn: Turn,
        text: str,
        understood: Understood | None,
        state: DialogueState,
        progress: Progress | None,
        reference: str,
        reading: Reading | None = None,
    ) -> Ctx:
        return Ctx(
            reading=reading,
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

        reading = read(text)
        current = self._language(state, turn, reading)
        understood = None
        if text.strip():
            understood = self._deps.understanding.understand(text, current, now=now)

        # What was offered is answered now (or not at all): the turn offers anew.
        ctx = self._ctx(
            Turn(text, choice, turn.lang_hint, had_secret, turn.client),
            text,
            understood,
            replace(
                state,
                lang=current,
                offered=(),
                facts=self._facts(state.facts, reading, understood),
            ),
            progress,
            reference,
            reading,
        )
        await self._step(ctx, choice)
        return ctx.outcome(_understood_json(understood) if understood is not None else None)

    def _language(self, state: DialogueState, turn: Turn, reading: Reading) -> str:
        """The conversation's language after this turn: the customer's own words decide,
        never pasted machine text; once set, only a sentence of their own in another
        language (or the language button, `lang_hint` with no text) changes it."""
        if LANGUAGES.knows(turn.lang_hint) and not turn.text.strip():
            return str(turn.lang_hint)
        current = state.lang or turn.lang_hint or LANGUAGES.default
        if not reading.prose:
            return current
        if state.lang is None and (reading.words >= LANG_MIN_WORDS or not turn.lang_hint):
            return self._deps.understanding.language(reading.prose, turn.lang_hint)
        if reading.words >= LANG_MIN_WORDS:
            return self._deps.understanding.language(reading.prose, current)
        return current

    def _facts(self, facts: Facts, reading: Reading, u: Understood | None) -> Facts:
        """The facts established so far, with what this turn's own words add."""
        if u is None:
            return facts
        changes: dict[str, str | None] = {}
        # Established when the customer names one way of receiving, not both.
        incoming = set(protocols_of(u)) - {"smtp"}
        if len(incoming) == 1:
            changes["protocol"] = incoming.pop()
        client = client_of(u)
        if client:
            changes["client"] = client
        known, _ = servers_named(reading.prose, self._deps.wording.provider.servers)
        if len(known) == 1:  # "the list shows mail and mail2" names no server of theirs
            changes["server"] = known[0]
        for domain in getattr(u.entities, "domains", ()):
            if domain and domain in reading.prose.lower():
                changes["domain"] = domain.lower().rstrip(".")
                break
        return replace(facts, **changes) if changes else facts

    async def _step(self, ctx: Ctx, choice: str | None) -> None:
        if ctx.turn.had_secret:
            ctx.event("secret.redacted")
            ctx.say("password_warning")
        if choice is not None and await self._on_choice(ctx, choice):
            return
        flow_name = ctx.state.flow
        flow = FLOWS.get(flow_name or "")
        if flow is not None and flow.resume is not None and not self._wants_staff(ctx):
            ctx.intent = flow_name
            if await flow.resume(ctx):
                return
        if ctx.understood is None:
            ctx.say("fallback", choices=[ctx.intent_choice(i) for i in POPULAR])
            return
        requests = self._requests(ctx, ctx.understood)
        if requests:
            for intent in requests:
                await self._start(ctx, intent)
                if ctx.handed_off:
                    break
            return
        await self._route(ctx, ctx.understood)

    def _wants_staff(self, ctx: Ctx) -> bool:
        """The customer asks for a person or for what only staff can do: that comes
        before any question the bot was waiting an answer to."""
        u = ctx.understood
        sure_human = u is not None and u.intent == "human" and _sure(u, ctx.text)
        return sure_human or asks_staff_action(ctx.reading.prose)

    def _requests(self, ctx: Ctx, whole: Understood) -> list[str]:
        """What the message asks, in order: each segment of the customer's own words that
        is clearly a request, and the whole message when it is one; a short follow-up
        ("and for sending?", "what does that mean?") is read with the request that
        raised the current topic and answered within it."""
        reading = ctx.reading
        understand = self._deps.understanding.understand
        found: list[str] = []
        if len(reading.segments) > 1:
            topic = ctx.state.topic
            around = {topic, *RELATED.get(topic or "", ())}
            whole_reading = _settle(whole.intent, reading.prose or ctx.text)
            for segment in reading.segments[:MAX_SEGMENTS]:
                u = understand(segment, ctx.lang)
                if _leans_on_the_rest(segment) and _settle(u.intent, segment) not in (
                    whole_reading,
                    ctx.state.topic,
                ):
                    # "What should I do?" beside a pasted bounce asks about the bounce
                    continue
                intent = _settle(u.intent, segment)
                if topic == "client_settings" and asks_for_settings(segment):
                    intent = topic  # a login, port or server asked about: the settings
                elif not _sure(u, segment):
                    continue
                if intent in found:
                    continue
                if topic and intent not in around and not self._asks(segment, ctx.lang):
                    # "j'ai aussi un vieux PC avec Thunderbird" while the topic is the
                    # backup: a place named, no new question
                    continue
                found.append(intent)
        problems = [i for i in found if i not in CONVERSATIONAL_INTENTS]
        if tells_of_a_hacked_mailbox(reading.prose) and not _BEFORE_HACKED.intersection(problems):
            # The seed's procedure for a hacked mailbox (change the password, sending
            # suspended) is in the limits answer, whatever else the story suggests.
            problems.insert(0, "sending_limit")
        sure = _sure(whole, ctx.text)
        whole_intent = _settle(whole.intent, reading.prose or ctx.text)
        wants_human = "human" in found or self._wants_staff(ctx)
        own = whole_intent if sure and whole_intent not in CONVERSATIONAL_INTENTS else None
        courtesy = sure and whole.intent in ("greeting", "thanks", "human")

        if not problems and not courtesy:
            follow_up = self._follow_up(ctx, whole, own)
            if follow_up is not None:
                return [*follow_up, "human"] if wants_human else follow_up
        if (
            own is not None
            and own not in problems
            and not RELATED.get(own, frozenset()).intersection(problems)
        ):
            # The whole message's reading (a pasted bounce weighs there) goes first.
            problems.insert(0, own)
        if lacks_the_password(reading.prose):
            # Without the password nothing else can be done (set up a program, read the
            # mail): the reset comes first, whatever else the message asks.
            first = next((i for i in problems if i in _PASSWORD_INTENTS), "password_forgot")
            problems = [first, *(i for i in problems if i != first)]
        if not problems:
            if wants_human:
                return ["human"]
            return [whole_intent] if sure else []
        kept: list[str] = []
        for intent in problems:
            if intent not in kept and not RELATED.get(intent, frozenset()).intersection(kept):
                kept.append(intent)
        if wants_human:
            kept.append("human")
        return kept

    def _follow_up(self, ctx: Ctx, whole: Understood, own: str | None) -> list[str] | None:
        """The request of a short message read as a follow-up on the current topic, or
        None when it is not one. `own` is the problem the message names when the model
        is sure of it on its own; a short message leaves the topic only for that."""
        topic, asked, reading = ctx.state.topic, ctx.state.asked, ctx.reading
        if topic is None or asked is None or reading.has_machine_text:
            return None
        if reading.words > FOLLOW_UP_WORDS and own is not None:
            return None  # a long message with a clear request of its own is a new one
        related = RELATED.get(topic, frozenset())
        leaning = _FOLLOW_UP.match(reading.prose) is not None
        unsure = whole.confidence < SWITCH_CONFIDENCE
        if not (leaning or unsure or own is None or own == topic or own in related):
            return None
        if topic == "client_settings" and asks_for_settings(reading.prose):
            # after the settings, a question about a login, port or server is about them
            ctx.follow_up = True
            return [topic]
        if (
            leaning
            and own is not None
            and own != topic
            and own not in related
            and not self._asks(reading.prose, ctx.lang)
        ):
            # Only the program, device or protocol named pulled the reading ("et
            # Thunderbird ?", "and on my phone?"): the same question, asked for it.
            ctx.follow_up = True
            return [_settle(topic, reading.prose)]
        story = f"{asked}\n{reading.prose}"
        read_with = self._deps.understanding.understand(story, ctx.lang)
        # The story read as the first message was: the same rules that chose the topic.
        intent = _settle(read_with.intent, story)
        if tells_of_a_hacked_mailbox(story) and intent not in _BEFORE_HACKED:
            intent = "sending_limit"
        if intent == topic or intent in related:
            ctx.follow_up = True
            if topic == "bounce" and _DOMAIN_AUTH.search(reading.prose):
                # the bounce is explained; "and do we have a DMARC record?" asks the check
                return ["spf"]
            return [_settle(topic, reading.prose)]
        if own is None and _confident(read_with) and intent not in CONVERSATIONAL_INTENTS:
            # Understood only with the earlier request: a follow-up still, on a
            # neighbouring question ("what would the error look like?").
            ctx.follow_up = True
            return [intent]
        return None

    def _asks(self, text: str, lang: str) -> bool:
        """Whether `text` still asks something clear once the mail programs, devices and
        protocols it names are taken out: "j'ai aussi un vieux PC avec Thunderbird" tells
        where, "quels réglages pour Thunderbird ?" asks."""
        alone = without_names(text)
        if alone is None:
            return True
        if not _CONTENT_WORD.search(alone):
            return False  # "and on my old with ?": the model would guess at nothing
        return _sure(self._deps.understanding.understand(alone, lang), alone)

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
        if intent not in CONVERSATIONAL_INTENTS and not ctx.follow_up and not ctx.topic_raised:
            # A new problem, the first one of the message when it asks several: the
            # request that raised it, the customer's words and what they pasted (a
            # bounce's codes), is what follow-ups are read with.
            ctx.topic_raised = True
            half = ASKED_CHARS // 2
            reading = ctx.reading
            asked = "\n".join(p[:half] for p in (reading.prose, reading.machine) if p)
            ctx.update(topic=intent, asked=asked or ctx.text[:ASKED_CHARS] or None)
        await flow.start(ctx)
        return True

    async def _route(self, ctx: Ctx, u: Understood) -> None:
        if _sure(u, ctx.text):
            await self._start(ctx, u.intent)
            return
        likely = u.intent not in CONVERSATIONAL_INTENTS and u.confidence >= ANSWER_FIRST
        if likely and u.confidence - u.runner_up_confidence >= ANSWER_FIRST_MARGIN:
            # Answer first, ask after: the likeliest reading is answered and the other
            # offered, rather than a question before any answer.
            await self._start(ctx, u.intent)
            if u.runner_up not in CONVERSATIONAL_INTENTS and not ctx.handed_off:
                other = ctx.intent_choice(u.runner_up)
                ctx.say("offer_other", other=ctx.t(f"intent.{u.runner_up}"), choices=[other])
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


# An address wanted without a mailbox of its own: what an alias is ("une adresse compta@
# qui arrive dans ma boîte sans créer un deuxième compte", "without a second mailbox").
_NO_NEW_MAILBOX = re.compile(
    r"(?i)\b(?:sans|without)\s+(?:cr[ée]er\s+|creating\s+|(?:avoir|having)\s+)?(?:un|une|a|an)?"
    r"\s*(?:deuxi[èe]me|second|autre|another|new|nouveau|nouvelle|extra|other)\s+"
    r"(?:compte|bo[îi]te|account|mailbox|inbox)"
)


# A sentence this short asks nothing on its own ("What should I do?", "Que dois-je faire ?",
# "C'est normal ?"): it leans on the rest of the message.
_LEANING_WORDS = 4


def _leans_on_the_rest(segment: str) -> bool:
    """Whether a sentence of a longer message takes its meaning from the rest: one that
    introduces what follows ("...come back with this:") or a short question. Such a
    sentence raises no problem the rest of the message does not."""
    return segment.rstrip().endswith(":") or len(segment.split()) <= _LEANING_WORDS


def _settle(intent: str, text: str) -> str:
    """`intent` as `text` asks it: a question about a protocol's ports or servers asks
    for the settings, not for the comparison of the protocols; an address wanted without
    a new mailbox is an alias; the customer's own words naming SPF, DKIM or DMARC ask
    about the domain's records."""
    if intent == "imap_vs_pop" and asks_for_settings(text):
        return "client_settings"
    if intent == "mailbox_create" and _NO_NEW_MAILBOX.search(text):
        return "alias"
    if intent not in _AUTH_AWARE and _DOMAIN_AUTH.search(text):
        return "spf"
    return intent


def _sure(u: Understood, text: str) -> bool:
    """`_confident`, except that the model reads many vague questions ("so what am I
    supposed to do?") as a call for a person, and short ones as courtesy: those readings
    count only when the customer names a person or a way to reach one, or says a word
    of thanks or greeting."""
    if u.intent == "human" and _PERSON.search(text) is None:
        return False
    if u.intent in ("thanks", "greeting") and not names_courtesy(text):
        return False
    return _confident(u)


def _confident(u: Understood) -> bool:
    """Sure enough of `u.intent` to answer it rather than ask which topic was meant."""
    return u.confidence >= MIN_CONFIDENCE and u.confidence - u.runner_up_confidence >= MIN_MARGIN
