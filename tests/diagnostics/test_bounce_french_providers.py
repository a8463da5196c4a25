"""Orange's and La Poste's documented refusal codes, in every shape a customer brings them.

Each code is quoted after a neutral sentence ("Message refusé"), so that only the code can
give the answer: a whole report from our server, the same report forwarded by the customer
(attached, or inline under their own words), and the reply line pasted alone.
"""

from __future__ import annotations

import pytest

from diagnostics.bounce import parse_bounce

from .test_bounce_rules import dsn

# Orange (OFR_) and La Poste (LPN007_) codes and what they name, from the providers'
# postmaster pages as Sisimai's FrancePTT module reads them.
CODES = {
    "103": "blocked",  # IP address on Orange's block list
    "104": "toomanyconn",  # too many connections
    "401": "authfailure",  # SPF of the sender's domain
    "405": "rejected",  # sender address refused
    "416": "userunknown",  # address unknown
    "417": "mailboxfull",  # mailbox full
    "420": "suspend",  # mailbox closed
    "506": "spamdetected",  # message judged as spam
    "510": "blocked",  # IP address refused
    "514": "mesgtoobig",  # message too big
    "999": "blocked",  # service refused (reputation of the sending host)
}

_LINES = {
    "ofr": "550 5.7.1 mwinf5c20 ME Message refuse. OFR_{code} [{code}]",
    "lpn": "550 5.0.0 Message refuse. LPN007_{code}",
}


def _forwarded_attached(report: bytes) -> bytes:
    return (
        b"From: Client <client@example.fr>\r\nTo: support@example.net\r\n"
        b"Subject: Fwd: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="F"\r\n\r\n--F\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Bonjour, mon message n'est pas parti, pourquoi ?\r\n--F\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + report + b"\r\n--F--\r\n"
    )


def _forwarded_inline(line: str) -> bytes:
    return (
        "From: Client <client@example.fr>\r\nTo: support@example.net\r\n"
        "Subject: Tr: Message non remis\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Bonjour, j'ai reçu ça, pouvez-vous m'aider ?\r\n\r\n"
        "-------- Message transféré --------\r\n"
        "De : Mail Delivery System <MAILER-DAEMON@smtp.example.net>\r\n"
        "À : client@example.fr\r\nObjet : Undelivered Mail Returned to Sender\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<destinataire@orange.fr>: host smtp-in.orange.fr[193.252.22.65] said: {line}\r\n"
        "    (in reply to end of DATA command)\r\n"
    ).encode()


@pytest.mark.parametrize("prefix", sorted(_LINES))
@pytest.mark.parametrize(("code", "reason"), sorted(CODES.items()))
def test_code_in_every_shape(prefix: str, code: str, reason: str) -> None:
    line = _LINES[prefix].format(code=code)
    report = dsn(
        line, status="5.0.0", recipient="destinataire@orange.fr", remote="smtp-in.orange.fr"
    )
    shapes = {
        "whole report": report,
        "forwarded, attached": _forwarded_attached(report),
        "forwarded, inline": _forwarded_inline(line),
        "pasted line": line.encode(),
        "pasted, relayed by another host": dsn(line, recipient="x@example.com").decode(),
    }
    got = {shape: parse_bounce(data).reason for shape, data in shapes.items()}
    assert got == dict.fromkeys(shapes, reason)


def test_code_names_the_provider_only_in_its_own_form() -> None:
    """A bracketed number alone is not Orange's code: "[506]" in another reply decides nothing."""
    report = parse_bounce(
        "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown [506]"
    )
    assert report.reason == "userunknown"
