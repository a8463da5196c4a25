"""Reading a customer's message before understanding it: their own words, and their questions.

A message may hold a story, a greeting, a signature, a quoted earlier mail, a pasted
bounce or headers. Only the customer's own sentences say which language they write in
and what they ask; pasted machine text is evidence for the checks (a bounce to explain),
never a question of its own. `read` is a pure function: it splits the text, it does not
classify it (the engine does, one segment at a time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# Lines someone else wrote: quoted replies, pasted reports and headers, SMTP transcripts,
# log lines. A line is machine text when it looks like one of these, whatever its language.
_MACHINE_LINE: Final = re.compile(
    r"""^\s*(?:
        [>|]                                        # quoted reply, pasted with a bar
      | [-=_*]{3,}                                  # separators of reports and forwards
      | <<<|>>>                                     # SMTP transcript
      | [245]\d\d(?:-|\s+[245]\.\d{1,3}\.\d{1,3}\b)   # an SMTP reply line
      | [A-Za-z][\w-]{1,40}:\s                      # a header or report field: "Status: 5.1.1"
      | <[^>\s]+@[^>\s]+>\s*:?                      # "<rcpt@example.com>: host ..."
      | (?:\w{3}\s+\d+\s+)?\d\d:\d\d:\d\d\s         # a log line's time stamp
      | (?:on\s.{5,80}\swrote|le\s.{5,80}\sa\s+[ée]crit)\s*:   # a reply's attribution
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Reading a line as machine text needs more than the field shape when it could be prose
# ("Note: I tried twice"): these words start fields of reports and headers.
_FIELD_NAMES: Final = re.compile(
    r"^\s*(?:status|action|reporting-mta|remote-mta|final-recipient|original-recipient"
    r"|diagnostic-code|arrival-date|last-attempt-date|received|return-path|message-id"
    r"|content-[\w-]+|mime-version|x-[\w-]+|from|to|cc|subject|date|de|objet|envoy[ée]"
    r"|sent|dkim-signature|authentication-results|received-spf|arc-[\w-]+|list-[\w-]+"
    r"|delivered-to|reply-to|references|in-reply-to|diagnostic|remote server|error)\s*:",
    re.IGNORECASE,
)
# Markers of a pasted report that are whole lines of English machine text.
_REPORT_LINE: Final = re.compile(
    r"\b[245]\.\d{1,3}\.\d{1,3}\b|\b[45]\d\d[\s-][45]\.|mailer-daemon|delivery status"
    r"|undeliverable|could not be delivered|couldn't be delivered|wasn't delivered"
    r"|this is the mail system|delivery has failed|recipient address rejected"
    r"|user unknown|message file too big|mailbox (?:is )?full|quota exceeded"
    r"|host or domain name not found|the following (?:message|address)"
    r"|requested action|mailbox unavailable|relay access denied|access denied",
    re.IGNORECASE,
)
# Where a sentence ends, and where a second question starts inside one sentence
# ("which port is IMAP on, and what's the webmail?").
_SENTENCE_END: Final = re.compile(r"(?<=[?!.;])\s+|\n+")
_QUESTION_WORDS: Final = (
    r"how|what|what's|whats|which|where|when|why|can|could|is|are|do|does|should|will"
    r"|comment|quel|quelle|quels|quelles|o[uù]|pourquoi|combien|quand|est-ce|c'est|"
    r"peut-on|puis-je|pouvez-vous|faut-il|dois-je|qu'est-ce"
)
_SECOND_QUESTION: Final = re.compile(
    rf",?\s+(?:and|also|plus|et|puis|aussi|ainsi que)\s+(?:also\s+|aussi\s+)?"
    rf"(?=(?:{_QUESTION_WORDS})\b)",
    re.IGNORECASE,
)
# Sign-off lines: what follows them is a signature.
_SIGN_OFF: Final = re.compile(
    r"^\s*(?:cordialement|bien (?:à|a) vous|bien cordialement|salutations|regards|best"
    r"|best regards|kind regards|cheers|thanks|thank you|merci|merci d'avance|bonne journ[ée]e"
    r"|sent from my|envoy[ée] de mon|--)\b.{0,40}$",
    re.IGNORECASE,
)
# A segment needs this many letters to be read as a request of its own.
_MIN_SEGMENT_LETTERS: Final = 6
MAX_SEGMENTS: Final = 6


@dataclass(frozen=True)
class Reading:
    """What a message is made of.

    `prose` is the customer's own words (quotes, pasted reports and the signature set
    aside), `machine` the pasted machine text, `segments` the prose cut where one
    request ends and another may start, in order.
    """

    prose: str
    machine: str
    segments: tuple[str, ...]

    @property
    def words(self) -> int:
        return len(self.prose.split())

    @property
    def has_machine_text(self) -> bool:
        return bool(self.machine.strip())


def _is_machine(line: str) -> bool:
    if _MACHINE_LINE.match(line):
        # "Note: ..." or "Edit: ..." is prose; report and header fields are not
        shape_only = re.match(r"^\s*[A-Za-z][\w-]{1,40}:\s", line) and not _FIELD_NAMES.match(line)
        return not shape_only
    return bool(_REPORT_LINE.search(line)) and not re.search(r"[?]\s*$", line)


def read(text: str) -> Reading:
    """Split `text` into the customer's own words and pasted machine text, and cut
    their words into the segments that may each ask something."""
    own: list[str] = []
    machine: list[str] = []
    for line in text.splitlines():
        if _SIGN_OFF.match(line) and own:
            # A sign-off ends the customer's words: below it is a signature.
            break
        (machine if _is_machine(line) else own).append(line)
    prose = "\n".join(own).strip()
    segments: list[str] = []
    for sentence in _SENTENCE_END.split(prose):
        for part in _SECOND_QUESTION.split(sentence):
            part = part.strip(" ,;-")
            if sum(c.isalpha() for c in part) >= _MIN_SEGMENT_LETTERS:
                segments.append(part)
    return Reading(prose=prose, machine="\n".join(machine).strip(), segments=tuple(segments))


_SEND: Final = re.compile(
    r"\b(?:send|sending|sent|outgoing|smtp|envoi|envois|envoyer|envoie|envoy|sortant|sortants"
    r"|expedi\w*|exp[ée]di\w*|partir|part pas|partent)\b",
    re.IGNORECASE,
)
_RECEIVE: Final = re.compile(
    r"\b(?:receive|receiving|incoming|inbound|imap|pop3?|r[ée]ception|recevoir|re[cç]oi[st]"
    r"|re[cç]ois|entrant|entrants|arriv\w*)\b",
    re.IGNORECASE,
)


_SETTINGS_WORDS: Final = re.compile(
    r"\b(?:ports?|serveurs?|servers?|host|h[ôo]te|param[eè]t\w*|r[ée]glages?|settings?"
    r"|config\w*|ssl|tls|identifiant|username|user name|login)\b",
    re.IGNORECASE,
)
_COMPARING: Final = re.compile(
    r"\b(?:diff[ée]rence|difference|vs|versus|ou bien|choisir|choose|choice|choix|mieux"
    r"|better|lequel|laquelle|which one|prefer|pr[ée]f[ée]r\w*|avantages?|advantages?)\b",
    re.IGNORECASE,
)


def asks_for_settings(text: str) -> bool:
    """Whether `text` asks for servers, ports or logins rather than which protocol to
    choose: "which port is IMAP on?" wants the settings, not the comparison."""
    return bool(_SETTINGS_WORDS.search(text)) and not _COMPARING.search(text)


def direction(text: str) -> str | None:
    """ "send" or "receive" when the text is about one of them only, else None."""
    sends, receives = bool(_SEND.search(text)), bool(_RECEIVE.search(text))
    if sends and not receives:
        return "send"
    if receives and not sends:
        return "receive"
    return None
