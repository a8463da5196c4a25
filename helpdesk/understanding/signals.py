"""Deterministic clues a statistical model must never miss.

A pasted SMTP reply ("550 5.1.1 ... User unknown") or a non-delivery report header
means the customer has an error in hand: contracts.md calls that `bounce`, whatever
else the message says (a full mailbox, a sending limit...), because the bounce flow
is the one that reads the code and explains it.
"""

from __future__ import annotations

import re
from typing import Final

from helpdesk.understanding._text import fold

# An SMTP reply code followed by an enhanced status code, as in "550 5.1.1" or "550-5.1.1".
_REPLY_WITH_STATUS: Final = re.compile(r"\b[45]\d\d[\s-]+[45]\.\d{1,3}\.\d{1,3}\b")
# A server's reply quoted by a report: "host mx.example said: 550", "refused to talk to me:
# 550", "the response from the remote server was: 554", "Remote Server returned '550".
_QUOTED_REPLY: Final = re.compile(
    r"(?:said|to me|was|returned|replied|answered|répondu|repondu|response|reply)"
    r"\s*:?\s*['\"(]?[45][0-5]\d\b",
    re.IGNORECASE,
)
# An enhanced status code on its own, as in "status: 5.1.1" or "erreur 5.7.1".
_STATUS: Final = re.compile(r"(?<![\d.])[45]\.\d{1,3}\.\d{1,3}(?![\d.])")
# Phrases of non-delivery reports (folded): their presence is a pasted bounce.
_NDR_PHRASES: Final[tuple[str, ...]] = (
    "mail delivery system",
    "mail delivery subsystem",
    "mailer-daemon",
    "undelivered mail returned to sender",
    "delivery status notification",
    "undeliverable:",
    "non remis",
    "recipient address rejected",
    "message could not be delivered",
    "host or domain name not found",
    "user unknown",
    "mailbox unavailable",
    "message file too big",
    "bad recipient address syntax",
    "diagnostic-code",
    "remote-mta",
    "final-recipient",
    "delivery has failed",
    "the following message to",
    "could not be delivered to one or more recipients",
    "your message couldn't be delivered",
    "your message wasn't delivered",
    "this is the mail system at host",
    "returned mail: see transcript",
    "echec de la remise",
    "message non distribue",
    "the limit on the number of allowed outgoing messages",
)


def bounce_strength(text: str) -> float:
    """How sure we are, from fixed clues alone, that `text` contains a bounce (0..1)."""
    if _REPLY_WITH_STATUS.search(text) or _QUOTED_REPLY.search(text):
        return 0.95
    folded = fold(text)
    phrases = sum(1 for phrase in _NDR_PHRASES if phrase in folded)
    if _STATUS.search(text) and phrases:
        return 0.95
    if phrases >= 2:
        return 0.85
    if _STATUS.search(text):
        return 0.7
    # One phrase alone may be the customer's own words ("user unknown?"): a nudge only.
    return 0.35 if phrases else 0.0
