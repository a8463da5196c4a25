"""From codes and diagnostic text to a reason, and from a reason to who acts and retries."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from ._match import PhraseIndex
from ._model import (
    ACTOR_NONE,
    ACTOR_OUR_PROVIDER,
    ACTOR_RECIPIENT_PROVIDER,
    ACTOR_SENDER,
)
from ._phrases import (
    EXPLICIT_USERUNKNOWN_PHRASES,
    NAMES,
    TEXT_ORDER,
    WEAK,
    every_match,
    first_match,
)

# Every reason name this package may return (Sisimai's vocabulary, lower case).
REASONS: frozenset[str] = frozenset(
    {
        "authfailure", "badreputation", "blocked", "contenterror", "delivered", "exceedlimit",
        "expired", "failedstarttls", "feedback", "filtered", "hasmoved", "hostunknown",
        "mailboxfull", "mailererror", "mesgtoobig", "networkerror", "norelaying", "notaccept",
        "notcompliantrfc", "onhold", "policyviolation", "rejected", "requireptr",
        "securityerror", "spamdetected", "speeding", "suppressed", "suspend", "syntaxerror",
        "systemerror", "systemfull", "toomanyconn", "undefined", "userunknown", "vacation",
        "virusdetected",
    }
)  # fmt: skip

# RFC 3463 / RFC 7372 / RFC 7505 subject.detail → reason. Codes whose meaning is vague
# (x.0.0, x.7.1, ...) map to a reason in WEAK_STATUS: text evidence overrides them.
STATUS_REASON: dict[str, str] = {
    "1.0": "userunknown", "1.1": "userunknown", "1.2": "hostunknown", "1.3": "userunknown",
    "1.4": "userunknown", "1.5": "userunknown", "1.6": "hasmoved", "1.7": "rejected",
    "1.8": "rejected", "1.9": "userunknown", "1.10": "userunknown",
    "2.0": "filtered", "2.1": "filtered", "2.2": "mailboxfull", "2.3": "exceedlimit",
    "2.4": "systemerror",
    "3.0": "systemerror", "3.1": "systemfull", "3.2": "notaccept", "3.3": "systemerror",
    "3.4": "mesgtoobig", "3.5": "systemerror",
    "4.0": "networkerror", "4.1": "networkerror", "4.2": "networkerror", "4.3": "systemerror",
    "4.4": "hostunknown", "4.5": "networkerror", "4.6": "networkerror", "4.7": "expired",
    "5.0": "syntaxerror", "5.1": "syntaxerror", "5.2": "syntaxerror", "5.3": "syntaxerror",
    "5.4": "syntaxerror", "5.5": "syntaxerror", "5.6": "syntaxerror",
    "6.0": "contenterror", "6.1": "contenterror", "6.2": "contenterror", "6.3": "contenterror",
    "6.4": "contenterror", "6.5": "contenterror", "6.6": "contenterror",
    "6.7": "contenterror", "6.8": "contenterror", "6.9": "contenterror",
    "6.10": "contenterror",
    "7.0": "securityerror", "7.1": "securityerror", "7.2": "securityerror",
    "7.3": "securityerror", "7.4": "securityerror", "7.5": "securityerror",
    "7.6": "securityerror", "7.7": "securityerror", "7.8": "securityerror",
    "7.9": "securityerror", "7.10": "securityerror", "7.11": "securityerror",
    "7.12": "securityerror", "7.13": "suspend", "7.14": "securityerror",
    "7.15": "securityerror", "7.16": "mailboxfull", "7.17": "suspend",
    "7.18": "suspend", "7.19": "suspend", "7.20": "authfailure", "7.21": "authfailure",
    "7.22": "authfailure", "7.23": "authfailure", "7.24": "authfailure",
    "7.25": "requireptr", "7.26": "authfailure", "7.27": "notaccept",
    "7.28": "spamdetected", "7.29": "authfailure", "7.30": "securityerror",
}  # fmt: skip

# Reasons read off a status code that say little: the text decides when it can.
WEAK_STATUS: frozenset[str] = frozenset(
    {"userunknown", "hostunknown", "systemerror", "securityerror", "networkerror",
     "expired", "suspend", "syntaxerror", "contenterror", "filtered"}
)  # fmt: skip

# Status to report when the bounce gives none: the RFC 3463 code that names the reason.
REASON_STATUS: dict[str, str] = {
    "userunknown": "5.1.1", "hostunknown": "5.1.2", "hasmoved": "5.1.6", "rejected": "5.1.8",
    "notaccept": "5.1.10", "suspend": "5.2.1", "mailboxfull": "5.2.2", "exceedlimit": "5.2.3",
    "systemfull": "4.3.1", "mesgtoobig": "5.3.4", "networkerror": "4.4.0",
    "expired": "4.4.7", "syntaxerror": "5.5.2", "contenterror": "5.6.0",
    "securityerror": "5.7.0", "blocked": "5.7.1", "filtered": "5.2.0",
    "spamdetected": "5.7.1", "virusdetected": "5.7.1", "policyviolation": "5.7.1",
    "authfailure": "5.7.26", "requireptr": "5.7.25", "norelaying": "5.7.1",
    "systemerror": "5.3.0", "mailererror": "5.3.0", "toomanyconn": "4.7.0",
    "speeding": "4.7.0", "badreputation": "5.7.1", "notcompliantrfc": "5.6.0",
    "delivered": "2.0.0",
}  # fmt: skip

ACTOR: dict[str, str] = {
    "userunknown": ACTOR_SENDER, "hostunknown": ACTOR_SENDER, "hasmoved": ACTOR_SENDER,
    "mesgtoobig": ACTOR_SENDER, "exceedlimit": ACTOR_SENDER, "contenterror": ACTOR_SENDER,
    "notcompliantrfc": ACTOR_SENDER, "spamdetected": ACTOR_SENDER,
    "virusdetected": ACTOR_SENDER, "policyviolation": ACTOR_SENDER, "rejected": ACTOR_SENDER,
    "authfailure": ACTOR_SENDER, "norelaying": ACTOR_SENDER, "speeding": ACTOR_SENDER,
    "securityerror": ACTOR_SENDER, "syntaxerror": ACTOR_SENDER, "suppressed": ACTOR_SENDER,
    "mailboxfull": ACTOR_RECIPIENT_PROVIDER, "suspend": ACTOR_RECIPIENT_PROVIDER,
    "systemfull": ACTOR_RECIPIENT_PROVIDER, "systemerror": ACTOR_RECIPIENT_PROVIDER,
    "mailererror": ACTOR_RECIPIENT_PROVIDER, "notaccept": ACTOR_RECIPIENT_PROVIDER,
    "filtered": ACTOR_RECIPIENT_PROVIDER, "toomanyconn": ACTOR_RECIPIENT_PROVIDER,
    "networkerror": ACTOR_RECIPIENT_PROVIDER,
    "blocked": ACTOR_OUR_PROVIDER, "badreputation": ACTOR_OUR_PROVIDER,
    "requireptr": ACTOR_OUR_PROVIDER, "failedstarttls": ACTOR_OUR_PROVIDER,
    "expired": ACTOR_RECIPIENT_PROVIDER, "undefined": ACTOR_OUR_PROVIDER,
    "onhold": ACTOR_OUR_PROVIDER,
    "delivered": ACTOR_NONE, "vacation": ACTOR_NONE, "feedback": ACTOR_SENDER,
}  # fmt: skip

# Reasons where sending the same message again later can succeed without anyone changing
# anything (besides waiting): the condition is temporary by nature.
RETRYABLE: frozenset[str] = frozenset(
    {"mailboxfull", "systemfull", "systemerror", "networkerror", "toomanyconn", "speeding",
     "expired", "badreputation", "failedstarttls", "undefined", "onhold"}
)  # fmt: skip


def status_reason(status: str) -> str:
    """Map an enhanced status code to a reason.

    Args:
        status: a code such as ``"5.1.1"``.

    Returns:
        The reason, or "" when the code says nothing specific (x.0.0 or unknown).
    """
    if not status or status.startswith("2."):
        return ""
    parts = status.split(".")
    if len(parts) != 3:
        return ""
    return STATUS_REASON.get(f"{parts[1]}.{parts[2]}", "")


# Generic temporary codes that name no particular cause (Sisimai leaves them unnamed).
_UNNAMED_STATUS = frozenset({"4.3.0", "4.4.0", "4.5.0", "4.7.0"})


def named_status_reason(status: str) -> str:
    """Like `status_reason`, but "" for the catch-all codes x.0.0 and 4.{3,4,5,7}.0.

    Args:
        status: a code such as ``"5.3.0"``.

    Returns:
        The reason the code names, or "".
    """
    if status in _UNNAMED_STATUS or status.endswith(".0.0"):
        return ""
    return status_reason(status)


def text_reason(text: str) -> str:
    """Find the reason a diagnostic text names, trying reasons most specific first.

    Args:
        text: diagnostic text, lower case, whitespace collapsed.

    Returns:
        The first matching reason, or "".
    """
    index = first_match(text)
    return NAMES[index] if index >= 0 else ""


# What each subject of an RFC 3463 status (the digit after the class) can be about. A
# reason outside its subject's set contradicts the code: "4.4.7 ... blocked" gave up on a
# delivery (expired), it did not refuse the sender. Subject 7 (security or policy) is
# used for nearly everything in practice, x.0.x says nothing, and detail 0 ("other or
# undefined" status of the subject) is what relaying MTAs write when they do not know:
# no preference for them.
_SUBJECT_REASONS: dict[str, frozenset[str]] = {
    "1": frozenset({"userunknown", "hostunknown", "hasmoved", "rejected", "notaccept",
                    "norelaying", "suspend", "filtered", "syntaxerror"}),
    "2": frozenset({"mailboxfull", "suspend", "filtered", "exceedlimit", "mesgtoobig",
                    "userunknown"}),
    "3": frozenset({"systemfull", "systemerror", "mesgtoobig", "notaccept", "mailererror",
                    "contenterror", "networkerror"}),
    "4": frozenset({"networkerror", "hostunknown", "expired", "toomanyconn", "systemerror",
                    "notaccept", "systemfull"}),
    "5": frozenset({"syntaxerror", "exceedlimit", "securityerror", "toomanyconn", "speeding",
                    "rejected", "norelaying"}),
    "6": frozenset({"contenterror", "notcompliantrfc", "mesgtoobig", "spamdetected",
                    "virusdetected", "policyviolation"}),
}  # fmt: skip

# What a refusal at each SMTP stage can be about: at the greeting or HELO nothing but the
# connecting host is known; at MAIL FROM the sender too; the recipient at RCPT TO; the
# content only after DATA.
_STAGE_REASONS: dict[str, frozenset[str]] = {
    "connect": frozenset({"blocked", "requireptr", "toomanyconn", "speeding", "badreputation",
                          "networkerror", "notaccept", "systemerror", "securityerror",
                          "failedstarttls", "expired", "systemfull"}),
    "mail": frozenset({"rejected", "authfailure", "blocked", "requireptr", "securityerror",
                       "norelaying", "speeding", "badreputation", "syntaxerror", "mesgtoobig",
                       "systemfull", "toomanyconn", "policyviolation", "spamdetected"}),
    "rcpt": frozenset({"userunknown", "hostunknown", "mailboxfull", "suspend", "hasmoved",
                       "norelaying", "filtered", "rejected", "blocked", "exceedlimit",
                       "speeding", "toomanyconn", "notaccept", "policyviolation",
                       "authfailure", "requireptr", "badreputation", "spamdetected",
                       "securityerror", "systemerror", "syntaxerror", "mesgtoobig"}),
    "data": frozenset({"spamdetected", "virusdetected", "policyviolation", "contenterror",
                       "mesgtoobig", "notcompliantrfc", "authfailure", "filtered",
                       "mailboxfull", "systemerror", "securityerror", "exceedlimit",
                       "rejected", "blocked", "suspend", "userunknown", "badreputation",
                       "speeding", "systemfull"}),
}  # fmt: skip


class Clue(NamedTuple):
    """One piece of text evidence for a reason."""

    reason: str
    strong: bool  # False for a mere hint, which a status code overrides


def text_reasons(text: str) -> tuple[Clue, ...]:
    """Every reason whose phrases occur in `text`, most specific table first.

    Args:
        text: diagnostic text, lower case, whitespace collapsed.

    Returns:
        One clue per matching table.
    """
    return tuple(Clue(NAMES[i], TEXT_ORDER[i] not in WEAK) for i in every_match(text))


def best_text_reason(found: tuple[Clue, ...], status: str, stage: str) -> Clue | None:
    """Choose among the reasons a text names the one the rest of the evidence supports.

    A strong clue beats a hint; then a reason that the status code's subject allows
    beats one it contradicts, and then one the SMTP stage allows; among equals the first
    clue (the most specific table) wins.

    Args:
        found: clues, most specific source first.
        status: the recipient's enhanced status code, or "".
        stage: the refused command ("connect", "mail", "rcpt", "data") or "".

    Returns:
        The chosen clue, or None when `found` is empty.
    """
    if len(found) < 2:
        return found[0] if found else None
    parts = status.split(".")
    vague = len(parts) != 3 or parts[2] == "0"
    subject = REASONS if vague else _SUBJECT_REASONS.get(parts[1], REASONS)
    allowed = _STAGE_REASONS.get(stage, REASONS)

    def fit(clue: Clue) -> tuple[bool, bool, bool]:
        return clue.strong, clue.reason in subject, clue.reason in allowed

    return max(found, key=fit)  # max keeps the first of equals


def explicit_userunknown(text: str) -> bool:
    """Tell whether `text` names the recipient unknown in a way no SMTP stage can qualify.

    Args:
        text: diagnostic text, lower case, whitespace collapsed.

    Returns:
        True for the wording of MTAs and providers whose "unknown" is always about the
        address (Domino's directory, Orange's code 416, ...).
    """
    return bool(text) and _explicit().first(text) >= 0


@lru_cache(maxsize=1)
def _explicit() -> PhraseIndex:
    # one table: searched by keys like the others (one expression of all the phrases was
    # tried at every character of the text)
    return PhraseIndex([EXPLICIT_USERUNKNOWN_PHRASES])


def actor(reason: str) -> str:
    """Who must act for `reason`: ``sender``, ``recipient_provider``, ``our_provider``, ``none``.

    Args:
        reason: a reason name.

    Returns:
        The actor code; unknown reasons fall to ``our_provider`` (support looks into it).
    """
    return ACTOR.get(reason, ACTOR_OUR_PROVIDER)


def retryable(reason: str, status: str, replycode: str) -> bool:
    """Tell whether sending again later, unchanged, can succeed.

    Args:
        reason: the reason name.
        status: the enhanced status code, or "".
        replycode: the SMTP reply code, or "".

    Returns:
        True for transient reasons and for 4xx (temporary) codes.
    """
    if reason in ("delivered", "vacation", "feedback"):
        return False
    if status.startswith("4.") or replycode.startswith("4"):
        return True
    return reason in RETRYABLE


# Last resort for a bare SMTP reply code without text (RFC 5321 §4.2.2 meanings, and the
# usage of the seed documents: 552 is the size limit, 452 a full mailbox).
REPLY_REASON: dict[str, str] = {
    "552": "mesgtoobig", "452": "mailboxfull", "550": "userunknown", "551": "hasmoved",
    "553": "userunknown", "501": "syntaxerror", "500": "syntaxerror", "502": "syntaxerror",
    "503": "syntaxerror", "504": "syntaxerror", "421": "systemerror", "450": "systemerror",
    "451": "systemerror", "554": "rejected", "521": "notaccept", "556": "notaccept",
    "530": "securityerror", "535": "securityerror", "534": "securityerror",
}  # fmt: skip
