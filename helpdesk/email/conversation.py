"""One email read by the engine: every question it holds answered, in one set of blocks.

A mail often asks several things ("my mail to X bounced (attached), and how do I set up
my phone?"). The mail's text goes to the engine as one turn, as the chat's messages do:
the engine reads the customer's own words apart from the forwarded report, answers each
question in order, and keeps the conversation's topic so that a reply continues it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from helpdesk.email.compose import Block
from helpdesk.email.parse import InboundMail
from helpdesk.engine import DialogueState, Engine, Outcome, Turn, redact

MAX_ENGINE_CHARS = 40_000
_PREFIX = re.compile(r"^(?:(?:re|aw|sv|tr|fwd?|wg|rv)\s*:\s*)+", re.IGNORECASE)
_REFERENCE = re.compile(r"\[HD-[0-9A-Z]{8}\]", re.IGNORECASE)


@dataclass(frozen=True)
class MailText:
    """What the engine reads of a mail: `whole` is everything the customer sent (subject
    of a new thread, their words, forwarded bounces quoted), `own` their own words."""

    whole: str
    own: str
    had_secret: bool


def mail_text(mail: InboundMail, *, new_thread: bool) -> MailText | None:
    """The engine's input for `mail`, secrets redacted; None when the mail says nothing."""
    own, had_secret = redact(mail.text)
    subject = ""
    if new_thread:  # a reply's subject is the bot's own, not a new question
        subject = _REFERENCE.sub("", _PREFIX.sub("", redact(mail.subject)[0])).strip()
    # Quoted, as a mail client quotes: the bounce parser reads it the same, and the
    # language of the answer is that of the customer's words, not of the bounce.
    forwarded = "\n\n".join(
        "\n".join("> " + line for line in block.splitlines()) for block in mail.forwarded
    )
    if not own.strip() and not subject and not forwarded.strip():
        return None
    whole = "\n\n".join(part for part in (subject, own, forwarded) if part.strip())
    return MailText(whole[:MAX_ENGINE_CHARS], own[:MAX_ENGINE_CHARS], had_secret)


@dataclass(frozen=True)
class Answered:
    """What the engine made of one mail (one turn), worded for an email answer."""

    outcome: Outcome
    blocks: tuple[Block, ...] = ()

    @property
    def state(self) -> DialogueState:
        return self.outcome.state

    @property
    def lang(self) -> str:
        return self.outcome.lang

    @property
    def handoff(self) -> bool:
        return self.outcome.handoff

    @property
    def intents(self) -> list[str]:
        """The topics answered, in order (one turn may answer several)."""
        found: list[str] = []
        for intent in [r.intent for r in self.outcome.replies] + [self.outcome.intent]:
            if intent and intent not in found:
                found.append(intent)
        return found


class MailConversation:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._wording = engine.wording

    def choice_for(self, state: DialogueState, text: str) -> str | None:
        """The quick reply the customer picked by writing its label (or value, or the
        start of its label) alone on the first line of their reply."""
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        wanted = _fold(first)
        if not wanted or len(wanted) > 80:
            return None
        offered = [(_fold(c.label), _fold(c.value), c.value) for c in state.offered]
        for label, value, original in offered:
            if wanted in (label, value):
                return original
        close = [
            original
            for label, _, original in offered
            if label.startswith(wanted + " ") or wanted.startswith(label + " ")
        ]
        return close[0] if len(close) == 1 else None

    async def answer(
        self,
        state: DialogueState,
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
        choice = self.choice_for(state, own) if state.offered else None
        # The engine answers every question of the text in one turn, in order.
        outcome = await self._engine.handle(
            state, Turn(whole, choice, lang_hint, had_secret), reference=reference, now=now
        )
        return Answered(outcome, self._blocks(outcome, reference))

    def _blocks(self, outcome: Outcome, reference: str) -> tuple[Block, ...]:
        """The replies of `outcome` as the blocks of a mail."""
        blocks: list[Block] = []
        worded_handoff = False
        for reply in outcome.replies:
            if outcome.handoff and reply.key == "handoff":
                # The chat's "staff will answer here" becomes the email's wording.
                text = self._wording.say(outcome.lang, "email.handoff", reference=reference)
                blocks.append(Block(text))
                worded_handoff = True
                continue
            blocks.append(Block(reply.text, tuple(c.label for c in reply.choices), reply.links))
        if outcome.handoff and not worded_handoff:
            blocks.append(Block(self._wording.say(outcome.lang, "email.handoff_note")))
        return tuple(blocks)


def _fold(text: str) -> str:
    return re.sub(r"[\s\"'«»“”.!?:;,()\[\]-]+", " ", text.casefold()).strip()
