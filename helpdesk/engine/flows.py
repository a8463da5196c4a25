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

Start = Callable[[Ctx], Awaitable[None]]
Resume = Callable[[Ctx], Awaitable[bool]]

YES = re.compile(r"(?i)^\s*(oui|ouais|yes|yep|yeah|ok|d'accord|daccord|bien sûr|sure|y|o)\b")
NO = re.compile(r"(?i)^\s*(non|no|nope|pas du tout|not at all|n)\b")
DOMAIN_LIKE = re.compile(r"^[\w.-]+\.[a-z]{2,}$", re.IGNORECASE)


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


def _yes_no_choices(ctx: Ctx) -> list[Choice]:
    return [ctx.choice("choice.affirm", "yes"), ctx.choice("choice.deny", "no")]


# --- answers that are a summary and an article


def answer(intent: str, key: str | None = None) -> Flow:
    async def start(ctx: Ctx) -> None:
        ctx.say(key or f"{intent}.answer", links=ctx.article(intent))
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


async def _settings_answer(ctx: Ctx, protocol: str) -> None:
    provider = ctx.wording.provider
    client = ctx.slots.client
    incoming = provider.imap if protocol == "imap" else provider.pop3
    label = "IMAP" if protocol == "imap" else "POP3"
    text = ctx.t(
        "client_settings.answer",
        protocol_label=label,
        client_label=CLIENT_LABELS.get(client or "", ""),
        server=provider.servers[0],
        incoming=incoming,
    )
    hint_key = f"client_settings.client.{client or 'other'}"
    text += "\n" + ctx.t(hint_key, protocol_label=label)
    ctx.record(
        CheckRecord(
            "client_settings",
            {"protocol": protocol, "client": client},
            {
                "servers": list(provider.servers),
                "incoming_port": incoming.port,
                "incoming_security": incoming.security,
                "smtp_port": provider.smtp.port,
                "smtp_security": provider.smtp.security,
            },
        )
    )
    ctx.say(text=text, links=ctx.article("client_settings"))
    ctx.done()


async def settings_start(ctx: Ctx) -> None:
    client = client_of(ctx.understood)
    if client:
        ctx.remember(client=client)
    protocol = protocol_of(ctx.understood)
    if protocol in ("imap", "pop"):
        await _settings_answer(ctx, protocol)
        return
    ctx.say(
        "client_settings.ask_protocol",
        choices=[
            ctx.choice("choice.imap", "imap"),
            ctx.choice("choice.pop", "pop"),
            ctx.choice("choice.unsure", "unsure"),
        ],
    )
    ctx.goto("client_settings", "protocol")


async def settings_resume(ctx: Ctx) -> bool:
    client = client_of(ctx.understood)
    if client:
        ctx.remember(client=client)
    protocol = ctx.turn.choice or protocol_of(ctx.understood)
    if protocol in ("imap", "pop"):
        await _settings_answer(ctx, protocol)
        return True
    if protocol == "unsure" or (ctx.understood and ctx.understood.intent == "imap_vs_pop"):
        ctx.say(
            "imap_vs_pop.answer",
            choices=[ctx.choice("choice.imap", "imap"), ctx.choice("choice.pop", "pop")],
            links=ctx.article("imap_vs_pop"),
        )
        return True
    return False


async def imap_vs_pop_start(ctx: Ctx) -> None:
    ctx.say("imap_vs_pop.answer", links=ctx.article("imap_vs_pop"))
    ctx.say(
        "imap_vs_pop.offer",
        choices=[ctx.choice("choice.imap", "imap"), ctx.choice("choice.pop", "pop")],
    )
    ctx.goto("client_settings", "protocol")


# --- bounces


async def _explain_bounce(ctx: Ctx, text: str) -> bool:
    answer = await ctx.check_bounce(text)
    if not answer.ok:
        return False
    ctx.say(text=answer.text, links=ctx.article("bounce"), intent="bounce")
    ctx.done()
    return True


async def bounce_start(ctx: Ctx) -> None:
    if has_bounce_code(ctx.understood) and await _explain_bounce(ctx, ctx.text):
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
    if has_bounce_code(ctx.understood) and await _explain_bounce(ctx, ctx.text):
        return
    ctx.say("not_received.ask_error", choices=_yes_no_choices(ctx))
    ctx.goto("not_received", "error")


async def not_received_resume(ctx: Ctx) -> bool:
    step = ctx.step
    if step == "error":
        if has_bounce_code(ctx.understood):
            return await _explain_bounce(ctx, ctx.text) or await bounce_resume(ctx)
        said = _yes_no(ctx)
        if said is None:
            return False
        if said:
            ctx.say("not_received.ask_paste")
            ctx.goto("bounce", "paste")
        else:
            ctx.say(
                "not_received.ask_software",
                choices=[
                    ctx.choice("choice.client_app", "client_app"),
                    ctx.choice("choice.software", "software"),
                    ctx.choice("choice.webmail", "webmail"),
                ],
            )
            ctx.goto("not_received", "software")
        return True
    if step == "software":
        source = ctx.turn.choice or _software_from_text(ctx)
        if source is None:
            return False
        ctx.remember(source=source)
        if source == "webmail":
            ctx.say("not_received.ask_details")
            ctx.goto("not_received", "details")
        else:
            ctx.say("not_received.try_webmail", choices=_yes_no_choices(ctx))
            ctx.goto("not_received", "webmail_test")
        return True
    if step == "webmail_test":
        said = _yes_no(ctx)
        if said is None:
            return False
        if said:
            ctx.say("not_received.config_issue", links=ctx.article("client_settings"))
            ctx.done()
        else:
            ctx.say("not_received.ask_details")
            ctx.goto("not_received", "details")
        return True
    if step == "details":
        recipient = email_of(ctx.understood) or ctx.slots.recipient
        moment = moment_of(ctx.understood)
        if moment:
            ctx.remember(when=moment[0], when_resolved=moment[1])
        when = ctx.slots.when
        if recipient:
            ctx.remember(recipient=recipient)
        if recipient and when:
            details = {
                "recipient": recipient,
                "when": when,
                "when_resolved": ctx.slots.when_resolved,
            }
            ctx.event("not_received.details", details)
            ctx.handoff("not_received.handoff", recipient=recipient, when=when)
            return True
        if not recipient and not when:
            return False
        missing = "not_received.missing_recipient" if not recipient else "not_received.missing_time"
        ctx.say("not_received.ask_details_missing", missing=ctx.t(missing))
        return True
    return False


def _software_from_text(ctx: Ctx) -> str | None:
    folded = ctx.text.lower()
    if "webmail" in folded:
        return "webmail"
    if any(w in folded for w in ("erp", "crm", "logiciel métier", "business", "site", "script")):
        return "software"
    if client_of(ctx.understood) or any(w in folded for w in ("logiciel", "app", "client")):
        return "client_app"
    return None


# --- domain checks (SPF, DMARC, MX) and spam placement


def _domain_flow(intent: str, advice: str | None) -> Flow:
    async def run(ctx: Ctx, domain: str) -> None:
        answer = await ctx.check_domain(domain)
        text = answer.text + (("\n" + ctx.t(advice)) if advice else "")
        ctx.say(text=text, links=ctx.article(intent))
        ctx.done()

    async def start(ctx: Ctx) -> None:
        domain = domain_of(ctx.understood)
        if domain:
            await run(ctx, domain)
            return
        ctx.say("domain.ask_domain")
        ctx.goto(intent, "domain")

    async def resume(ctx: Ctx) -> bool:
        domain = domain_of(ctx.understood)
        if domain is None:
            word = ctx.text.strip().strip(".").lower()
            if DOMAIN_LIKE.match(word):
                domain = word
        if domain is None:
            if len(ctx.text.split()) <= 2 and ctx.text.strip():
                ctx.say("domain.bad_domain", domain=ctx.text.strip()[:80])
                return True
            return False
        await run(ctx, domain)
        return True

    return Flow(start, resume)


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
    if address:
        await _request_reset(ctx, address)
        return
    ctx.say("password_forgot.ask_address")
    ctx.goto("password_forgot", "address")


async def password_forgot_resume(ctx: Ctx) -> bool:
    address = email_of(ctx.understood)
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
    "spam_placement": _domain_flow("spam_placement", "domain.spam_advice"),
    "backup": answer("backup"),
    "auto_cc": answer("auto_cc"),
    "password_forgot": Flow(password_forgot_start, password_forgot_resume),
    "password_change": answer("password_change"),
    "spf": _domain_flow("spf", None),
    "mailbox_create": answer("mailbox_create"),
    "forwarding": answer("forwarding"),
    "alias": answer("alias"),
    "antispam": answer("antispam"),
    "quota_full": answer("quota_full"),
    "sending_limit": answer("sending_limit"),
    "human": Flow(human_start),
    "greeting": Flow(greeting_start),
    "thanks": Flow(thanks_start),
    "out_of_scope": Flow(out_of_scope_start),
}
