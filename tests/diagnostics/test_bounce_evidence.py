"""How the evidence of one failed recipient is weighed: phrases, meaning, status, stage.

The replies below are written for these tests, in wordings no phrase table holds, so that
they show what happens to a server nobody has read.
"""

from __future__ import annotations

import pytest

from diagnostics.bounce import parse_bounce
from diagnostics.bounce._concepts import concept_reasons
from diagnostics.bounce._reasons import Clue, best_text_reason

from .test_bounce_rules import dsn


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("550 5.7.1 Your recipient's inbox has exceeded its storage limit", "mailboxfull"),
        ("550 5.7.1 La boîte du destinataire est saturée", "mailboxfull"),
        ("550 5.7.1 This account has been deactivated by its owner", "suspend"),
        ("550 5.7.1 Relaying through this server is not permitted", "norelaying"),
        ("550 5.7.1 Message looks like spam to our filter", "spamdetected"),
        ("550 5.7.1 Your IP address is listed on our blocklist", "blocked"),
        ("550 5.7.1 DMARC alignment check did not pass", "authfailure"),
        ("550 5.7.1 Sorry, no reverse DNS record found for 192.0.2.1", "requireptr"),
        ("550 5.7.1 Message size exceeds the maximum this server takes", "mesgtoobig"),
        ("550 5.7.1 The sender's address is not permitted here", "rejected"),
        ("550 5.7.1 L'adresse de l'expéditeur est refusée", "rejected"),
        ("550 5.7.1 Virus found in the attachment", "virusdetected"),
        ("550 5.7.1 Sorry, we do not relay for your network", "norelaying"),
        ("550 5.7.1 The domain of this address is not reachable", "hostunknown"),
        ("550 5.7.1 Too many recipients in one message", "toomanyconn"),
    ],
)
def test_meaning_decides_over_a_vague_status(reply: str, reason: str) -> None:
    """x.7.1 says "refused by policy", not which policy: the words of the reply say it."""
    assert parse_bounce(dsn(reply, status="5.7.1")).reason == reason


def test_a_report_in_utf8_is_read_as_such() -> None:
    """RFC 6533 lets a report carry UTF-8: its words are read, not turned into "?"."""
    report = parse_bounce(dsn("550 5.7.1 Boîte du destinataire saturée", status="5.7.1"))
    assert report.recipients[0].diagnostic == "550 5.7.1 Boîte du destinataire saturée"


def test_a_status_naming_a_cause_is_not_overturned_by_meaning() -> None:
    """5.2.2 (mailbox full) keeps its meaning whatever vaguer words surround it."""
    reply = "552 5.2.2 Policy: message refused, see our terms"
    assert parse_bounce(dsn(reply, status="5.2.2")).reason == "mailboxfull"


def test_a_sendmail_relay_field_is_no_relay_refusal() -> None:
    """ "relay=host" in a log line names the next hop; "not" near it refuses nothing."""
    assert concept_reasons("550 5.1.1 user unknown, not here relay=mx.example.com.") == (
        "userunknown",
    )


def test_a_connection_that_failed_is_a_network_error() -> None:
    reply = "451 4.4.1 Unable to connect: connection timed out"
    assert parse_bounce(dsn(reply, status="4.4.1")).reason == "networkerror"


def test_checks_need_both_parts_close_together() -> None:
    """One word alone, or two words far apart, names nothing."""
    assert concept_reasons("mailbox") == ()
    far = "mailbox name checked by the server that sent this report was found full"
    assert "mailboxfull" not in concept_reasons(far)
    assert concept_reasons("the mailbox is full") == ("mailboxfull",)


def test_the_status_subject_chooses_between_clues() -> None:
    """Two strong clues: the one the status code's subject allows wins, whatever the order."""
    clues = (Clue("blocked", True), Clue("expired", True))
    assert best_text_reason(clues, "4.4.7", "") == Clue("expired", True)
    assert best_text_reason(clues, "5.7.1", "") == Clue("blocked", True)  # x.7: no preference
    assert best_text_reason(clues, "4.4.0", "") == Clue("blocked", True)  # detail 0: none


def test_the_stage_chooses_between_clues() -> None:
    """Before RCPT the recipient is not known yet: a refusal at MAIL FROM is the sender's."""
    clues = (Clue("userunknown", True), Clue("rejected", True))
    assert best_text_reason(clues, "", "mail").reason == "rejected"
    assert best_text_reason(clues, "", "rcpt").reason == "userunknown"


def test_a_strong_clue_beats_a_hint() -> None:
    clues = (Clue("expired", False), Clue("networkerror", True))
    assert best_text_reason(clues, "4.4.7", "").reason == "networkerror"


@pytest.mark.parametrize(
    ("reply", "status", "reason"),
    [
        ("550 5.1.2 Host or domain name not found", "5.1.2", "hostunknown"),
        ("451 4.4.3 Host or domain name not found, try again", "4.4.3", "networkerror"),
    ],
)
def test_an_unknown_domain_is_permanent(reply: str, status: str, reason: str) -> None:
    """A temporary failure to find a domain is a DNS failure, not a domain that is gone."""
    assert parse_bounce(dsn(reply, status=status)).reason == reason


def test_each_transcript_reply_belongs_to_the_command_above_it() -> None:
    """Replies that do not name the address go to the RCPT TO they answered; a refused
    DATA goes to every recipient the server had accepted."""
    text = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\r\n"
        b"To: s@example.org\r\nSubject: Returned mail: see transcript for details\r\n\r\n"
        b"   ----- The following addresses had permanent fatal errors -----\r\n"
        b"<a@example.com>\r\n<b@example.com>\r\n<c@example.com>\r\n\r\n"
        b"   ----- Transcript of session follows -----\r\n"
        b"... while talking to mx.example.com.:\r\n"
        b">>> MAIL From:<s@example.org> SIZE=100\r\n<<< 250 2.1.0 OK\r\n"
        b">>> RCPT To:<a@example.com>\r\n<<< 550 5.1.1 User unknown\r\n"
        b">>> RCPT To:<b@example.com>\r\n<<< 552-5.2.2 Over\r\n<<< 552 5.2.2 quota\r\n"
        b">>> RCPT To:<c@example.com>\r\n<<< 250 2.1.5 OK\r\n"
        b">>> DATA\r\n<<< 554 5.7.1 Message refused as spam\r\n"
    )
    got = {r.recipient: (r.reason, r.status) for r in parse_bounce(text).recipients}
    assert got == {
        "a@example.com": ("userunknown", "5.1.1"),
        "b@example.com": ("mailboxfull", "5.2.2"),
        "c@example.com": ("spamdetected", "5.7.1"),
    }


JMRP = (
    b"From: staff@hotmail.com\r\nTo: complaints@example.com\r\n"
    b"Subject: complaint about message from 192.0.2.1\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="JMRP"\r\n\r\n'
    b"--JMRP\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    b"This is an email abuse report for an email message received from IP 192.0.2.1.\r\n"
    b"--JMRP\r\nContent-Type: message/rfc822\r\n\r\n"
    b"X-HmXmrOriginalRecipient: <reader@hotmail.com>\r\nFrom: news@example.com\r\n"
    b"To: reader@hotmail.com\r\nSubject: Our spring offers\r\n\r\nHello\r\n--JMRP--\r\n"
)


def test_a_microsoft_complaint_is_feedback() -> None:
    """JMRP sends no feedback-report part: the attached message's marker says it all."""
    report = parse_bounce(JMRP)
    assert (report.kind, report.reason, report.recipient) == (
        "feedback",
        "feedback",
        "reader@hotmail.com",
    )


def test_a_message_without_the_marker_is_no_complaint() -> None:
    report = parse_bounce(JMRP.replace(b"X-HmXmrOriginalRecipient", b"X-Other"))
    assert report.reason != "feedback"


def test_the_returned_original_is_no_evidence() -> None:
    """An original sent back as a text part: its headers' numbers are no status, its
    words ("spam", "8bit", "charset") no cause."""
    original = (
        "Return-Path: <list-bounces@example.org>\r\nX-Mailman-Version: 2.1.12\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n"
        "Subject: Re: spam filters\r\n\r\n550 5.7.1 our spam filter rejected a virus\r\n"
    )
    message = (
        "From: postmaster@mx.example.net\r\nTo: list-bounces@example.org\r\n"
        "Subject: Delivery failure\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="O"\r\n\r\n'
        "--O\r\nContent-Type: text/plain\r\n\r\n"
        "Your message to <reader@example.net> could not be delivered:\r\n"
        "the recipient's mailbox is full.\r\n"
        "--O\r\nContent-Type: text/plain; name=original.txt\r\n\r\n"
        f"{original}--O--\r\n"
    ).encode()
    rec = parse_bounce(message).recipients[0]
    assert (rec.recipient, rec.reason, rec.status) == ("reader@example.net", "mailboxfull", "5.2.2")


def test_an_inline_original_without_a_marker_is_cut_at_its_trace_fields() -> None:
    """No line announces the copy: its first Received: field starts it."""
    message = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: list-bounces@example.org\r\n"
        b"Subject: Undeliverable mail\r\n\r\n"
        b"<reader@example.net>: 452 mailbox over quota\r\n\r\n"
        b"Received: from list.example.org by mx.example.net\r\n"
        b"X-Mailman-Version: 2.1.12\r\nContent-Transfer-Encoding: 8bit\r\n"
        b"Subject: spam again\r\n\r\nrejected 5.7.1 virus\r\n"
    )
    rec = parse_bounce(message).recipients[0]
    assert (rec.reason, rec.status, rec.replycode) == ("mailboxfull", "4.2.2", "452")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        # the stage named in other MTAs' words: a refusal at RCPT is about the address
        ("RCPT TO:<a@example.com> generated following response: 553 addressee unknown",
         "userunknown"),
        ("550 no such user here, in response to the RCPT TO command", "userunknown"),
        # "during mail delivery" names no command: the stage stays unknown (filtered)
        ("an error occurred during mail delivery: 550 no such user here", "filtered"),
    ],
)  # fmt: skip
def test_the_stage_in_other_words(reply: str, reason: str) -> None:
    assert parse_bounce(dsn(reply, status="5.0.0")).reason == reason
