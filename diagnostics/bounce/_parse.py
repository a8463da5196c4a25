"""Diagnose a bounce: a whole message, a forwarded one, or pasted text."""

from __future__ import annotations

import re

from . import _concepts, _dsn, _json, _mime, _reasons, _rhost, _text
from ._model import BounceReport, FailedRecipient

_BOUNCE_FROM = re.compile(
    r"mailer-daemon|postmaster|mail delivery|mail ?administrator|mailerdaemon|"
    r"delivery (?:status|subsystem|notification)|bounce|nobody@|mail ?system|"
    r"microsoftexchange|system administrator|mdaemon|mail router",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (?:status|failure|failed|notification|report|problem)|"
    r"failure notice|returned mail|mail delivery|non[- ]?delivery|could not be delivered|"
    r"delivery has failed|returning message|warning: could not send|delayed mail|"
    r"message not delivered|not delivered|unzustellbar|non remis|non distribu|"
    r"échec de (?:la )?(?:remise|distribution|livraison)|echec de (?:la )?(?:remise|distribution)|"
    r"impossible de remettre|erreur de (?:remise|distribution)|mail system error|"
    r"delivery_failure|mail failure|rejected|\bbounced?\b|error sending|"
    r"failed delivery|delivery notification|message delivery|returned to sender",
    re.I,
)
_AUTOREPLY_SUBJECT = re.compile(
    r"out of (?:the )?office|auto(?:matic)?[- ]?(?:reply|response)|^auto:|absence|absent|"
    r"réponse automatique|reponse automatique|vacation|abwesenheit|congés|en congé|away from",
    re.I,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|tr|transf(?:éré)?|wg|rv)\s*:", re.I)
_REMOTE = (
    r"(?:host|server|serveur|mx|by|from|to|talking to|connected to|remote host)\s+"
    r"\[?([a-z0-9][a-z0-9.-]*\.[a-z]{2,})\]?(?:\s*\[[\d.:a-f]+\])?\s*"
    r"(?:said|:|\(|\[|refused|but|a répondu|a repondu)"
)
_COMMAND = re.compile(
    r"(?:in reply to|after|most progress was|did not like our|smtp:|\[) ?(?:the )?"
    r"(mail from|mail_from|mail|rcpt to|rcpt_to|rcpt|end of data|data|helo|ehlo|"
    r"initial connection|connect|greeting|banner)\b"
    # other wordings, where only a command's full name is one ("during mail delivery" is not)
    r"|(?:in response to|response to|during) (?:the )?(mail from|rcpt to|end of data|data|"
    r"helo|ehlo)\b"
    # IMail and others name the command first: "RCPT TO generated following response"
    r"|\b(mail from|rcpt to|data)(?::<[^>]{0,300}>)? (?:generated|returned|got|received)\b"
)
# Replies that only the RCPT stage gives (qmail's summary, Postfix smtpd's restriction),
# looked for as strings (an expression of alternatives is tried at every character).
_RCPT_REPLIES = ("does not like recipient", "recipient address rejected", "following rcpt command")
_IN_RCPT = re.compile(r"\bin rcpt to\b")
_TRANSCRIPT_REPLY = re.compile(r"<<< [45]\d\d")
_TRANSCRIPT_SENT = re.compile(r">>> (mail|rcpt|data|helo|ehlo)")
_REMOTE_FIELD = (
    r"(?:remote[- ]mta|remote server|serveur distant|serveur de destination)\s*:\s*(?:dns;\s*)?"
    r"\[?([a-z0-9][a-z0-9.-]*\.[a-z]{2,})"
)
# PowerMTA files each bounce under a category of its own (X-PowerMTA-BounceCategory).
_POWERMTA_CATEGORY: dict[str, str] = {
    "bad-domain": "hostunknown", "bad-mailbox": "userunknown", "inactive-mailbox": "suspend",
    "message-expired": "expired", "no-answer-from-host": "networkerror",
    "policy-related": "policyviolation", "quota-issues": "mailboxfull",
    "routing-errors": "systemerror", "spam-related": "spamdetected",
}  # fmt: skip
_RECEIVED_BY = re.compile(r"\bby\s+([a-z0-9][a-z0-9.-]*\.[a-z]{2,})", re.I)
# The same for lower-case text, led by its literal "by" (searched for as such) and the
# word boundary checked behind it: a leading \b is tried at every character.
_RECEIVED_BY_LOWER = re.compile(r"by(?<!\wby)\s+([a-z0-9][a-z0-9.-]*\.[a-z]{2,})")
_LOCAL_CAUSES = frozenset(
    {"mailboxfull", "systemfull", "mesgtoobig", "suspend", "virusdetected", "spamdetected",
     "policyviolation", "userunknown", "hasmoved"}
)  # fmt: skip
_DELIVERED_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
_TRANSCRIPT_SENDER = re.compile(r"\bmail\s+from:\s*<([^<>\s]{3,320})>", re.I)
_NOT_RECIPIENT = re.compile(r"^(?:mailer-daemon|postmaster|double-bounce|nobody|root)@", re.I)


def _undefined(kind: str, subject: str = "", sender: str = "") -> BounceReport:
    rec = _without_codes("undefined", retryable=True)
    return BounceReport(recipients=(rec,), kind=kind, subject=subject, sender=sender)


def _without_codes(
    reason: str,
    recipient: str = "",
    diagnostic: str = "",
    remote_mta: str = "",
    *,
    retryable: bool = False,
) -> FailedRecipient:
    """The one recipient of what carries no SMTP reply: unreadable input, a complaint, an
    auto-reply."""
    return FailedRecipient(
        recipient=recipient,
        action="",
        replycode="",
        status="",
        diagnostic=diagnostic,
        remote_mta=remote_mta,
        reason=reason,
        actor=_reasons.actor(reason),
        retryable=retryable,
    )


def _first_address(value: str) -> str:
    found = _text.find_addresses(value)
    return found[0].lower() if found else ""


class _Whole:
    """The bounce's whole prose, collapsed and in lower case, worked out when first needed.

    Most recipients are diagnosed from their own reply and block of text; only the others
    fall back on the whole text, and on the codes and reason found in it (the same for
    each of them: looked for once).
    """

    __slots__ = ("_human", "_reason", "_replycode", "_status", "_text")

    def __init__(self, human: str) -> None:
        self._human = human
        self._text: str | None = None
        self._reason: str | None = None
        self._replycode: str | None = None
        self._status: str | None = None

    def text(self) -> str:
        if self._text is None:
            self._text = _text.collapse(self._human[:6000]).lower()
        return self._text

    def reason(self) -> str:
        """The reason the whole text's clues give (phrases and meaning, weighed alike)."""
        if self._reason is None:
            best = _reasons.best_text_reason(_clues(self.text()), "", "")
            self._reason = best.reason if best else ""
        return self._reason

    def replycode(self) -> str:
        """`_text.find_replycode` of the whole text."""
        if self._replycode is None:
            self._replycode = _text.find_replycode(self.text())
        return self._replycode

    def status(self) -> str:
        """`_text.find_status` of the whole text."""
        if self._status is None:
            self._status = _text.find_status(self.text())
        return self._status


_MEANING_CHARS = 400


def _clues(text: str) -> tuple[_reasons.Clue, ...]:
    """What `text` says in known phrases, and what it means in words no table holds."""
    # a reply's meaning is in its first sentences; the rest of a long block is the MTA's
    # prose about retries and copies
    return _reasons.text_reasons(text) + tuple(
        _reasons.Clue(reason, True) for reason in _concepts.concept_reasons(text[:_MEANING_CHARS])
    )


def _classify(
    diag: str,
    block: str,
    whole: _Whole,
    status: str,
    replycode: str,
    action: str,
    dsn_status: str,
    command: str,
) -> str:
    if action in _DELIVERED_ACTIONS or status.startswith("2."):
        return "delivered"
    by_status = _reasons.status_reason(status)
    if by_status and by_status not in _reasons.WEAK_STATUS:
        return by_status
    # The server's own reply is the best evidence; the surrounding prose of the bounce
    # (which may talk about other recipients or the MTA's retry policy) comes after it.
    main = diag or block
    local = main.startswith("x-unix;")
    clues = _clues(main)
    # a local delivery program's status is the relaying MTA's, not a reading of the cause
    best = _reasons.best_text_reason(clues, "" if local else status, command)
    found, strong = (best.reason, best.strong) if best else ("", False)
    if local:
        # A local delivery program failed: what it printed names the cause when it is about
        # the mailbox; otherwise a status code that means something, else a mailer error.
        if found in _LOCAL_CAUSES:
            return found
        return _reasons.named_status_reason(dsn_status) or "mailererror"
    if found and strong:
        return found
    hint = found
    if action == "delayed":
        return "expired"
    if by_status:
        return by_status
    if command == "mail":
        return "rejected"
    if command == "connect":
        return "blocked"
    if hint:
        return hint
    if diag:
        best = _reasons.best_text_reason(_reasons.text_reasons(block), status, command)
        if best:
            return best.reason
    found = whole.reason()
    if found:
        return found
    if "groups.google.com" in whole.text():
        # Google Groups refuses a post (no such group, or not allowed to post) in the
        # sender's language; its only constant is the link to the groups help pages.
        return "rejected"
    return _reasons.REPLY_REASON.get(replycode, "undefined")


def _command(text: str) -> str:
    """Name the SMTP stage the remote server refused at: mail, rcpt, data, connect, or ""."""
    match = _COMMAND.search(text)
    word = next((w for w in match.groups() if w), "") if match else ""
    reply = _TRANSCRIPT_REPLY.search(text)
    if reply:
        # In a session transcript the refused command is the last one sent before the
        # first error reply (sendmail and courier go on with DATA after a refused RCPT).
        sent = _TRANSCRIPT_SENT.findall(text, 0, reply.start())
        if sent:
            word = sent[-1]
    if not word and (
        any(reply in text for reply in _RCPT_REPLIES)
        or ("in rcpt to" in text and _IN_RCPT.search(text))
    ):
        return "rcpt"
    if not word:
        return ""
    if "data" in word:
        return "data"
    if word.startswith("rcpt"):
        return "rcpt"
    if word.startswith("mail"):
        return "mail"
    if word.startswith(("helo", "ehlo", "initial", "connect", "greeting", "banner")):
        return "connect"
    return word


def _stage(status: str) -> str:
    """The SMTP stage an enhanced status code implies: x.1.* (addressing) answers RCPT."""
    parts = status.split(".")
    if len(parts) == 3 and parts[1] == "1" and parts[2] not in ("7", "8"):
        return "rcpt"
    return ""


def _default_status(reason: str, replycode: str) -> str:
    code = _reasons.REASON_STATUS.get(reason, "")
    if code and replycode[:1] in ("4", "5") and code[0] in "45":
        code = replycode[0] + code[1:]
    return code


# Both, without re.I, for text put in lower case: an expression whose alternatives start
# with letters is searched for those letters alone at each place, which case-insensitive
# matching does not allow. The answer is the same unless the text holds one of the letters
# that re.I matches with an ASCII letter of another case (dotted and dotless i, long s,
# Kelvin sign): such text goes to the case-insensitive forms (compiled when first needed).
_REMOTE_LOWER = re.compile(_REMOTE)
_REMOTE_FIELD_LOWER = re.compile(_REMOTE_FIELD)


def _remote(text: str) -> str:
    if _text.lower_is_exact(text):
        low = text.lower()
        # the field's names all hold one of these words: no need to try it elsewhere
        field = ("remote" in low or "serveur" in low) and _REMOTE_FIELD_LOWER.search(low)
        match = field or _REMOTE_LOWER.search(low)
    else:
        match = re.search(_REMOTE_FIELD, text, re.I) or re.search(_REMOTE, text, re.I)
    return match.group(1).lower() if match else ""


def _recipient(
    address: str,
    action: str,
    status: str,
    diag: str,
    remote: str,
    block: str,
    whole: _Whole,
    strict: bool,
    local: str = "",
    category: str = "",
) -> FailedRecipient:
    diag_l = _text.strip_continuations(_text.collapse(diag).lower())
    block_l = _text.collapse(block[:1500]).lower()
    replycode = _text.find_replycode(diag_l) or _text.find_replycode(block_l)
    # The code inside the server's reply is more precise than a relaying MTA's summary
    # in the Status field (which is often x.0.0 or a generic 4.4.7).
    dsn_status = _text.find_status(status) if status else ""
    found_status = _text.find_status(diag_l)
    if not found_status and dsn_status and not dsn_status.endswith(".0.0"):
        found_status = dsn_status
    if not found_status:
        found_status = _text.find_status(block_l) or dsn_status
    if found_status.startswith("2.") and status[:1] in ("4", "5"):
        # a success code from an earlier step of the session (e.g. "250 2.1.0 Ok" to
        # MAIL FROM) is not the outcome; the report's own status is
        found_status = _text.find_status(status)
    elif found_status.startswith("2.") and replycode[:1] in ("4", "5"):
        # the same in a session transcript: the failure is the code of the failed reply
        found_status = _text.find_failure_status(
            f"{diag_l} {block_l}", replycode[0]
        ) or _default_status("", replycode)
    if not replycode and not diag_l:
        # some MTAs print the error once, above the list of recipients it applies to
        replycode = whole.replycode()
    if not found_status and not diag_l:
        found_status = whole.status()
    command = _command(diag_l + " " + block_l)
    reason = _classify(diag_l, block_l, whole, found_status, replycode, action, dsn_status, command)
    if reason == "hostunknown" and "4" in (found_status[:1], replycode[:1]):
        # a domain that does not exist is a permanent failure; a temporary one says the
        # name could not be looked up (a DNS server failed or timed out)
        reason = "networkerror"
    if command == "connect" and (
        reason in ("rejected", "userunknown", "filtered")
        or (reason == "requireptr" and "ptr" not in diag_l + block_l)
    ):
        # refused before any address was given: the refusal is about the connecting host
        # (a reverse DNS complaint at that stage counts as such only when it names PTR)
        reason = "blocked"
    elif command == "mail" and reason in ("userunknown", "filtered"):
        # an unknown "user" at MAIL FROM is the sender's address
        reason = "rejected"
    remote = remote or _remote(block[:2000]) or _remote(diag)
    provider = _rhost.provider(remote, address.rpartition("@")[2], local) if strict else ""
    provider = provider or _rhost.coded(diag_l or block_l)
    by_provider = ""
    if provider and reason not in ("delivered", "feedback", "vacation"):
        by_provider = _rhost.reason(
            provider, diag_l or block_l, found_status, replycode, command or _stage(found_status)
        )
    named = _reasons.status_reason(found_status)
    if by_provider and (named in _reasons.WEAK_STATUS or named in ("", by_provider)):
        # a provider's own code or wording beats the generic reading, but not a specific
        # status code that contradicts it (x.2.2 full, x.3.4 too big, ...)
        reason = by_provider
    elif category in _POWERMTA_CATEGORY and reason != "delivered":
        reason = _POWERMTA_CATEGORY[category]
    elif (
        reason == "userunknown"
        and strict
        and _reasons.status_reason(found_status) != "userunknown"
        and (command or _stage(found_status)) not in ("rcpt", "mail", "connect")
        and not _reasons.explicit_userunknown(f"{diag_l} {block_l if diag_l else whole.text()}")
    ):
        # Sisimai's reading: "unknown user" wording counts as such when the status code
        # says so (x.1.1) or when the server refused the RCPT command. Refused at DATA, or
        # at a stage the bounce does not tell, the same words come from a filter (on the
        # sender, on the content) that answers like a missing mailbox: "filtered".
        reason = "filtered"
    if not found_status:
        found_status = _default_status(reason, replycode) or found_status
    diagnostic = _text.collapse(diag) or _text.collapse(block[:1000])
    return FailedRecipient(
        recipient=address,
        action=action or ("delivered" if reason == "delivered" else "failed"),
        replycode=replycode,
        status=found_status,
        diagnostic=diagnostic[:1000],
        remote_mta=remote,
        reason=reason,
        actor=_reasons.actor(reason),
        retryable=_reasons.retryable(reason, found_status, replycode),
    )


def _from_parts(
    texts: list[str],
    dsn_parts: list[tuple[str, _mime.DsnRows | None]],
    excluded: set[str],
    failed_header: str,
    original_to: str,
    strict: bool = True,
    local: str = "",
) -> list[FailedRecipient]:
    for part in texts:
        ses = _json.ses_recipients(part)
        if ses:
            return ses
    human = _text.drop_header_lines("\n".join(_text.cut_original(t) for t in texts))
    records: list[_dsn.DsnRecord] = []
    for part, rows in dsn_parts:
        fields, found = _dsn.records(part, rows)
        records.extend(found)
        local = fields.get("reporting-mta", "") or local
    # the text in lower case, made once for the look-ups below (a bounce's prose can be long)
    low = human.lower() if not records else ""
    if not records and ("final-recipient" in low or "diagnostic-code" in low):
        records = _dsn.records(human)[1]
    records = [r for r in records if r.final_recipient or r.original_recipient or r.status]
    whole = _Whole(human)
    # a session transcript's replies, each with the command it answered
    paired = _text.transcript_replies(human)
    out: list[FailedRecipient] = []
    if records:
        addrs = [r.final_recipient or r.original_recipient for r in records]
        chunks = _text.blocks(human, [a for a in addrs if a], low or None)
        for rec, addr in zip(records, addrs, strict=True):
            block = chunks.get(addr, "") or chunks.get(rec.original_recipient, "")
            out.append(
                _recipient(
                    addr,
                    rec.action,
                    rec.status,
                    rec.diagnostic or paired.get(addr.lower(), ""),
                    rec.remote_mta,
                    block,
                    whole,
                    strict,
                    local,
                    rec.category,
                )
            )
        return out
    low = low or human.lower()
    candidates = [a.lower() for a in _text.find_addresses(failed_header)]
    # the envelope sender named in a session transcript ("MAIL FROM:<...>") is not a recipient
    if "from:" in low:  # cheaper than the expression, tried at every word
        excluded = excluded | {a.lower() for a in _TRANSCRIPT_SENDER.findall(human)}
    if not candidates:
        candidates = [
            addr
            for _, addr in _text.addresses(_text.without_derived(human))
            if addr not in excluded and not _NOT_RECIPIENT.match(addr)
        ][:50]
    if not candidates and original_to:
        candidates = [original_to]
    if not candidates:
        return [_recipient("", "", "", "", "", human, whole, strict, local)]
    chunks = _text.blocks(human, candidates, low)
    for addr in candidates:
        block = chunks.get(addr, human)
        diag = paired.get(addr, "")
        out.append(_recipient(addr, "", "", diag, "", block, whole, strict, local))
    return out


def _feedback(env: _mime.Envelope, forwarded: bool) -> BounceReport:
    fields: dict[str, str] = {}
    for part in env.dsn:
        for line in part.splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields.setdefault(name.strip().lower(), value.strip())
    rcpt = _first_address(fields.get("original-rcpt-to", "") or fields.get("removal-recipient", ""))
    if not rcpt:
        rcpt = _first_address(env.original("to"))
    rec = _without_codes(
        "feedback",
        rcpt,
        fields.get("feedback-type", ""),
        fields.get("reporting-mta", "").partition(";")[2].strip(),
    )
    return BounceReport(
        recipients=(rec,),
        kind="feedback",
        forwarded=forwarded,
        subject=env.header("subject"),
        sender=_first_address(env.header("to")),
    )


def is_bounce(env: _mime.Envelope) -> bool:
    """Tell whether a parsed message is itself a bounce (rather than a message carrying one)."""
    if env.dsn or env.header("x-failed-recipients"):
        return True
    if _BOUNCE_FROM.search(env.header("from")):
        return True
    subject = env.header("subject")
    if _BOUNCE_SUBJECT.search(subject) and not _FORWARD_SUBJECT.search(subject):
        # "Fwd: Undelivered Mail" is a person forwarding a bounce, not the bounce itself
        return True
    return (
        env.header("return-path").strip() in ("<>", "")
        and bool(env.header("from"))
        and ("report-type=delivery-status" in env.header("content-type").lower())
    )


def from_envelope(env: _mime.Envelope, *, forwarded: bool = False, depth: int = 0) -> BounceReport:
    """Diagnose a parsed message.

    Args:
        env: the message's parts (see `_mime.envelope`).
        forwarded: True when this message was found inside another one.
        depth: nesting level of forwarded messages already opened.

    Returns:
        The report; never raises.
    """
    subject = env.header("subject")
    sender = _first_address(env.header("to"))
    ctype = env.header("content-type").lower()
    if env.feedback or "report-type=feedback-report" in ctype:
        return _feedback(env, forwarded)
    jmrp = env.original("x-hmxmroriginalrecipient")
    if jmrp and not env.dsn:
        # Microsoft's complaint loop (JMRP) is no feedback report: a plain message with the
        # complained-of message attached, marked with the recipient who complained
        rec = _without_codes("feedback", _first_address(jmrp), "abuse")
        return BounceReport(
            recipients=(rec,), kind="feedback", forwarded=forwarded, subject=subject, sender=sender
        )
    if env.header("x-apple-unsubscribe").strip().lower() == "true":
        # Apple Mail's "unsubscribe" button mails the list's address on the user's behalf:
        # an opt-out complaint, as a feedback report would be
        rec = _without_codes("feedback", _first_address(env.header("from")), "opt-out")
        return BounceReport(
            recipients=(rec,), kind="feedback", forwarded=forwarded, subject=subject, sender=sender
        )
    if not is_bounce(env):
        if depth < 3:
            for inner in env.attached:
                inner_env = _mime.envelope(inner)
                if is_bounce(inner_env) or inner_env.feedback:
                    return from_envelope(inner_env, forwarded=True, depth=depth + 1)
        auto = env.header("auto-submitted").lower()
        if (
            _AUTOREPLY_SUBJECT.search(subject)
            or auto.startswith("auto-replied")
            or env.header("x-autoreply")
            or env.header("x-autorespond")
        ):
            rec = _without_codes("vacation", _first_address(env.header("from")), subject)
            return BounceReport(recipients=(rec,), kind="autoreply", subject=subject)
        if not env.texts:
            return _undefined("text", subject, sender)
        report = from_text("\n".join(env.texts), exclude=_addresses_of(env))
        return BounceReport(
            recipients=report.recipients,
            kind=report.kind,
            forwarded=forwarded or bool(_FORWARD_SUBJECT.search(subject)),
            sender=sender,
            subject=subject,
        )
    excluded = {a.lower() for a in _text.find_addresses(env.header("to"))}
    excluded |= {a.lower() for a in _text.find_addresses(env.header("from"))}
    excluded |= {a.lower() for a in _text.find_addresses(env.header("return-path"))}
    excluded |= {a.lower() for a in _text.find_addresses(env.original("from"))}
    recipients = _from_parts(
        list(env.texts),
        list(zip(env.dsn, env.dsn_rows, strict=True)),
        excluded,
        env.header("x-failed-recipients"),
        _first_address(env.original("to")),
        local=_local_host(env),
    )
    vague = all(r.reason == "undefined" for r in recipients) or (
        not env.dsn
        and all(not r.replycode and not _text.find_status(r.diagnostic) for r in recipients)
    )
    if depth < 3 and vague:
        # a gateway may wrap the real report in a bounce of its own that says nothing
        # (no reply, no status code): the attached report is the better witness
        for inner in env.attached:
            inner_env = _mime.envelope(inner)
            if is_bounce(inner_env):
                found = from_envelope(inner_env, forwarded=forwarded, depth=depth + 1)
                if found.reason != "undefined" and (found.replycode or inner_env.dsn):
                    return found
    return BounceReport(
        recipients=tuple(recipients),
        kind="dsn" if env.dsn else "mta",
        forwarded=forwarded,
        sender=sender,
        subject=subject,
    )


def _local_host(env: _mime.Envelope) -> str:
    """Host name of the server that wrote the bounce: the last hop of its Received fields."""
    received = env.header("received")
    if _text.lower_is_exact(received):
        match = _RECEIVED_BY_LOWER.search(received.lower())
    else:
        match = _RECEIVED_BY.search(received)
    return match.group(1).lower() if match else ""


def _addresses_of(env: _mime.Envelope) -> set[str]:
    found: set[str] = set()
    for name in ("from", "to", "cc", "reply-to", "return-path"):
        found |= {a.lower() for a in _text.find_addresses(env.header(name))}
    return found


_PASTED_HEADER = re.compile(
    r"^[ \t>]*(?:from|to|cc|reply-to|sender|delivered-to|de|[àa]|envoy[ée] par)[ \t]*:[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)


def from_text(text: str, exclude: set[str] | None = None) -> BounceReport:
    """Diagnose pasted text: one reply line, several lines of a bounce, or a bare code.

    Args:
        text: what the customer pasted.
        exclude: addresses that are not recipients (the person who forwarded the text).

    Returns:
        The report; reason ``undefined`` when nothing is recognised.
    """
    text = _mime.clean(text)[: _mime.TEXT_LIMIT]
    if not text.strip():
        return _undefined("empty")
    # Addresses in the header lines of a pasted or forwarded report (From:, To:, De :)
    # are its sender and its addressee, the customer who got it: never the failed
    # recipient, which the report names in its own lines.
    excluded = set(exclude or ())
    for line in _PASTED_HEADER.findall(text):
        excluded |= {a.lower() for a in _text.find_addresses(line)}
    recipients = _from_parts([text], [], excluded, "", "", strict=False)
    return BounceReport(recipients=tuple(recipients), kind="text")


def _read(raw: bytes) -> _mime.Envelope | None:
    # blank lines before the header (a saved file, a copy and paste) would end the header
    # at once and leave the whole message as its body
    blank = _mime.LEADING_BLANK.match(raw)
    if blank and blank.end():
        raw = raw[blank.end() :]
    msg = _mime.parse_message(raw)
    if msg is None:
        return None
    return _mime.envelope(_mime.recover_multipart(raw, msg))


def parse_bounce(data: bytes | str) -> BounceReport:
    """Diagnose a bounce given as a whole message, a forwarded message or pasted text.

    Args:
        data: the raw message bytes, or text (a pasted bounce, a reply line, a bare code such
            as ``"552"`` or ``"5.2.2"``).

    Returns:
        A BounceReport with one FailedRecipient per failed recipient. Input that cannot be
        read gives reason ``undefined``; this function does not raise on any input.
    """
    try:
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
        if not raw or raw.isspace():  # what `not raw.strip()` says, without a copy
            return _undefined("empty")
        if _mime.looks_like_message(raw):
            env = _read(raw)
            if env is not None and (
                env.header("from") or env.header("subject") or env.header("received")
            ):
                return from_envelope(env)
        if isinstance(data, str):
            return from_text(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        return from_text(text)
    except (RecursionError, MemoryError, ValueError, TypeError, LookupError, IndexError):
        # The email package can still trip on hostile input in ways not listed in its
        # documentation; an unreadable bounce is a result, not a crash.
        return _undefined("empty")
