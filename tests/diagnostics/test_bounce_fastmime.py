"""The fast MIME reading gives what the email package's reading gives, or steps aside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from pathlib import Path

import pytest

from diagnostics.bounce import _dsn, _mime
from diagnostics.bounce._fastmime import fast_envelope
from tests.conftest import SHARED

DATA = Path(__file__).resolve().parent.parent / "data" / "bounces"
CORPUS = SHARED / "corpora" / "bounces" / "samples"
SAMPLES = sorted(DATA.glob("*.eml")) + sorted(CORPUS.glob("*.eml"))


def _reference(raw: bytes) -> _mime.Envelope | None:
    msg = _mime.parse_message(raw)
    if msg is None:
        return None
    return _mime.envelope(_mime.recover_multipart(raw, msg))


def _ends(texts: tuple[str, ...]) -> list[str]:
    # The email package keeps the blank lines that end a part and lone CRs; the fast reading
    # normalises line ends: the same text for diagnosis.
    return [text.replace("\r\n", "\n").rstrip() for text in texts]


def _squeeze(value: str) -> str:
    return " ".join(value.split())


def _records(dsn: tuple[str, ...]) -> list[object]:
    # The email package hands a report's fields over re-rendered (whitespace collapsed), the
    # fast reading as sent: what counts is that both give the same fields.
    out: list[object] = []
    for text in dsn:
        fields, records = _dsn.records(text)
        out.append({name: _squeeze(value) for name, value in fields.items()})
        out.extend(tuple(_squeeze(v) for v in astuple(record)) for record in records)
    return out


def _fields(fields: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    # Folded values keep the message's own line ends in the email package's reading;
    # diagnosis reads them unfolded
    return [(name, _squeeze(value)) for name, value in fields]


def _same(fast: _mime.Envelope, slow: _mime.Envelope) -> None:
    assert _fields(fast.fields) == _fields(slow.fields)
    assert _ends(fast.texts) == _ends(slow.texts)
    assert _records(fast.dsn) == _records(slow.dsn)
    assert fast.feedback == slow.feedback
    assert _fields(fast.original_fields) == _fields(slow.original_fields)
    assert len(fast.attached) == len(slow.attached)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_same_reading_as_email_package(path: Path) -> None:
    """Where the fast reading answers, its envelope equals the email package's."""
    raw = path.read_bytes()
    fast = fast_envelope(raw)
    if fast is None:  # stepped aside: the caller uses the email package
        return
    slow = _reference(raw)
    assert slow is not None
    _same(fast, slow)


def test_corpus_mostly_read_fast() -> None:
    """The fast reading takes nearly every real bounce (the email package costs more)."""
    messages = [p.read_bytes() for p in SAMPLES]
    messages = [m for m in messages if _mime.looks_like_message(m)]
    fast = sum(fast_envelope(m) is not None for m in messages)
    assert fast >= 0.95 * len(messages)
