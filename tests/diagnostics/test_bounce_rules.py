"""Sisimai's reading rules, on minimal bounces written for each rule (not corpus files)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostics.bounce import parse_bounce

# Words of bounce wording, mixed at random to exercise the phrase index.
_WORDS = (
    "user unknown mailbox full is over quota spam blocked relay access denied not found "
    "recipient address rejected 550 5.1.1 <a@b.example> account disabled ptr reverse dns "
    "spf dmarc fail too many connections rate limited message too big size exceeds domain "
    "does not exist host unknown expired timed out in reply to rcpt to command data virus "
    "policy violation boîte pleine utilisateur inconnu n'existe pas ofr_416 lpn007_506 "
    "uce ube | /usr/bin/procmail x-unix; quota exceeded no such user here"
).split()


def dsn(
    diagnostic: str,
    *,
    status: str = "5.0.0",
    recipient: str = "kijitora@example.jp",
    remote: str = "mx.example.jp",
    prose: str = "",
    reporting: str = "mx.example.org",
    extra: str = "",
) -> bytes:
    """An RFC 3464 report with one recipient, as an MTA would write it."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@example.org>\r\n"
        "To: sender@example.org\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        f"{prose or 'Your message could not be delivered.'}\r\n"
        "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {reporting}\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        f"Status: {status}\r\n"
        f"Remote-MTA: dns; {remote}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        f"{extra}"
        "\r\n--B--\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("diagnostic", "status", "prose", "reason"),
    [
        # "unknown user" wording with a status that does not say so, at no known stage
        ("550 User unknown", "5.0.0", "", "filtered"),
        ("550 <kijitora@example.jp>... No such user", "", "", "filtered"),
        # ... refused at RCPT: the address does not exist
        ("550 User unknown (in reply to RCPT TO command)", "5.0.0", "", "userunknown"),
        (
            "550 User unknown",
            "5.0.0",
            ">>> RCPT To:<kijitora@example.jp>\n<<< 550 x",
            "userunknown",
        ),
        (
            "553 5.3.0 No such user here",
            "",
            "* kijitora@example.jp\nSMTP:RCPT host 192.0.2.1: 553 5.3.0 No such user here",
            "userunknown",
        ),
        # ... refused after DATA: a filter that answers like a missing mailbox
        ("550 User unknown (in reply to end of DATA command)", "5.0.0", "", "filtered"),
        # x.1.1 says it whatever the stage; an address status (x.1.*) implies RCPT
        ("550 5.1.1 User unknown (in reply to end of DATA command)", "5.1.1", "", "userunknown"),
        ("550 5.1.351 unknown recipient -> 550 Unknown user", "5.1.351", "", "userunknown"),
        # a status named "filtered" (x.2.0) with the same words
        ("550 5.2.0 User unknown", "5.2.0", "", "filtered"),
        # x.1.1 yields to a more specific reason (relaying denied, sender refused)
        ("554 5.1.1 Relay access denied", "5.1.1", "", "norelaying"),
    ],
)
def test_userunknown_or_filtered(diagnostic: str, status: str, prose: str, reason: str) -> None:
    """Unknown-user wording counts as userunknown only with x.1.1 or at RCPT, else filtered."""
    report = parse_bounce(dsn(diagnostic, status=status or "5.0.0", prose=prose))
    assert report.reason == reason


@pytest.mark.parametrize(
    "diagnostic",
    [
        "User some.name (kijitora@example.jp) not listed in Domino Directory",
        "550 5.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416",
        "Unable to deliver message to <kijitora@example.jp> (and other recipients in the same "
        "domain). Please check if address is correct.",
    ],
)
def test_vendor_wording_is_userunknown_at_any_stage(diagnostic: str) -> None:
    """Wording that only ever names a missing address stays userunknown without RCPT."""
    assert parse_bounce(dsn(diagnostic)).reason == "userunknown"


def test_pasted_text_keeps_the_plain_reading() -> None:
    """A customer's pasted "550 User unknown" is about the address (no stage to weigh)."""
    assert parse_bounce("550 User unknown").reason == "userunknown"
    assert parse_bounce("Remote server said: 550 No such user").reason == "userunknown"


@pytest.mark.parametrize(
    ("diagnostic", "remote", "recipient", "status", "reason"),
    [
        # au (KDDI): its sender filter answers without an address
        ("550 : User unknown", "lsean.ezweb.ne.jp", "a@ezweb.ne.jp", "5.0.0", "filtered"),
        ("550 <a@ezweb.ne.jp>: User unknown", "lsean.ezweb.ne.jp", "a@ezweb.ne.jp", "5.0.0",
         "userunknown"),
        # NTT DOCOMO: "Unknown user" after DATA is a refused sender
        ("550 Unknown user a@docomo.example.jp (in reply to end of DATA command)",
         "mfsmax.docomo.ne.jp", "a@docomo.example.jp", "5.0.0", "rejected"),
        ("550 Unknown user a@docomo.example.jp (in reply to RCPT TO command)",
         "mfsmax.docomo.ne.jp", "a@docomo.example.jp", "5.0.0", "userunknown"),
        # Yahoo: "dd This user doesn't have a ... account" even after DATA
        ("554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0]",
         "mta6.am0.yahoodns.net", "a@yahoo.com", "5.0.0", "userunknown"),
        # Orange/La Poste codes, by the recipient's domain
        ("550 5.7.1 Service refused, please try later. OFR006_103", "mx.example.net",
         "a@orange.fr", "5.7.1", "blocked"),
        # Spectrum: AUP#In-13xx is a connection limit, whatever the text says
        ("550 5.1.0 <b@example.com> sender rejected. AUP#In-1310", "mx.charter.net",
         "a@charter.net", "5.1.0", "toomanyconn"),
        # Mimecast documents its codes
        ("554 Host network not allowed - https://community.mimecast.com/docs", "eu.mimecast.com",
         "a@example.com", "5.0.0", "policyviolation"),
    ],
)  # fmt: skip
def test_provider_rules(
    diagnostic: str, remote: str, recipient: str, status: str, reason: str
) -> None:
    """Providers' own wording and codes are read with their rules (remote host or domain)."""
    report = parse_bounce(dsn(diagnostic, status=status, remote=remote, recipient=recipient))
    assert report.reason == reason


def test_provider_rules_do_not_apply_elsewhere() -> None:
    """The same words from another host get the generic reading."""
    report = parse_bounce(dsn("550 : User unknown (in reply to RCPT TO command)"))
    assert report.reason == "userunknown"


def test_provider_code_yields_to_a_contradicting_specific_status() -> None:
    """A provider code does not overturn a status code that names another cause."""
    text = "552 5.3.4 Message size exceeds fixed maximum message size. LPN007_402"
    report = parse_bounce(dsn(text, status="5.3.4", recipient="a@laposte.net"))
    assert report.reason == "mesgtoobig"


@pytest.mark.parametrize(
    ("diagnostic", "status", "reason"),
    [
        ("X-Unix; 255", "5.0.0", "mailererror"),  # no named status: the mailer failed
        ("x-unix; temporary failure", "4.3.0", "mailererror"),  # 4.3.0 names nothing
        ("X-Unix; 77", "5.3.0", "systemerror"),  # 5.3.0 names a system error
        ("x-unix; /var/mail/a: Disk quota exceeded", "4.3.0", "mailboxfull"),  # output says why
    ],
)
def test_local_delivery_program(diagnostic: str, status: str, reason: str) -> None:
    """A failed local mailer is a mailer error unless its output or a named status says more."""
    assert parse_bounce(dsn(diagnostic, status=status)).reason == reason


def test_powermta_category() -> None:
    """PowerMTA's bounce category names the reason."""
    extra = "X-PowerMTA-BounceCategory: bad-mailbox\r\n"
    report = parse_bounce(
        dsn("554 delivery error: dd This user doesn't have an account", extra=extra)
    )
    assert report.reason == "userunknown"


def test_exim_refusal_at_connection() -> None:
    """Refused at the connection before any address: blocked, unless it names PTR records."""
    prose = (
        "kijitora@example.jp\n  host mx.example.jp [192.0.2.2]\n"
        "  SMTP error from remote mail server after initial connection:\n"
    )
    blocked = parse_bounce(dsn("554 5.7.1 [C14] Missing reverse DNS", status="5.7.1", prose=prose))
    assert blocked.reason == "blocked"
    ptr = "554 all mail servers must have a PTR record with a valid Reverse DNS entry"
    assert parse_bounce(dsn(ptr, prose=prose)).reason == "requireptr"


def test_transcript_sender_is_not_a_recipient_and_success_codes_are_not_the_outcome() -> None:
    """In a session transcript, MAIL FROM's address is the sender; the failed reply counts."""
    text = (
        "From: MAILER-DAEMON@example.org\nSubject: Postmaster notification\n"
        "To: postmaster@example.org\n\nTranscript of session follows.\n\n"
        " In:  MAIL FROM:<sender@example.org> SIZE=200\n Out: 250 2.1.0 Ok\n"
        " In:  RCPT TO:<kijitora@example.jp>\n Out: 250 2.1.5 Ok\n In:  DATA\n"
        " Out: 354 End data with <CR><LF>.<CR><LF>\n Out: 451 4.3.0 Error: queue file write error\n"
    )
    first = parse_bounce(text.encode()).first
    assert first.recipient == "kijitora@example.jp"
    assert first.status == "4.3.0"
    assert first.reason != "delivered"


def test_apple_mail_unsubscribe_is_feedback() -> None:
    """Apple Mail's unsubscribe message is an opt-out complaint."""
    raw = (
        b"From: someone@icloud.com\r\nTo: opt-out@example.org\r\nSubject: unsubscribe\r\n"
        b"Auto-Submitted: auto-replied\r\nX-Apple-Unsubscribe: true\r\n\r\n"
        b"Apple Mail sent this email to unsubscribe from the message.\r\n"
    )
    report = parse_bounce(raw)
    assert report.reason == "feedback"
    assert report.recipient == "someone@icloud.com"


def test_vague_outer_bounce_gives_way_to_the_attached_report() -> None:
    """A gateway's bounce that says nothing precise yields to the report it carries."""
    inner = dsn("550 5.1.1 User unknown", status="5.1.1").decode()
    raw = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@gw.example.org>\r\n"
        "To: sender@example.org\r\nSubject: Returned mail\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="O"\r\n\r\n--O\r\nContent-Type: text/plain\r\n\r\n'
        "----- The following addresses had permanent delivery errors -----\r\n\r\n"
        "--O\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "\r\n--O--\r\n"
    ).encode()
    report = parse_bounce(raw)
    assert report.reason == "userunknown"
    assert report.status == "5.1.1"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"mailbox (?:is )?full", ("mailbox ",)),
        (r"(?:user|recipient) (?:not found|unknown)", ("not found", "unknown")),
        (r"over ?quota", ("quota",)),
        (r"exceeds? (?:the )?limit", ("exceed",)),
        (r"\bspam\b", ("spam",)),
        (r"\b(?:ofr|lpn)\d*_41[67]\b", ("_41",)),
        (r"procmail|maildrop", ("procmail", "maildrop")),
        (r"sorbs\.net|cbl\.", ("sorbs", "cbl")),
        (r"\buc?be\b", ()),
        (r"(?:is )?full", ("full",)),
        (r"(?:a|b) x", ()),
        (r"rcpt[_ ]to\b.{0,20}\b(?:unknown|not exist)", ("unknown", "not exist")),
        (r"(?<![=\w])rfc ?(?:5322|822)", ("5322", "822")),
    ],
)
def test_literal_keys_are_plain_text_of_every_match(
    pattern: str, expected: tuple[str, ...]
) -> None:
    """A phrase's keys are plain text outside optional parts; () when it has none."""
    from diagnostics.bounce._match import literal_keys

    assert literal_keys(pattern) == expected


def test_every_match_of_a_phrase_holds_one_of_its_keys() -> None:
    """On the texts of the shared corpus, each match of each phrase contains a key of it
    (the index searches a phrase only where a key occurs)."""
    import re

    from diagnostics.bounce import _phrases, _text
    from diagnostics.bounce._match import literal_keys
    from tests.conftest import SHARED

    samples = sorted((SHARED / "corpora" / "bounces" / "samples").iterdir())
    texts = [_text.collapse(p.read_bytes().decode("latin-1")).lower() for p in samples]
    texts.append(" ".join(_WORDS))
    matched = 0
    for phrases in _phrases.PHRASES.values():
        for phrase in phrases:
            keys = literal_keys(phrase)
            for text in texts:
                for match in re.finditer(phrase, text) if keys else ():
                    matched += 1
                    assert any(key in match.group(0) for key in keys), (phrase, match)
    assert matched > 1000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=30))
def test_phrase_index_agrees_with_trying_every_table(words: list[str]) -> None:
    """The index answers exactly what running every table in order answers."""
    import re

    from diagnostics.bounce import _phrases

    text = " ".join(words)
    expected = next(
        (
            index
            for index, name in enumerate(_phrases.TEXT_ORDER)
            if re.search("|".join(f"(?:{p})" for p in _phrases.PHRASES[name]), text)
        ),
        -1,
    )
    assert _phrases.first_match(text) == expected


def test_marker_words_cover_every_marker_phrase() -> None:
    """Text without a marker word is not searched for the copy of the message: each phrase
    of the marker must hold one of the words, or a copy would go unnoticed."""
    from diagnostics.bounce import _text
    from diagnostics.bounce._match import literal_keys

    phrases = _text._MARKER.removeprefix("^[ \\t>|*=_-]*(?:(?:-+ ?)?(?:").removesuffix("))")
    assert phrases != _text._MARKER
    found = literal_keys(phrases)
    assert found
    assert [a for a in found if not any(w in a for w in _text.MARKER_WORDS)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Delivery failed.\n\n------ This is a copy of the message, including all the headers.\n"
        "From: a@b.example",
        "Non remis.\n\n--- Message d'origine ---\nDe : a@b.example",
        "Failed.\n\n  Original message follows.\nTo: x@y.example",
    ],
)
def test_copy_of_the_message_is_cut(text: str) -> None:
    """The bounce's prose stops where the copy of the returned message starts."""
    from diagnostics.bounce._text import cut_original

    cut = cut_original(text)
    assert cut.rstrip().endswith(("Delivery failed.", "Non remis.", "Failed."))
