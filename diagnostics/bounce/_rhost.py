"""Rules of particular mail providers, chosen by host name.

Some providers word their refusals their own way, or number them with codes of their own,
so that a generic phrase table reads them wrong (au's "550 : User unknown" is its sender
filter, DOCOMO's "Unknown user" after DATA is a refused sender). Sisimai keeps such rules in
its "rhost" modules, applied when the remote server, the recipient's domain or the reporting
host belongs to the provider; this module does the same, from the providers' documented
codes and observed wording. The rules say nothing about other hosts.
"""

from __future__ import annotations

import re

# Provider → host name suffixes of its mail servers.
_HOSTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("aol", (".mail.aol.com", ".mx.aol.com")),
    ("apple", (".mail.icloud.com", ".apple.com", ".me.com")),
    ("cox", ("cox.net",)),
    ("franceptt", (".laposte.net", ".orange.fr", ".wanadoo.fr")),
    ("godaddy", ("smtp.secureserver.net", "mailstore1.secureserver.net")),
    ("iua", (".email.ua",)),
    ("kddi", (".ezweb.ne.jp", "msmx.au.com")),
    ("mimecast", (".mimecast.com",)),
    ("nttdocomo", ("mfsmax.docomo.ne.jp",)),
    ("outlook", (".hotmail.com",)),
    ("spectrum", ("charter.net",)),
    ("tencent", (".qq.com",)),
    ("yahoo", (".yahoodns.net",)),
)

# Provider → (reason, phrases in lower case) tried in order on the diagnostic text.
_PHRASES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "aol": (
        ("hostunknown", ("host or domain name not found",)),
        ("notaccept", ("type=mx: malformed or unexpected name server reply",)),
    ),
    "apple": (
        ("authfailure", ("s dmarc policy", "blocked for failing both spf and dkim")),
        (
            "blocked",
            (
                "rejected due to having a domain present in the spamhaus",
                "rejected due to listing in spamhaus",
                "support.proofpoint.com/dnsbl-lookup",
                "not accepting connections",
            ),
        ),
        ("hasmoved", ("recipient no longer on server",)),
        ("mailboxfull", ("user is over quota",)),
        ("norelaying", ("relay access denied",)),
        ("notaccept", ("host/domain does not accept mail",)),
        ("policyviolation", ("due to local policy",)),
        ("rejected", ("sender address rejected",)),
        ("speeding", ("due to excessive volume",)),
        (
            "userunknown",
            ("inactive email address", "user does not exist", "unknown or illegal alias"),
        ),
    ),
    "cox": (
        ("blocked", ("cox too many bad commands from", "too many invalid recipients")),
        ("requireptr", ("dns check failure - try again later", "rejected - no rdns")),
        ("policyviolation", ("esmtp no data before greeting", "attachment extension is forbidden")),
        ("rejected", ("sender rejected",)),
        ("systemerror", ("esmtp server temporarily not available",)),
        (
            "toomanyconn",
            (
                "too many sessions from",
                "requested action aborted: try again later",
                "message threshold exceeded",
            ),
        ),
        ("userunknown", ("recipient rejected",)),
    ),
    "franceptt": (("authfailure", ("spf/dns de votre nom de domaine",)),),
    "godaddy": (
        ("blocked", ("rbl reject", "www.spamhaus.org/query/bl?ip=")),
        ("expired", ("has been in the queue too long", "delivery timeout")),
        ("mailboxfull", ("account storage limit",)),
        ("spamdetected", ("message rejected for spam or virus content",)),
        ("suspend", ("account disabled",)),
        ("systemerror", ("message is looping",)),
        ("userunknown", ("recipient not found", "account does not exist")),
    ),
    "kddi": (
        # au answers "550 : User unknown" (no address) when its sender filter refuses
        ("filtered", ("550 : user unknown",)),
        ("userunknown", (">: user unknown",)),
    ),
    "outlook": (
        (
            "hostunknown",
            ("could not be delivered to the recipient because the domain is not reachable",),
        ),
        ("userunknown", ("requested action not taken: mailbox unavailable",)),
    ),
    "tencent": (
        ("authfailure", ("spf check failed", "dmarc check failed")),
        ("blocked", ("suspected bounce attacks", "suspected spam ip", "connection denied")),
        ("mesgtoobig", ("message too large",)),
        ("rejected", ("suspected spam", "mail is rejected by recipients")),
        ("spamdetected", ("spam is embedded in the email", "mail content denied")),
        (
            "speeding",
            ("mailbox unavailable or access denined", "frequency of receiving messages is limited"),
        ),
        ("suspend", ("is a deactivated mailbox",)),
        ("syntaxerror", ("bad address syntax",)),
        (
            "toomanyconn",
            (
                "ip frequency limited",
                "domain frequency limited",
                "sender frequency limited",
                "connection frequency limited",
            ),
        ),
        ("userunknown", ("mailbox not found",)),
    ),
    "yahoo": (
        ("authfailure", ("yahoo requires all senders to authenticate with either spf or dkim",)),
        (
            "blocked",
            (
                " because the ip is in spamhaus's list;",
                "not accepted from ip addresses on spamhaus xbl",
            ),
        ),
        ("norelaying", ("relaying denied for ",)),
        ("notcompliantrfc", ("headers are not rfc compliant",)),
        ("policyviolation", ("not accepted for policy reasons",)),
        (
            "rejected",
            (
                "temporarily deferred due to unexpected volume or user complaints",
                "due to unresolvable rfc.5321 domain",
                " will be permanently deferred",
            ),
        ),
        ("speeding", ("user is receiving mail too quickly",)),
        ("suspend", (" is no longer valid.", "this mailbox is disabled")),
        ("syntaxerror", ("syntax error in parameters or arguments",)),
        ("toomanyconn", ("max message per connection reached",)),
        ("userunknown", ("dd this user doesn't have a ", "mailbox not found")),
    ),
    "nttdocomo": (
        ("mailboxfull", ("552 too much mail data",)),
        ("syntaxerror", ("503 bad sequence of commands", "504 command parameter not implemented")),
        ("toomanyconn", ("552 too many recipients",)),
    ),
}

# Mimecast documents its refusals by reply code and text.
_MIMECAST: tuple[tuple[str, str, str], ...] = (
    ("authfailure", "550", "spf sender invalid - envelope rejected"),
    ("authfailure", "550", "dkim sender invalid - envelope rejected"),
    ("authfailure", "550", "dmarc sender invalid - envelope rejected"),
    ("badreputation", "451", "internal resources are temporarily unavailable"),
    ("badreputation", "550", "local ct ip reputation - (reject)"),
    ("blocked", "421", "sender address blocked"),
    ("blocked", "451", "recipient temporarily unavailable"),
    ("blocked", "451", "ip temporarily blacklisted"),
    ("mesgtoobig", "554", "maximum email size exceeded"),
    ("networkerror", "451", "the incorrect hostname used for inbounds"),
    ("networkerror", "550", "the incorrect hostname used for inbounds"),
    ("networkerror", "554", "mail loop detected"),
    ("norelaying", "451", "open relay not allowed"),
    ("norelaying", "451", "open relay is not allowed"),
    ("notaccept", "451", "account inbounds disabled"),
    ("policyviolation", "550", "anti-spoofing policy - inbound not allowed"),
    ("policyviolation", "550", "rejected by header-based anti-spoofing policy"),
    ("policyviolation", "550", "message bounced due to content examination policy"),
    ("policyviolation", "554", "host network not allowed"),
    ("policyviolation", "554", "host network, not allowed"),
    ("rejected", "550", "administrative prohibition envelope blocked"),
    ("rejected", "550", "envelope blocked - user entry"),
    ("rejected", "550", "envelope blocked - user domain entry"),
    ("rejected", "550", "envelope rejected - block policy for envelope from address"),
    ("securityerror", "535", "incorrect authentication data"),
    ("securityerror", "550", "submitter failed to authenticate"),
    ("systemerror", "451", "unable to process connection at this time"),
    ("systemerror", "451", "message ended early"),
    ("systemerror", "451", "unable to process command"),
    ("toomanyconn", "451", "account service is temporarily unavailable"),
    ("toomanyconn", "452", "too many recipients"),
    ("toomanyconn", "550", "exceeding outbound thread limit"),
    ("userunknown", "501", "invalid address"),
    ("userunknown", "503", "user unknown"),
    ("userunknown", "550", "invalid recipient"),
)

# Orange / La Poste refusal codes: "OFR_416", "LPN007_416", "OFR004_405 [405]".
_FRANCEPTT_CODE = re.compile(r"\b(?:lpnaaa|lpn|ofr|ouk)[-_]?\d*[-_]?(\d{3})\b")
_FRANCEPTT: dict[str, str] = {
    "101": "blocked", "102": "blocked", "103": "blocked", "104": "toomanyconn",
    "305": "securityerror", "401": "authfailure", "402": "securityerror", "403": "rejected",
    "405": "rejected", "415": "rejected", "416": "userunknown", "417": "mailboxfull",
    "420": "suspend", "421": "rejected", "426": "suspend", "505": "systemerror",
    "506": "spamdetected", "510": "blocked", "514": "mesgtoobig", "517": "authfailure",
    "630": "policyviolation", "999": "blocked",
}  # fmt: skip

# Spectrum (Charter): "AUP#In-1310", four-digit codes in documented ranges.
_SPECTRUM_CODE = re.compile(r"aup#[a-z-]*(\d{4})")
_SPECTRUM: tuple[tuple[int, int, str], ...] = (
    (1000, 1000, "blocked"), (1010, 1010, "rejected"), (1020, 1080, "rejected"),
    (1090, 1090, "systemerror"), (1100, 1150, "requireptr"), (1160, 1190, "policyviolation"),
    (1200, 1250, "blocked"), (1260, 1260, "networkerror"), (1300, 1340, "toomanyconn"),
    (1350, 1490, "speeding"), (1500, 1520, "rejected"), (1530, 1530, "mesgtoobig"),
    (1540, 1550, "speeding"), (1560, 1560, "policyviolation"), (1580, 1580, "speeding"),
)  # fmt: skip

# Cox: "AUP#CXBL" and friends.
_COX_CODE = re.compile(r"aup#([a-z]+\d*)")
_COX: dict[str, str] = {
    "cxbl": "blocked", "cxdns": "requireptr", "cxsndr": "authfailure", "cxsmtp": "rejected",
    "cxcnct": "toomanyconn", "cxmxrt": "toomanyconn", "cdrbl": "blocked",
    "cxthrt": "securityerror", "cxmj": "securityerror",
}  # fmt: skip

# GoDaddy: "... IB212".
_GODADDY_CODE = re.compile(r"\bib(\d{3})\b")
_GODADDY: dict[str, str] = {
    "401": "securityerror", "501": "notcompliantrfc", "502": "notcompliantrfc",
    "506": "rejected", "508": "authfailure", "108": "requireptr", "212": "spamdetected",
    "705": "virusdetected", "605": "toomanyconn", "007": "toomanyconn", "101": "speeding",
    "110": "blocked", "111": "blocked", "112": "blocked", "113": "blocked", "504": "speeding",
    "510": "speeding", "607": "speeding", "103": "badreputation", "104": "blocked",
    "105": "blocked", "106": "blocked",
}  # fmt: skip

# i.ua: a link to "mail.i.ua/err/N/".
_IUA_CODE = re.compile(r"\.i\.ua/err/(\d{1,2})/")
_IUA: dict[str, str] = {
    "1": "norelaying", "2": "userunknown", "3": "suspend", "4": "mailboxfull",
    "5": "toomanyconn", "6": "norelaying", "7": "blocked", "8": "rejected", "9": "blocked",
    "10": "filtered",
}  # fmt: skip


def _host_of(value: str) -> str:
    value = value.strip().lower().strip(".[]()")
    return value.rpartition("@")[2]


# Every suffix, for one str.endswith test; and the recipient domains that name a provider
# (a domain whose servers' names end with it: "aol.com" for ".mx.aol.com").
_SUFFIXES: tuple[str, ...] = tuple(s for _, suffixes in _HOSTS for s in suffixes)


def _domains() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, suffixes in reversed(_HOSTS):  # the first provider listed wins
        for suffix in suffixes:
            labels = suffix.strip(".").split(".")
            for start in range(len(labels) - 1):
                out[".".join(labels[start:])] = name
    return out


_DOMAINS = _domains()


def provider(remote: str, domain: str, local: str) -> str:
    """Name the provider whose rules apply, or "".

    Args:
        remote: host name of the server that refused.
        domain: the recipient's domain.
        local: host name of the server that wrote the bounce.

    Returns:
        A provider key of this module, or "".
    """
    found = _DOMAINS.get(_host_of(domain), "")
    if found:
        return found
    for host in (_host_of(remote), _host_of(local)):
        if host and host.endswith(_SUFFIXES):
            return next(name for name, suffixes in _HOSTS if host.endswith(suffixes))
    return ""


def coded(text: str) -> str:
    """Name the provider whose own error code `text` quotes, whatever host refused.

    Orange and La Poste ("OFR_416", "LPN007_510") and i.ua (a link to its error page)
    number their refusals in a form nobody else uses: the code names the provider even
    in a forwarded or pasted report, where no host name says who refused.

    Args:
        text: the server's reply, lower case.

    Returns:
        A provider key of this module, or "".
    """
    if ("ofr" in text or "lpn" in text or "ouk" in text) and _FRANCEPTT_CODE.search(text):
        return "franceptt"
    if ".i.ua/err/" in text:
        return "iua"
    return ""


def _by_code(name: str, diag: str) -> str:
    """A provider's own error code in the reply, read with its table; "" when none."""
    if name == "franceptt":
        codes = _FRANCEPTT_CODE.findall(diag)
        return _FRANCEPTT.get(codes[-1], "") if codes else ""
    if name == "spectrum":
        match = _SPECTRUM_CODE.search(diag)
        number = int(match.group(1)) if match else -1
        return next((r for low, high, r in _SPECTRUM if low <= number <= high), "")
    if name == "cox":
        match = _COX_CODE.search(diag)
        label = match.group(1) if match else ""
        if label.startswith("ipbl"):
            return "blocked"
        if label.startswith("urlbl"):
            return "spamdetected"
        return _COX.get(label, "")
    if name == "godaddy":
        match = _GODADDY_CODE.search(diag)
        return _GODADDY.get(match.group(1), "") if match else ""
    if name == "iua":
        match = _IUA_CODE.search(diag)
        return _IUA.get(match.group(1), "") if match else ""
    return ""


def reason(name: str, diag: str, status: str, replycode: str, command: str) -> str:
    """Read a provider's refusal with its own rules.

    Args:
        name: a provider key from `provider`.
        diag: the server's reply, lower case, whitespace collapsed.
        status: the enhanced status code found, or "".
        replycode: the SMTP reply code found, or "".
        command: the refused SMTP stage (``rcpt``, ``data``, ...), or "".

    Returns:
        A reason name, or "" when the rules say nothing.
    """
    if not name or not diag:
        return ""
    if name == "nttdocomo" and status in ("5.1.1", "5.0.911"):
        # DOCOMO's "Unknown user" means different things at different stages
        return "userunknown"
    if name == "nttdocomo" and status == "5.2.0":
        return "filtered"
    if name == "mimecast":
        return next(
            (r for r, code, phrase in _MIMECAST if replycode == code and phrase in diag), ""
        )
    found = _by_code(name, diag)
    if found or name == "iua":
        return found
    for found_reason, phrases in _PHRASES.get(name, ()):
        if any(p in diag for p in phrases):
            return found_reason
    if name == "nttdocomo" and status == "5.0.0":
        return {"rcpt": "userunknown", "data": "rejected"}.get(command, "")
    return ""
