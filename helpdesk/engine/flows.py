"""One guided flow per intent: a small state machine over `Ctx` (slots, steps, choices).

A flow's `start` runs when its intent is recognised; `resume` gets the next customer
input while the flow waits at a step and returns False when that input is not for it
(the engine then routes it as a new request).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from helpdesk.engine.context import Ctx
from helpdesk.engine.entities import (
    client_of,
    domain_of,
    email_of,
    has_bounce_code,
    moment_of,
    protocol_of,
)
from helpdesk.engine.model import CheckRecord, Choice
from helpdesk.engine.reading import (
    asks_for_settings,
    direction,
    says_link_cannot_reach,
    says_no_error,
    servers_named,
    tells_of_a_hacked_mailbox,
)

Start = Callable[[Ctx], Awaitable[None]]
Resume = Callable[[Ctx], Awaitable[bool]]

YES = re.compile(r"(?i)^\s*(oui|ouais|yes|yep|yeah|ok|d'accord|daccord|bien sûr|sure|y|o)\b")
NO = re.compile(r"(?i)^\s*(non|no|nope|pas du tout|not at all|n)\b")
DOMAIN_LIKE = re.compile(r"^[\w.-]+\.[a-z]{2,}$", re.IGNORECASE)
# How much of a bounce's meaning the dialogue keeps for follow-ups.
GIST_CHARS = 1500


@dataclass(frozen=True)
class Flow:
    start: Start
    resume: Resume | None = None


def _yes_no(ctx: Ctx) -> bool | None:
    if ctx.turn.choice in ("yes", "no"):
        return ctx.turn.choice == "yes"
    if YES.match(ctx.text):
        return True
    if NO.match(ctx.text):
        return False
    return None


_NOT_ARRIVED = re.compile(
    r"(?i)\b(?:toujours pas|pas arriv|pas re[çc]u|n'a (?:rien|pas)|rien re[çc]u|still not"
    r"|still hasn't|didn't (?:arrive|get)|did not (?:arrive|get)|hasn't (?:arrived|got)"
    r"|never (?:arrived|got)|nothing)\b"
)
_ARRIVED = re.compile(
    r"(?i)\b(?:(?:est|c'est|bien) arriv|(?:l'a|a bien) re[çc]u|it arrived|(?:got|received) it"
    r"|went through|ça marche|it works)"
)


def _arrived(text: str) -> bool | None:
    """Whether the test mail arrived, as the customer tells it in a sentence."""
    if _NOT_ARRIVED.search(text):
        return False
    if _ARRIVED.search(text):
        return True
    return None


def _yes_no_choices(ctx: Ctx) -> list[Choice]:
    return [ctx.choice("choice.affirm", "yes"), ctx.choice("choice.deny", "no")]


# --- answers that are a summary and an article


def answer(intent: str, key: str | None = None) -> Flow:
    async def start(ctx: Ctx) -> None:
        # The server the customer named ("ma boîte est sur mail2"), for answers that
        # depend on it (the management panel's address).
        ctx.say(key or f"{intent}.answer", links=ctx.article(intent), server=ctx.facts.server)
        ctx.done()

    return Flow(start)


# --- client settings


CLIENT_LABELS = {
    "outlook": "Outlook",
    "thunderbird": "Thunderbird",
    "apple_mail": "Apple Mail",
    "iphone": "iPhone / iPad",
    "android": "Android",
}


async def _settings_answer(ctx: Ctx, protocol: str | None) -> None:
    """The settings, answered at once: for sending alone when the customer asked about
    sending (the outgoing server is the same whatever they receive with), for the
    protocol they chose, else all of them with IMAP first."""
    provider = ctx.wording.provider
    client = ctx.facts.client or ctx.slots.client
    server = ctx.facts.server or provider.servers[0]
    asked = _turn_direction(ctx)
    label = "IMAP" if protocol == "imap" else "POP3"
    common = {
        "client_label": CLIENT_LABELS.get(client or "", ""),
        "server": server,
        "server_named": ctx.facts.server is not None,
    }
    if asked == "send":
        key = "client_settings.answer_send"
        text = ctx.t(key, **common)
    elif protocol in ("imap", "pop"):
        incoming = provider.imap if protocol == "imap" else provider.pop3
        key = "client_settings.answer"
        text = ctx.t(key, protocol_label=label, incoming=incoming, **common)
    else:
        key = "client_settings.answer_all"
        text = ctx.t(key, **common)
        label = "IMAP"
    if client:
        text += "\n" + ctx.t(f"client_settings.client.{client}", protocol_label=label)
    _, unknown = servers_named(ctx.reading.prose, provider.servers)
    if unknown:
        text += "\n" + ctx.t("client_settings.unknown_server", name=unknown[0])
    ctx.record(
        CheckRecord(
            "client_settings",
            {"protocol": protocol, "client": client, "direction": asked, "server": server},
            {
                "servers": list(provider.servers),
                "imap_port": provider.imap.port,
                "pop3_port": provider.pop3.port,
                "smtp_port": provider.smtp.port,
                "smtp_security": provider.smtp.security,
            },
        )
    )
    ctx.say(key, text=text, links=ctx.article("client_settings"))
    ctx.done()


def _turn_direction(ctx: Ctx) -> str | None:
    """Whether this message asks about sending or receiving (never an earlier one's)."""
    if protocol_of(ctx.understood) == "smtp":
        return "send"
    return direction(ctx.reading.prose or ctx.text)


async def settings_start(ctx: Ctx) -> None:
    protocol = protocol_of(ctx.understood)
    if protocol not in ("imap", "pop"):
        protocol = ctx.facts.protocol
    await _settings_answer(ctx, protocol)


async def settings_resume(ctx: Ctx) -> bool:
    protocol = ctx.turn.choice or protocol_of(ctx.understood)
    if protocol in ("imap", "pop") and _weighs_protocols(ctx):
        # "et si je prends POP quand même ?": what the choice means, then its settings
        ctx.say("imap_vs_pop.answer", links=ctx.article("imap_vs_pop"))
        ctx.learn(protocol=protocol)
        await _settings_answer(ctx, protocol)
        return True
    if protocol in ("imap", "pop"):
        ctx.learn(protocol=protocol)
        await _settings_answer(ctx, protocol)
        return True
    # "unsure" is a quick reply of earlier versions, which asked before answering: a
    # conversation stored then may still answer it.
    if protocol == "unsure" or (ctx.understood and ctx.understood.intent == "imap_vs_pop"):
        ctx.say(
            "imap_vs_pop.answer",
            choices=[ctx.choice("choice.imap", "imap"), ctx.choice("choice.pop", "pop")],
            links=ctx.article("imap_vs_pop"),
        )
        return True
    return False


def _weighs_protocols(ctx: Ctx) -> bool:
    """Whether the message asks what choosing a protocol means rather than choosing it:
    a question of its own, read as the comparison, that asks for no setting."""
    u = ctx.understood
    return (
        ctx.turn.choice is None
        and u is not None
        and u.intent == "imap_vs_pop"
        and "?" in ctx.reading.prose
        and ctx.reading.words >= 3
        and not asks_for_settings(ctx.reading.prose)
    )


async def imap_vs_pop_start(ctx: Ctx) -> None:
    ctx.say("imap_vs_pop.answer", links=ctx.article("imap_vs_pop"))
    ctx.say(
        "imap_vs_pop.offer",
        choices=[ctx.choice("choice.imap", "imap"), ctx.choice("choice.pop", "pop")],
    )
    ctx.goto("client_settings", "protocol")


# --- bounces


async def _explain_bounce(ctx: Ctx, text: str) -> bool:
    # The report the customer pasted, without their story around it; the whole text
    # when they only quoted it in a sentence.
    answer = await ctx.check_bounce(ctx.reading.machine or text)
    if not answer.ok:
        return False
    if answer.gist:
        ctx.learn(bounce=answer.gist[:GIST_CHARS])
    quoted_only = not ctx.reading.has_machine_text
    # A bounce the customer only quoted in a sentence ("refusé avec un code 550 5.7.26
    # qui parle de..."): its meaning, never their own sentence shown as "what the
    # server said".
    body = answer.gist if quoted_only and answer.gist else answer.text
    ctx.say(text=body, links=ctx.article("bounce"), intent="bounce")
    domain = ctx.facts.domain
    if answer.reason == "authfailure" and domain:
        # Who must fix it is in the domain's own records: check them now.
        checked = await ctx.check_domain(domain)
        ctx.say(text=checked.text, intent="bounce")
    ctx.done()
    return True


async def bounce_start(ctx: Ctx) -> None:
    if ctx.follow_up and ctx.facts.bounce and not has_bounce_code(ctx.understood):
        ctx.say("bounce.followup", gist=ctx.facts.bounce, links=ctx.article("bounce"))
        return
    # Evidence first: a pasted report, a code, or a bounce's words quoted in a sentence.
    if await _explain_bounce(ctx, ctx.text):
        return
    ctx.say("bounce.ask_paste")
    ctx.goto("bounce", "paste")


async def bounce_resume(ctx: Ctx) -> bool:
    if await _explain_bounce(ctx, ctx.text):
        return True
    if ctx.state.bounce_misses:
        ctx.update(bounce_misses=0)
        return False
    ctx.update(bounce_misses=1)
    ctx.say("bounce.unreadable", choices=[ctx.choice("choice.human", "human")])
    return True


# --- not received: the decision tree of the seed


async def not_received_start(ctx: Ctx) -> None:
    if ctx.follow_up and ctx.facts.bounce:
        ctx.say("bounce.followup", gist=ctx.facts.bounce, links=ctx.article("bounce"))
        return
    if await _explain_bounce(ctx, ctx.text):
        return
    if says_no_error(ctx.reading.prose):
        # Never ask for what was given: "no error came back" skips the first question.
        _no_error(ctx)
        return
    ctx.say("not_received.ask_error", choices=_yes_no_choices(ctx))
    ctx.goto("not_received", "error")


def _no_error(ctx: Ctx) -> None:
    """No error came back: where was it sent from? (the seed's decision tree)."""
    source = _software_from_text(ctx)
    _keep_details(ctx)
    if source is None and (ctx.slots.recipient or ctx.slots.when):
        # The customer is telling the case already: straight to the seed's test (from
        # webmail); what they gave is kept for the logs, never asked again.
        source = "client_app"
    if source is None:
        ctx.say(
            "not_received.ask_software",
            choices=[
                ctx.choice("choice.client_app", "client_app"),
                ctx.choice("choice.software", "software"),
                ctx.choice("choice.webmail", "webmail"),
            ],
        )
        ctx.goto("not_received", "software")
        return
    _from_source(ctx, source)


def _from_source(ctx: Ctx, source: str) -> None:
    ctx.remember(source=source)
    if source == "webmail":
        _details(ctx)
    else:
        ctx.say("not_received.try_webmail", choices=_yes_no_choices(ctx))
        ctx.goto("not_received", "webmail_test")


def _keep_details(ctx: Ctx) -> None:
    """The recipient and the time of sending the customer's own words give."""
    recipient = email_of(ctx.understood, ctx.reading.prose or ctx.text)
    if recipient:
        ctx.remember(recipient=recipient)
    moment = moment_of(ctx.understood)
    if moment:
        ctx.remember(when=moment[0], when_resolved=moment[1])


def _details(ctx: Ctx) -> bool:
    """The recipient and the time of sending, for staff to read the logs: taken from
    what the customer wrote, asked for when missing. False when this input gives none
    of them while the flow already waits for them."""
    had = (ctx.slots.recipient, ctx.slots.when)
    _keep_details(ctx)
    recipient, when = ctx.slots.recipient, ctx.slots.when
    if recipient and when:
        details = {"recipient": recipient, "when": when, "when_resolved": ctx.slots.when_resolved}
        ctx.event("not_received.details", details)
        ctx.handoff("not_received.handoff", recipient=recipient, when=when)
        return True
    if ctx.step != "details" and not (recipient or when):
        ctx.say("not_received.ask_details")
        ctx.goto("not_received", "details")
        return True
    if ctx.step == "details" and (recipient, when) == had:
        return False  # this input gave nothing the flow waits for
    ctx.goto("not_received", "details")
    missing = "not_received.missing_recipient" if not recipient else "not_received.missing_time"
    ctx.say("not_received.ask_details_missing", missing=ctx.t(missing))
    return True


async def not_received_resume(ctx: Ctx) -> bool:
    step = ctx.step
    if step == "error":
        if has_bounce_code(ctx.understood):
            return await _explain_bounce(ctx, ctx.text) or await bounce_resume(ctx)
        said = _yes_no(ctx)
        own_words = ctx.reading.prose
        if said is None and (email_of(ctx.understood, own_words) or moment_of(ctx.understood)):
            return _details(ctx)  # sent from webmail already, as the answer suggested
        if said is None and _arrived(ctx.text) is False:
            return _details(ctx)  # the webmail test the answer suggested failed
        if said is None:
            if not says_no_error(ctx.reading.prose):
                return False
            said = False
        if said:
            ctx.say("not_received.ask_paste")
            ctx.goto("bounce", "paste")
        else:
            _no_error(ctx)
        return True
    if step == "software":
        source = ctx.turn.choice or _software_from_text(ctx)
        if source is None:
            return False
        _from_source(ctx, source)
        return True
    if step == "webmail_test":
        said = _yes_no(ctx)
        if said is None:
            said = _arrived(ctx.text)
        if said is None:
            return False
        if said:
            ctx.say("not_received.config_issue", links=ctx.article("client_settings"))
            ctx.done()
        else:
            _details(ctx)
        return True
    if step == "details":
        return _details(ctx)
    return False


def _software_from_text(ctx: Ctx) -> str | None:
    folded = ctx.text.lower()
    if "webmail" in folded:
        return "webmail"
    if any(w in folded for w in ("erp", "crm", "logiciel métier", "business", "site", "script")):
        return "software"
    # not "client": in French it is as often the customer's own customer
    if client_of(ctx.understood) or any(w in folded for w in ("logiciel", "app", "outlook")):
        return "client_app"
    return None


# --- domain checks (SPF, DMARC, MX) and spam placement


def _domain_flow(intent: str, procedure: str, *, always: bool) -> Flow:
    """A flow that checks the customer's domain. `procedure` (what the seed answers) is
    said first, so that the answer never waits on a domain the customer may not have;
    with `always` False, only when no domain is known (a check asked for by name needs
    no lesson first)."""

    async def run(ctx: Ctx, domain: str, *, linked: bool) -> None:
        ctx.learn(domain=domain)
        answer = await ctx.check_domain(domain)
        ctx.say(text=answer.text, links=[] if linked else ctx.article(intent))
        ctx.done()

    async def start(ctx: Ctx) -> None:
        domain = domain_of(ctx.understood) or ctx.facts.domain
        explained = always or not domain
        if explained:
            ctx.say(procedure, links=ctx.article(intent))
        if domain:
            await run(ctx, domain, linked=explained)
            return
        ctx.say("domain.offer_check")
        ctx.goto(intent, "domain")

    async def resume(ctx: Ctx) -> bool:
        domain = domain_of(ctx.understood)
        if domain is None:
            word = ctx.text.strip().strip(".").lower()
            if DOMAIN_LIKE.match(word):
                domain = word
        if domain is None:
            if len(ctx.text.split()) <= 2 and ctx.text.strip() and not always:
                ctx.say("domain.bad_domain", domain=ctx.text.strip()[:80])
                return True
            return False
        await run(ctx, domain, linked=False)
        return True

    return Flow(start, resume)


# --- antispam: the rule for the sender the customer named


_SENDER = re.compile(
    r"(?i)(?:\bfrom|\bde|\bdepuis|\bpar|exp[ée]diteur|sender|\banything|\btout|\btous)"
    r"\s+(?:\S+\s+){0,2}?(\*?@[\w.-]+\.[a-z]{2,}|[\w.+-]+@[\w.-]+\.[a-z]{2,})"
)
_BLOCKING = re.compile(r"(?i)\b(?:bloqu\w*|block\w*|blacklist\w*|stop\w*|emp[êe]ch\w*)")


def antispam_rule(text: str) -> str | None:
    """The filter rule for the sender `text` names ("they come from x@y.fr", "anything
    @y.fr"): whitelist_from, or blacklist_from when the customer wants it blocked."""
    found = _SENDER.search(text)
    if found is None:
        return None
    sender = found.group(1)
    sender = "*" + sender if sender.startswith("@") else sender
    before = text[: found.start()]
    name = "blacklist_from" if _BLOCKING.search(before[-80:]) else "whitelist_from"
    return f"{name} {sender}"


async def antispam_start(ctx: Ctx) -> None:
    story = ctx.reading.prose
    ctx.say("antispam.answer", links=ctx.article("antispam"), rule=antispam_rule(story))
    ctx.done()


# --- sending limits, and a mailbox that sends what its owner did not write


async def sending_limit_start(ctx: Ctx) -> None:
    story = ctx.reading.prose
    if ctx.follow_up and ctx.state.asked:
        story = f"{ctx.state.asked}\n{story}"
    key = "sending_limit.hacked" if tells_of_a_hacked_mailbox(story) else "sending_limit.answer"
    ctx.say(key, links=ctx.article("sending_limit"))
    ctx.done()


# --- password forgotten: a one-time link to the recovery address, via the mailbox service


async def _request_reset(ctx: Ctx, address: str) -> None:
    if ctx.resets is None:  # no mailbox service wired in: staff send the link
        ctx.handoff("password_forgot.handoff", address=address)
        return
    # The answer is the same whether or not the mailbox exists or has a recovery address;
    # only this conversation asking too often changes it.
    result = await ctx.resets.request(
        address,
        client=f"conversation:{ctx.reference}",
        lang=ctx.lang,
        reference=ctx.reference,
        network=ctx.turn.client,
    )
    ctx.record(CheckRecord("password_reset", {"address": address}, {"request": result}))
    human = [ctx.choice("choice.human", "human")]
    if result == "limited":
        ctx.say("password_forgot.limited", choices=human)
    else:
        ctx.say(
            "password_forgot.sent", address=address, minutes=ctx.resets.link_minutes, choices=human
        )
    ctx.done()


async def password_forgot_start(ctx: Ctx) -> None:
    address = email_of(ctx.understood)
    if says_link_cannot_reach(ctx.reading.prose):
        # no recovery address, or the links never came: another link would not either;
        # support checks who the customer is and sends one where it can arrive
        ctx.handoff("password_forgot.no_recovery", address=address)
        return
    if address:
        await _request_reset(ctx, address)
        return
    ctx.say("password_forgot.ask_address")
    ctx.goto("password_forgot", "address")


async def password_forgot_resume(ctx: Ctx) -> bool:
    address = email_of(ctx.understood)
    if says_link_cannot_reach(ctx.reading.prose):
        ctx.handoff("password_forgot.no_recovery", address=address)
        return True
    if not address:
        return False
    await _request_reset(ctx, address)
    return True


# --- conversation


async def greeting_start(ctx: Ctx) -> None:
    ctx.say("greeting", choices=[ctx.intent_choice(i) for i in POPULAR])
    ctx.done()


async def thanks_start(ctx: Ctx) -> None:
    ctx.say("thanks")
    ctx.done()


async def human_start(ctx: Ctx) -> None:
    ctx.handoff()


async def out_of_scope_start(ctx: Ctx) -> None:
    ctx.say("out_of_scope.answer", choices=[ctx.choice("choice.human", "human")])
    ctx.done()


POPULAR = ("client_settings", "bounce", "password_forgot", "spam_placement", "webmail", "human")

FLOWS: dict[str, Flow] = {
    "webmail": answer("webmail"),
    "client_settings": Flow(settings_start, settings_resume),
    "autoreply": answer("autoreply"),
    "imap_vs_pop": Flow(imap_vs_pop_start, settings_resume),
    "not_received": Flow(not_received_start, not_received_resume),
    "bounce": Flow(bounce_start, bounce_resume),
    "spam_placement": _domain_flow("spam_placement", "spam_placement.answer", always=True),
    "backup": answer("backup"),
    "auto_cc": answer("auto_cc"),
    "password_forgot": Flow(password_forgot_start, password_forgot_resume),
    "password_change": answer("password_change"),
    "spf": _domain_flow("spf", "spf.answer", always=False),
    "mailbox_create": answer("mailbox_create"),
    "forwarding": answer("forwarding"),
    "alias": answer("alias"),
    "antispam": Flow(antispam_start),
    "quota_full": answer("quota_full"),
    "sending_limit": Flow(sending_limit_start),
    "human": Flow(human_start),
    "greeting": Flow(greeting_start),
    "thanks": Flow(thanks_start),
    "out_of_scope": Flow(out_of_scope_start),
}
