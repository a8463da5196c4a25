"""Plays the written conversations of tests/data/conversations against the bot.

One harness for `bench/conversations.py` (scores by set, category and language) and for
`tests/helpdesk/engine/test_conversation_set.py` (holds the score to a floor). The bot
is built as the service builds it (the real understanding model, wording, knowledge
base and diagnostics), with DNS answered from the zone below and password resets
accepted in memory: the conversations run in process, without a server or network.
Chat turns go through `Engine.handle`; email turns are real mails parsed by the email
channel's reader and answered by its `MailConversation`.

A conversation succeeds when every checked turn does: the facts it expects are in the
answer to that turn (case, accents and spaces ignored; a fact made of digits must stand
as a whole number), the facts it forbids are not, the answer is in the conversation's
language, and the bot hands over where the turn says it must.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from diagnostics.zone import ZoneResolver
from helpdesk.email.conversation import MailConversation, mail_text
from helpdesk.email.parse import parse_mail
from helpdesk.engine import DialogueState, Engine, EngineDeps, Turn, Wording
from helpdesk.engine.checks import DiagnosticChecks
from helpdesk.kb.articles import load_articles
from helpdesk.kb.knowledge import KnowledgeBase
from helpdesk.profile import load_profile
from helpdesk.resources import KB_DIR, TEMPLATES_DIR
from helpdesk.understanding import Understanding
from tests.helpdesk.engine.conftest import FakeResets

SET_DIR = Path(__file__).resolve().parent / "data" / "conversations"
CATEGORIES = (
    "followup",
    "two_questions",
    "long_message",
    "typos",
    "seed_topics",
    "email_thread",
)
# A weekday afternoon in the provider's zone: "hier à 14h" is the day before at 14:00.
NOW = datetime(2026, 12, 1, 16, 30, tzinfo=ZoneInfo("Europe/Paris"))
CUSTOMER = "client.test@exemple-client.fr"

_SPF_OK = "v=spf1 a:mail.zindex.fr a:mail2.zindex.fr -all"
# The domains of the set's README, as DNS zone data.
ZONE: dict[str, list[Any]] = {
    "plomberie-dupont.fr": [{"MX": [10, "mail.zindex.fr"]}, {"A": "192.0.2.10"}],
    "atelier-martin.fr": [
        {"MX": [10, "mail.zindex.fr"]},
        {"MX": [20, "mail2.zindex.fr"]},
        {"TXT": _SPF_OK},
        {"A": "192.0.2.11"},
    ],
    "_dmarc.atelier-martin.fr": [
        {"TXT": "v=DMARC1; p=quarantine; rua=mailto:dmarc@atelier-martin.fr"}
    ],
    "cabinet-leroy.com": [
        {"MX": [1, "aspmx.l.google.com"]},
        {"TXT": "v=spf1 include:_spf.google.com ~all"},
        {"A": "192.0.2.12"},
    ],
    "_spf.google.com": [{"TXT": "v=spf1 ip4:209.85.128.0/17 ~all"}],
    "aspmx.l.google.com": [{"A": "142.250.27.26"}],
    "dns-en-panne.fr": ["TIMEOUT"],
    "mail.zindex.fr": [{"A": "192.0.2.25"}],
    "mail2.zindex.fr": [{"A": "192.0.2.26"}],
}


@dataclass(frozen=True)
class Step:
    say: str
    subject: str | None
    expect: tuple[tuple[str, ...], ...]
    forbid: tuple[str, ...]
    handoff: bool

    @property
    def checked(self) -> bool:
        return bool(self.expect or self.forbid or self.handoff)


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    lang: str
    channel: str
    part: str  # "tuning" or "heldback"
    steps: tuple[Step, ...]
    source: str | None = None


@dataclass(frozen=True)
class TurnResult:
    said: str
    answer: str
    lang: str
    handoff: bool
    missing: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    wrong_lang: bool = False
    no_handoff: bool = False

    @property
    def ok(self) -> bool:
        return not (self.missing or self.forbidden or self.wrong_lang or self.no_handoff)


@dataclass(frozen=True)
class Result:
    conversation: Conversation
    turns: tuple[TurnResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.turns)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def load(parts: Iterable[str] = ("tuning", "heldback")) -> list[Conversation]:
    """The conversations of the set's `parts`, in file order; a malformed entry raises."""
    out: list[Conversation] = []
    seen: set[str] = set()
    for part in parts:
        for path in sorted((SET_DIR / part).glob("*.yaml")):
            for raw in yaml.safe_load(path.read_text("utf-8")) or []:
                conv_id = str(raw["id"])
                if conv_id in seen:
                    raise ValueError(f"{path.name}: duplicate id {conv_id}")
                seen.add(conv_id)
                if raw["category"] not in CATEGORIES or raw["lang"] not in ("fr", "en"):
                    raise ValueError(f"{path.name}: {conv_id}: bad category or lang")
                steps = tuple(
                    Step(
                        say=str(t["say"]),
                        subject=t.get("subject"),
                        expect=tuple(_as_tuple(f) for f in t.get("expect") or ()),
                        forbid=_as_tuple(t.get("forbid")),
                        handoff=bool(t.get("handoff")),
                    )
                    for t in raw["turns"]
                )
                out.append(
                    Conversation(
                        id=conv_id,
                        category=raw["category"],
                        lang=raw["lang"],
                        channel=raw.get("channel", "chat"),
                        part=part,
                        steps=steps,
                        source=raw.get("source"),
                    )
                )
    return out


def fold(text: str) -> str:
    """Lower case, no accents, one space between words: how facts are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("\u2019", "'").split())


def has_fact(answer: str, fact: str) -> bool:
    wanted = fold(fact)
    if not wanted:
        return True
    if wanted.isdigit():
        return re.search(rf"(?<![\d.,]){wanted}(?![\d]|[.,]\d)", answer) is not None
    return wanted in answer


def judge(step: Step, answer: str, lang: str, handoff: bool, expected_lang: str) -> TurnResult:
    folded = fold(answer)
    missing = tuple(
        " | ".join(alternatives)
        for alternatives in step.expect
        if not any(has_fact(folded, f) for f in alternatives)
    )
    forbidden = tuple(f for f in step.forbid if has_fact(folded, f))
    return TurnResult(
        said=step.say,
        answer=answer,
        lang=lang,
        handoff=handoff,
        missing=missing,
        forbidden=forbidden,
        wrong_lang=step.checked and bool(answer.strip()) and lang != expected_lang,
        no_handoff=step.handoff and not handoff,
    )


def build_engine(understanding: Understanding | None = None) -> Engine:
    """The engine as the service builds it, over the zone above."""
    profile = load_profile({}, None)
    model = understanding or Understanding.load(KB_DIR)
    return Engine(
        EngineDeps(
            understanding=model,
            wording=Wording(TEMPLATES_DIR / "bot", profile),
            checks=DiagnosticChecks(ZoneResolver(ZONE), profile),
            articles=KnowledgeBase(load_articles(KB_DIR), profile, "https://help.test"),
            # The mailbox service is not under test here: every reset is accepted.
            resets=FakeResets(),
        )
    )


def _mail(step: Step, index: int, first_id: str | None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Client Test <{CUSTOMER}>"
    msg["To"] = "support@zindex.fr"
    msg["Subject"] = step.subject or ("" if index == 0 else "Re: votre demande")
    msg["Date"] = format_datetime(NOW)
    msg["Message-ID"] = make_msgid(domain="exemple-client.fr")
    if first_id:
        msg["In-Reply-To"] = first_id
        msg["References"] = first_id
    msg.set_content(step.say)
    return bytes(msg)


async def play(engine: Engine, conversation: Conversation) -> Result:
    """Every turn of `conversation` against `engine`, each answer judged."""
    state = DialogueState()
    turns: list[TurnResult] = []
    mails = MailConversation(engine)
    first_id: str | None = None
    for index, step in enumerate(conversation.steps):
        if conversation.channel == "email":
            mail = parse_mail(_mail(step, index, first_id))
            first_id = first_id or mail.message_id
            text = mail_text(mail, new_thread=index == 0)
            if text is None:
                turns.append(judge(step, "", state.lang or "fr", False, conversation.lang))
                continue
            answered = await mails.answer(
                state,
                whole=text.whole,
                own=text.own,
                had_secret=text.had_secret,
                lang_hint=mail.lang_hint,
                reference="HD-TEST0001",
                now=NOW,
            )
            state = answered.state
            answer = "\n\n".join(
                "\n".join([b.text, *b.choices, *(link.label for link in b.links)])
                for b in answered.blocks
            )
            turns.append(judge(step, answer, answered.lang, answered.handoff, conversation.lang))
        else:
            outcome = await engine.handle(state, Turn(step.say), reference="HD-TEST0001", now=NOW)
            state = outcome.state
            answer = "\n\n".join(
                "\n".join([r.text, *(link.label for link in r.links)]) for r in outcome.replies
            )
            turns.append(judge(step, answer, outcome.lang, outcome.handoff, conversation.lang))
    return Result(conversation, tuple(turns))


async def play_all(engine: Engine, conversations: Sequence[Conversation]) -> list[Result]:
    return [await play(engine, c) for c in conversations]


def score(results: Sequence[Result]) -> float:
    return sum(r.ok for r in results) / len(results) if results else 0.0


def table(results: Sequence[Result]) -> str:
    """Success by part, category and language, as text."""
    lines = [f"{'group':<28}{'right':>7}{'of':>5}{'score':>8}"]

    def row(name: str, group: Sequence[Result]) -> None:
        if group:
            right = sum(r.ok for r in group)
            lines.append(f"{name:<28}{right:>7}{len(group):>5}{right / len(group):>8.1%}")

    row("all", results)
    for part in ("tuning", "heldback"):
        row(f"part {part}", [r for r in results if r.conversation.part == part])
    for category in CATEGORIES:
        row(f"category {category}", [r for r in results if r.conversation.category == category])
    for lang in ("fr", "en"):
        row(f"language {lang}", [r for r in results if r.conversation.lang == lang])
    for channel in ("chat", "email"):
        row(f"channel {channel}", [r for r in results if r.conversation.channel == channel])
    return "\n".join(lines)


def failures(results: Sequence[Result]) -> str:
    """What went wrong in each failed conversation, for the one reading the bench."""
    out: list[str] = []
    for result in results:
        if result.ok:
            continue
        c = result.conversation
        out.append(f"== {c.id} ({c.part}, {c.category}, {c.lang}, {c.channel})")
        for i, turn in enumerate(result.turns, 1):
            flag = "ok " if turn.ok else "BAD"
            out.append(f"  {flag} {i}> {turn.said[:300]!r}")
            if not turn.ok:
                out.append("      bot: " + turn.answer[:600].replace("\n", "\n           "))
                if turn.missing:
                    out.append(f"      missing: {list(turn.missing)}")
                if turn.forbidden:
                    out.append(f"      forbidden: {list(turn.forbidden)}")
                if turn.wrong_lang:
                    out.append(f"      answered in {turn.lang}")
                if turn.no_handoff:
                    out.append("      no hand-off")
    return "\n".join(out)
