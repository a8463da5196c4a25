"""Per-reason checks on the meaning of a reply, for wording no phrase table holds.

The phrase tables hold what servers are known to write. A server nobody has read says the
same things in its own words: "the recipient's mailbox exceeded the local limit", "mail
size limit exceeded", "this sender's domain is unknown". Each check here names a reason
by two kinds of words that must both occur close together (a subject: mailbox, domain,
relay, sender...; and what happened to it: full, unknown, denied...), in English, French
and German. They say less than a phrase, so they come after the phrase tables and after
a status code that names a precise cause, and before the vague status codes (x.7.1 says
"refused by policy", not which policy).

Every check is written from the vocabulary of RFC 3463's subjects and of the reasons'
definitions (Sisimai's reason pages), never from one bounce; `bench/bounces.py` shows on
how many families of the dev corpus each one fires.
"""

from __future__ import annotations

from functools import lru_cache

from ._match import PhraseIndex

# Up to this many words may stand between the two parts of a check.
_GAP = 4

_ACCOUNT = (
    r"mailbox|mail box|mailboxes|inbox|mailfolder|maildir|account|accounts|user|users|"
    r"recipient|recipients|addressee|address|destinataire|utilisateur|adresse|compte|"
    r"boîte|boite|bal|empfänger|postfach|benutzer|konto|local part|alias"
)
_UNKNOWN = (
    r"unknown|not found|does not exist|doesn't exist|do not exist|not exist|no such|"
    r"nonexistent|non-existent|not valid|is invalid|invalid|inconnu|inconnue|inexistant|"
    r"inexistante|n'existe pas|n'existe plus|introuvable|unbekannt|existiert nicht|"
    r"not a valid|undeliverable address|unrecognized|not recognized"
)
_FULL = (
    r"full|quota|over quota|overquota|exceeds? (?:its|the|his|her) (?:size|storage|limit)|"
    r"exceeded (?:its|the|his|her|allowed) (?:size|storage|limit|local limit)|"
    r"exceeded the local limit|out of (?:space|storage)|no (?:more )?space|"
    r"insufficient (?:space|storage)|pleine|plein|saturée|saturé|voll|überfüllt|capacity"
)
_DISABLED = (
    r"disabled|suspended|inactive|deactivated|deactived|locked|closed|frozen|expired|"
    r"désactivée?|suspendue?|inactive?|bloquée?|fermée?|gesperrt|deaktiviert|stillgelegt"
)
_DOMAIN = r"domain|domains|host|hostname|domaine|domäne|mx record|mx records|mail exchanger"
_SENDER = (
    r"sender|senders|sender's|envelope from|mail from|from address|return-path|"
    r"expéditeur|expediteur|emetteur|émetteur|absender"
)
_REFUSED = (
    r"rejected|refused|denied|not allowed|not permitted|prohibited|forbidden|blocked|"
    r"not authorized|unauthorized|invalid|unknown|blacklisted|banned|not accepted|"
    r"refusée?|rejetée?|interdite?|abgelehnt|nicht erlaubt"
)

# (reason, first words, second words): the reason holds when a word of each part occurs,
# in either order, with at most _GAP words between them (or the first part alone, when
# the second is empty: words that say it all). Tried in this order; every
# match is returned and the caller weighs them like phrase matches.
CHECKS: tuple[tuple[str, str, str], ...] = (
    # the message is bigger than the recipient's server takes
    ("mesgtoobig", r"message|mail|email|e-mail|courrier|courriel|nachricht|size|taille",
     r"too (?:big|large|long)|size limit|size exceeds|exceeds (?:the )?(?:maximum|max|size)|"
     r"maximum (?:message )?size|trop (?:gros|volumineux|lourd)|zu gro(?:ß|ss)"),
    # the recipient's storage
    ("mailboxfull", _ACCOUNT, _FULL),
    # the whole server's storage, not one mailbox's
    ("systemfull", r"disk|disks|system|server|filesystem|file system|spool|serveur|disque",
     r"full|insufficient (?:space|storage)|out of (?:space|storage)|no (?:space|storage)|"
     r"plein|saturé"),
    ("suspend", _ACCOUNT, _DISABLED),
    # the recipient's domain (a sender's domain is checked below, as a refused sender)
    ("hostunknown", _DOMAIN,
     r"unknown|not found|does not exist|doesn't exist|not exist|no such|nxdomain|"
     r"unresolvable|cannot be resolved|could not be resolved|unroutable|unrouteable|"
     r"not reachable|unreachable|"
     r"inconnu|inexistant|n'existe pas|unbekannt"),
    ("rejected", _SENDER, _REFUSED),
    ("userunknown", _ACCOUNT, _UNKNOWN),
    ("norelaying", r"relay|relaying|relayed|relais",
     r"denied|not permitted|not allowed|prohibited|refused|forbidden|not authorized|"
     r"unauthorized|access|interdit|refusé|verweigert|nicht erlaubt"),
    # "we do not relay", "not configured to relay", "unable to relay" (never a sendmail
    # log's "relay=host")
    ("norelaying", r"not|unable to|cannot|can't|won't|do not|don't|pas de|kein",
     r"relay(?!=)|relaying|relais"),
    ("norelaying", r"no relaying|no relay access|pas de relais", ""),
    ("authfailure", r"spf|dkim|dmarc",
     r"fail|fails|failed|failure|not pass|did not pass|reject|rejected|policy|alignment|"
     r"invalid|échec|échoué|unauthenticated"),
    ("requireptr", r"ptr|reverse dns|rdns|reverse lookup|reverse-dns|reverse hostname|"
     r"résolution inverse|dns inverse|reverse dns record",
     r"missing|no|not|fail|failed|required|requires|does not|doesn't|invalid|unable|"
     r"mismatch|absent|manquant|lookup"),
    # RFC 5321's "452 Too many recipients" is a limit of the connection, as Sisimai reads it
    ("toomanyconn", r"too many|trop de|zu viele",
     r"connections|connexions|concurrent|simultaneous|sessions|verbindungen|recipients|"
     r"destinataires"),
    # the connection itself failed (a refused one is the remote's choice: see blocked)
    ("networkerror", r"connect|connection|connections|route|network|smtp connection",
     r"timed out|timeout|reset|unreachable|lost|unable|could not|couldn't|wasn't able|"
     r"no route|not able|failed"),
    ("speeding", r"rate|sending|volume|too many messages|too many mails|trop de messages",
     r"limit|limited|limits|exceeded|throttled|throttling|excessive|too high"),
    ("virusdetected", r"virus|malware|infected|trojan|worm|viral",
     r"detected|found|contains|infected|détecté|trouvé|gefunden|content|message"),
    ("blocked", r"ip|ip address|your ip|client host|sending server|connecting host|"
     r"blacklist|blocklist|black list|block list|dnsbl|rbl|spamhaus|spamcop|sorbs|"
     r"barracuda|adresse ip",
     r"blacklisted|blocklisted|listed|blocked|banned|blacklist|blocklist|reputation|"
     r"refused|rejected|denied|bloqué|bloquée|refusé|refusée"),
    ("spamdetected", r"spam|junk|unsolicited|bulk|indésirable|pourriel|spamverdacht",
     r"detected|message|content|rejected|refused|score|suspected|classified|considered|"
     r"looks like|identified|filter|likely|probable|détecté|considéré|contenu|mail|email"),
    ("policyviolation", r"policy|policies|politique|richtlinie",
     r"violation|violates|violated|local|content|rejected|refused|denied|not allowed"),
    ("syntaxerror", r"syntax|syntaxe", r"error|erreur|invalid|incorrect|bad|fehler"),
    ("syntaxerror", r"command|commande|befehl",
     r"unrecognized|not recognized|not implemented|out of sequence|bad sequence"),
)  # fmt: skip


def _pair(first: str, second: str) -> str:
    if not second:
        return rf"\b(?:{first})\b"
    gap = rf"(?:\W+\w+){{0,{_GAP}}}?\W+"
    return rf"\b(?:{first})\b{gap}(?:{second})\b|\b(?:{second})\b{gap}(?:{first})\b"


@lru_cache(maxsize=1)
def _index() -> PhraseIndex:
    # one table per check: a check is tried only where one of its words occurs
    return PhraseIndex([(_pair(first, second),) for _, first, second in CHECKS])


def concept_reasons(text: str) -> tuple[str, ...]:
    """Every reason whose check holds in `text`, in the order of `CHECKS`.

    Args:
        text: the server's reply, lower case, whitespace collapsed.

    Returns:
        Reason names, each once.
    """
    if not text:
        return ()
    return tuple(dict.fromkeys(CHECKS[table][0] for table in _index().every(text)))
