"""Bounce diagnosis never raises: random, mutated, huge, binary or badly encoded input."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics.bounce import REASONS, BounceReport, parse_bounce

DATA = Path(__file__).resolve().parent.parent / "data" / "bounces"
SAMPLES = sorted(DATA.glob("*.eml"))


def _valid(report: BounceReport) -> None:
    assert report.recipients
    for rec in report.recipients:
        assert rec.reason in REASONS
        assert isinstance(rec.diagnostic, str)
        rec.diagnostic.encode("utf-8")  # valid Unicode, printable as JSON


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000))
def test_random_bytes(data: bytes) -> None:
    """Arbitrary bytes give a report, never an exception."""
    _valid(parse_bounce(data))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_random_text(text: str) -> None:
    """Arbitrary text, surrogates included, gives a report."""
    _valid(parse_bounce(text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=8)), max_size=12),
)
def test_mutated_samples(path: Path, edits: list[tuple[int, bytes]]) -> None:
    """Real bounces with bytes overwritten, inserted or cut still give a report."""
    data = bytearray(path.read_bytes())
    for offset, chunk in edits:
        at = offset % (len(data) + 1)
        data[at : at + len(chunk) // 2] = chunk
    _valid(parse_bounce(bytes(data)))


def test_empty_input() -> None:
    """Empty or blank input is reason undefined, kind empty."""
    for data in (b"", "", b"   \n\t", "\n"):
        report = parse_bounce(data)
        assert report.reason == "undefined"
        assert report.kind == "empty"


def test_binary_garbage() -> None:
    """A megabyte of random bytes is reason undefined."""
    data = random.Random(7).randbytes(1_000_000)
    assert parse_bounce(data).reason == "undefined"


def test_twenty_megabyte_message() -> None:
    """A bounce carrying a 20 MB original is diagnosed from its report part."""
    head = (DATA / "free-userunknown.eml").read_bytes().rsplit(b"--BOUNDARY-FREE-1--", 1)[0]
    big = (
        head
        + b"--BOUNDARY-FREE-1\nContent-Type: message/rfc822\n\nSubject: big\n\n"
        + b"A" * 76
        + (b"\n" + b"A" * 76) * (20 * 1024 * 1024 // 77)
        + b"\n--BOUNDARY-FREE-1--\n"
    )
    assert len(big) > 20 * 1024 * 1024
    assert parse_bounce(big).reason == "userunknown"


def test_twenty_megabyte_text() -> None:
    """20 MB of pasted text without a bounce in it is reason undefined, quickly."""
    assert parse_bounce("blah " * (4 * 1024 * 1024)).reason == "undefined"


def test_broken_mime() -> None:
    """A multipart with no closing boundary and a broken part header is still read."""
    data = (
        b"From: MAILER-DAEMON@example.net\nSubject: Undelivered Mail\n"
        b'Content-Type: multipart/report; boundary="B"\n\n--B\nContent-Type: text/plain;;;\n\n'
        b"<x@example.org>: host mx.example.org said: 550 5.1.1 User unknown\n--B\nContent-Ty"
    )
    report = parse_bounce(data)
    assert report.reason == "userunknown"
    assert report.recipient == "x@example.org"


def test_unknown_and_wrong_charsets() -> None:
    """An unknown charset name or bytes that do not fit the charset do not break decoding."""
    for charset in (b"x-no-such-charset", b"utf-8", b"iso-2022-jp", b"\xff\xfe"):
        data = (
            b"From: MAILER-DAEMON@example.net\nSubject: =?" + charset + b"?B?////?=\n"
            b"Content-Type: text/plain; charset=" + charset + b"\n\n"
            b"<y@example.org>: 552 5.2.2 Mailbox full \xe9\xff\xfe\n"
        )
        report = parse_bounce(data)
        assert report.reason == "mailboxfull"
        assert report.recipient == "y@example.org"


def test_bad_base64_part() -> None:
    """A base64 part with invalid padding is decoded as far as possible."""
    data = (
        b"From: MAILER-DAEMON@example.net\nSubject: failure notice\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
        b"PHpAZXhhbXBsZS5vcmc+OiA1NTAgNS4xLjEgVXNlciB1bmtub3du===\n!!!\n"
    )
    _valid(parse_bounce(data))


def test_deeply_nested_forwards() -> None:
    """A forward of a forward of ... a bounce, many levels deep, does not recurse forever."""
    inner = (DATA / "orange-userunknown.eml").read_bytes()
    for level in range(60):
        inner = (
            b"From: a@example.com\nSubject: Fwd: x\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="L' + str(level).encode() + b'"\n\n'
            b"--L"
            + str(level).encode()
            + b"\nContent-Type: message/rfc822\n\n"
            + inner
            + b"\n--L"
            + str(level).encode()
            + b"--\n"
        )
    _valid(parse_bounce(inner))


def _report_in(charset: str) -> bytes:
    """A delivery report whose parts declare `charset`, its '@' written as UTF-7 would."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@example.org>\r\nTo: s@example.org\r\n"
        "Subject: Undeliverable\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        f"--B\r\nContent-Type: text/plain; charset={charset}\r\n\r\n"
        "Delivery has failed to these recipients or groups.\r\n"
        f"--B\r\nContent-Type: message/delivery-status; charset={charset}\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; a+AEA-example.com\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n--B--\r\n"
    ).encode()


@pytest.mark.parametrize("label", ["utf-7", '"unicode-1-1-utf-7"', "x-unicode-1-1-utf-7"])
def test_a_report_in_utf7_is_read(label: str) -> None:
    """Exchange has written reports in UTF-7: its fields are decoded with that charset."""
    report = parse_bounce(_report_in(label))
    assert (report.reason, report.recipients[0].recipient) == ("mailboxfull", "a@example.com")


@pytest.mark.parametrize("label", ["bogus!!", "x-", "unknown-8bit", "base64", "zlib", "utf-16"])
def test_a_report_in_a_charset_that_is_none_is_read_as_text(label: str) -> None:
    """A label that names no text charset (or a wrong one) loses nothing readable."""
    report = parse_bounce(_report_in(label))
    _valid(report)
    assert report.reason == "mailboxfull"


def test_blank_lines_before_the_header_are_not_the_end_of_it() -> None:
    """A saved or pasted message may start with blank lines: its header is still read."""
    report = parse_bounce(b"\n   \n\t\n" + _report_in("us-ascii"))
    assert (report.kind, report.reason, report.recipient) == (
        "dsn",
        "mailboxfull",
        "a+aea-example.com",
    )
