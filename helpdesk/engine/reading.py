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

from helpdesk.understanding.pasted import marked_lines

# Where a sentence ends, and where a second question starts inside one sentence
# ("which port is IMAP on, and what's the webmail?").
_SENTENCE_END: Final = re.compile(r"(?<=[?!.;])\s+|\n+")
_QUESTION_WORDS: Final = (
    r"how|what|what's|whats|which|where|when|why|can|could|is|are|do|does|should|will"
    r"|comment|quel|quelle|quels|quelles|o[uù]|pourquoi|combien|quand|est-ce|c'est|"
    r"peut-on|puis-je|pouvez-vous|faut-il|dois-je|qu'est-ce"
)
_SECOND_QUESTION: Final = re.compile(
    rf",?\s+(?:and|also|plus|et|puis|aussi|ainsi que)\s+"
    rf"(?:also\s+|aussi\s+|ensuite\s+|then\s+|[a-z]+ly\s+)?"
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
# A sign-off is short and asks nothing: "Merci, et pour le téléphone ?" is a question.
_SIGN_OFF_WORDS: Final = 8


def _signs_off(line: str) -> bool:
    return (
        _SIGN_OFF.match(line) is not None
        and "?" not in line
        and len(line.split()) <= _SIGN_OFF_WORDS
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


def read(text: str) -> Reading:
    """Split `text` into the customer's own words and pasted machine text, and cut
    their words into the segments that may each ask something."""
    own: list[str] = []
    machine: list[str] = []
    signed = False  # below a sign-off, the customer's lines are a signature
    for line, pasted in marked_lines(text):
        if pasted:
            machine.append(line)  # a report forwarded below the signature still counts
        elif not signed:
            signed = bool(own) and _signs_off(line)
            if not signed:
                own.append(line)
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


# A mailbox that sends what its owner did not write, or whose sending was suspended for
# it: the seed's procedure for a hacked mailbox (change the password; sending suspended
# 72 h) whatever the words around it (bounces, "failure notice", full mailbox...) suggest.
_HACKED: Final = re.compile(
    r"\b(?:pirat\w*|hack\w*|compromi\w*|usurp\w*|spoof\w*)\b|\ben mon nom\b|\bin my name\b"
    r"|\bde ma part\b[^.?!\n]{0,40}\b(?:spam|pub|lien|bizarre)"
    r"|\b(?:spam|pub)\w*\b[^.?!\n]{0,60}\b(?:from my (?:address|account|e-?mail|mailbox)"
    r"|de mon adresse|depuis mon adresse|de ma bo[iî]te)"
    r"|\b(?:never sent|n'ai (?:jamais|pas) envoy)"
    r"|\b(?:envoy\w*|sent|sending)\s+(?:du\s+|des\s+)?spams?\b"
    # only an address that sent spam is suspended (a limit exceeded is blocked an hour)
    r"|\bsuspen(?:du|due|dus|sion|ded|sion)\b",
    re.IGNORECASE,
)


def tells_of_a_hacked_mailbox(text: str) -> bool:
    """Whether the customer says their mailbox sends what they did not write."""
    return _HACKED.search(text) is not None


_NO_ERROR: Final = re.compile(
    r"\b(?:aucun|aucune|pas d'|pas de|sans|jamais eu d'|no|without|any|never got an?|not an?)"
    r"\s+(?:message d'erreur|erreur|retour|error(?: message)?|bounce|notification|ndr)\b",
    re.IGNORECASE,
)


def says_no_error(text: str) -> bool:
    """Whether the customer says no error came back ("je n'ai aucun message d'erreur")."""
    return _NO_ERROR.search(text) is not None


def asks_for_settings(text: str) -> bool:
    """Whether `text` asks for servers, ports or logins rather than which protocol to
    choose: "which port is IMAP on?" wants the settings, not the comparison."""
    return bool(_SETTINGS_WORDS.search(text)) and not _COMPARING.search(text)


# The customer does not have their password: forgotten, lost, never given, or asked back
# ("vous pouvez me le redonner ?" after naming it). Only a reset can help, whatever else
# the message is about (setting up a program, a new phone).
_PASSWORD_WORD: Final = r"(?:mot de passe|mdp|password|passwd|pw)"  # noqa: S105 - words, not a secret
_WITHOUT_PASSWORD: Final = re.compile(
    rf"\b(?:(?:oubli\w*|perdu|paum\w*|forgot(?:ten)?|lost)\b[^.?!\n]{{0,25}}\b{_PASSWORD_WORD}"
    rf"|{_PASSWORD_WORD}\s+(?:oubli\w*|perdu|forgotten|lost)"
    rf"|(?:ne|n')\s*(?:le |l')?(?:connais|sais|retrouve|trouve|ai|avons|me souviens)"
    rf"\s+(?:pas|plus|jamais)\b[^.?!\n]{{0,25}}\b{_PASSWORD_WORD}"
    rf"|(?:don't|do not|doesn't|can't|cannot|never)\s+(?:know|remember|recall|have|had|got"
    rf"|gave|given)\b[^.?!\n]{{0,25}}\b{_PASSWORD_WORD}"
    rf"|(?:jamais|pas)\s+(?:donn\w*|transmis|communiqu\w*|re[çc]u)\b[^.?!\n]{{0,15}}"
    rf"\b{_PASSWORD_WORD}"
    rf"|(?:what(?:'s| is)|quel est)\s+(?:my|mon|le)\s+{_PASSWORD_WORD})\b",
    re.IGNORECASE,
)


def lacks_the_password(text: str) -> bool:
    """Whether the customer says they do not have their mailbox's password."""
    return _WITHOUT_PASSWORD.search(text) is not None


# The reset link cannot reach the customer: no recovery address was ever set, or the
# links asked for never came ("je n'ai jamais renseigné d'adresse de secours", "I never
# gave you any other email address", "j'ai demandé trois fois et rien reçu").
_NO_RECOVERY: Final = re.compile(
    # no recovery address: "no recovery address", "never gave you any other email address",
    # "pas d'adresse de secours", "jamais renseigné d'adresse de secours"
    r"\b(?:no|any|pas d'|aucune|never (?:gave|set|entered|added|provided|registered)"
    r"(?: you)?(?: an?| any)?|jamais (?:renseign\w*|donn\w*|mis|saisi\w*|indiqu\w*)"
    r"(?: d'| une| l')?)\s*"
    r"(?:(?:other|external|backup|secondary|alternate|recovery) (?:e-?mail )?(?:address|email)"
    r"|autre adresse|adresse (?:de secours|externe)|recovery)"
    # links that never came: "rien reçu", "the link never came", "ne m'arrive nulle part"
    r"|\b(?:rien re[çc]u|toujours rien|nothing (?:came|arrived|has come|has arrived)"
    r"|(?:never|still hasn't|hasn't|has not|didn't|did not) (?:came|come|arrived?)"
    r"|n'est (?:jamais|pas) arriv\w*"
    r"|(?:never|didn't|did not|haven't|have not|not) (?:got|get|gotten|received?)"
    r"(?: (?:it|the link|any link|anything|the email|any email))?"
    r"|(?:ne )?(?:m')?(?:arrive|est arriv\w*|re[çc]oi[st]?) (?:jamais|rien|pas|nulle part))\b",
    re.IGNORECASE,
)


def says_link_cannot_reach(text: str) -> bool:
    """Whether the customer says a reset link cannot reach them: no recovery address on
    file, or the links asked for never came."""
    return _NO_RECOVERY.search(text) is not None


# A request that support act on the customer's account: only staff can reactivate a
# suspended sending, enlarge a mailbox or fix something on the servers' side.
_STAFF_ACTION: Final = re.compile(
    r"\b(?:pouvez[- ]vous|pourriez[- ]vous|vous pouvez|vous pourriez|merci de|je veux|je"
    r" voudrais|j'aimerais|il faut|can you|could you|would you|please|i want|i'd like|i need)"
    r"\b[^.?!\n]{0,60}?\b(?:r[ée]activ\w*|d[ée]bloqu\w*|r[ée]tabli\w*|augment\w*|lever"
    r"|unblock\w*|unsuspend\w*|reactivat\w*|re-?enable\w*|increase\w*|restore\w*|lift"
    r"|corrig\w*|fix)\b",
    re.IGNORECASE,
)


def asks_staff_action(text: str) -> bool:
    """Whether `text` asks support to act on the account ("can you unblock my sending
    now?"): the bot answers what it can and passes the request to staff."""
    return _STAFF_ACTION.search(text) is not None


# One way works ("la réception fonctionne", "I can receive fine"): the other is the problem.
_WORKS = r"\s+(?:marche|fonctionne|va|passe|works?|is (?:fine|ok)|ok|fine)\b"
_RECEIVING_WORKS: Final = re.compile(
    rf"\b(?:la r[ée]ception|receiving|incoming(?: mail)?){_WORKS}|\bje re[çc]ois bien\b"
    r"|\bi (?:can )?receive (?:fine|ok|normally)\b",
    re.IGNORECASE,
)
_SENDING_WORKS: Final = re.compile(
    rf"\b(?:l'envoi|sending|outgoing(?: mail)?){_WORKS}|\bj'envoie bien\b"
    r"|\bi (?:can )?send (?:fine|ok|normally)\b",
    re.IGNORECASE,
)


# A server named by its host name, or by a short name with a number ("mail2", "mail3");
# a bare "mail" is the common word, not a server.
_SERVER_LIKE: Final = re.compile(r"\b([a-z][a-z-]*\d+)(?:\.[a-z0-9-]+)*\b", re.IGNORECASE)


def servers_named(text: str, servers: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The provider's servers `text` names (full names), and the server-like names it
    gives that are none of them ("the paper says mail3")."""
    lowered = text.lower()
    known = [s for s in servers if s.lower() in lowered]
    unknown: list[str] = []
    labels = {s.split(".")[0].lower(): s for s in servers}
    for match in _SERVER_LIKE.finditer(lowered):
        label = match.group(1)
        if label in labels:
            if labels[label] not in known:
                known.append(labels[label])
        elif label.startswith(tuple(labels)) and label not in unknown:
            unknown.append(label)
    return known, unknown


def direction(text: str) -> str | None:
    """ "send" or "receive" when the text is about one of them only (or says the other
    one works), else None."""
    sends, receives = bool(_SEND.search(text)), bool(_RECEIVE.search(text))
    if sends and receives:
        if _RECEIVING_WORKS.search(text):
            return "send"
        if _SENDING_WORKS.search(text):
            return "receive"
    if sends and not receives:
        return "send"
    if receives and not sends:
        return "receive"
    return None
