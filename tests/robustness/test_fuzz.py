"""Fuzz smoke tests: the MIME intake and the bounce parser take any input without raising.

A few seconds of hypothesis in every `make test`; `bench/fuzz.py` runs atheris for longer
against the same targets.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostics.bounce import REASONS, parse_bounce
from helpdesk.email.parse import parse_mail

CORPUS = Path(__file__).resolve().parents[2] / "../shared/corpora/bounces"
LOCAL = Path(__file__).resolve().parents[1] / "data" / "bounces"
SAMPLES = sorted(LOCAL.glob("*.eml")) + sorted(CORPUS.resolve().glob("**/*.eml"))[:60]

CHARSETS = ["utf-8", "utf-7", "iso-8859-1", "x-unknown", "", "utf-16", "gb2312", "bogus\x00"]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "nonsense"]
TYPES = [
    "text/plain",
    "text/html",
    "message/rfc822",
    "message/delivery-status",
    "message/feedback-report",
    "text/rfc822-headers",
    "application/octet-stream",
    "multipart/mixed",
    "multipart/report",
    "multipart/alternative",
    "text/x-broken",
]


def _check_intake(raw: bytes) -> None:
    mail = parse_mail(raw)
    # Every string the rest of the help desk will store and show is valid Unicode.
    for text in (mail.text, mail.subject, mail.from_address, mail.from_name, *mail.forwarded):
        text.encode("utf-8")


@st.composite
def mime_trees(draw: st.DrawFn, depth: int = 0) -> bytes:
    """A message with random headers, content types, charsets and nesting."""
    ctype = draw(st.sampled_from(TYPES if depth < 4 else TYPES[:3]))
    charset = draw(st.sampled_from(CHARSETS))
    headers = [
        f"From: {draw(st.sampled_from(['a@b.fr', 'Jérôme <jérôme@exemple.fr>', '<>', '', '=?utf-8?b?////?= <x@y>', 'x@y@z']))}",
        f"Subject: {draw(st.text(max_size=40))}",
        f'Content-Type: {ctype}; charset="{charset}"; boundary="b{depth}"',
        f"Content-Transfer-Encoding: {draw(st.sampled_from(ENCODINGS))}",
    ]
    if draw(st.booleans()):
        headers.append(f"Message-ID: {draw(st.text(max_size=30))}")
    head = "\r\n".join(headers).encode("utf-8", "surrogateescape")
    if ctype.startswith("multipart/"):
        parts = draw(st.lists(mime_trees(depth + 1), max_size=3))
        body = b"".join(b"--b%d\r\n%s\r\n" % (depth, p) for p in parts) + b"--b%d--" % depth
    elif ctype == "message/rfc822" and depth < 4:
        body = draw(mime_trees(depth + 1))
    else:
        body = draw(st.binary(max_size=300))
    return head + b"\r\n\r\n" + body


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_intake_takes_random_bytes(raw: bytes) -> None:
    """Arbitrary bytes are read as a mail, never an exception."""
    _check_intake(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mime_trees())
def test_intake_takes_any_mime_tree(raw: bytes) -> None:
    """Nested parts, unknown or hostile charsets and encodings are read without raising."""
    _check_intake(raw)
    report = parse_bounce(raw)
    assert all(r.reason in REASONS for r in report.recipients)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 20_000), st.binary(max_size=12)), max_size=10),
)
def test_mutated_real_mail(path: Path, edits: list[tuple[int, bytes]]) -> None:
    """Real bounces with bytes overwritten or cut are read by the intake and the parser."""
    data = bytearray(path.read_bytes())
    for offset, chunk in edits:
        at = offset % (len(data) + 1)
        data[at : at + len(chunk) // 2] = chunk
    _check_intake(bytes(data))
    report = parse_bounce(bytes(data))
    assert all(r.reason in REASONS for r in report.recipients)


def test_deep_nesting_is_bounded() -> None:
    """A thousand nested message/rfc822 parts neither recurse out nor hang."""
    inner = EmailMessage()
    inner["Subject"] = "core"
    inner.set_content("x")
    raw = inner.as_bytes()
    for _ in range(1000):
        raw = b"Content-Type: message/rfc822\r\n\r\n" + raw
    _check_intake(raw)
    parse_bounce(raw)
