"""Bounce diagnosis on hand-written samples: French providers, forwards, pasted text, seeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from diagnostics.bounce import REASONS, parse_bounce

DATA = Path(__file__).resolve().parent.parent / "data" / "bounces"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
MESSAGES: dict[str, dict[str, Any]] = EXPECTED["messages"]
PASTED: list[dict[str, Any]] = EXPECTED["pasted"]


def _check(report_first: Any, expected: dict[str, Any]) -> None:
    for key in ("reason", "status", "replycode", "recipient", "remote_mta", "actor", "action"):
        if key in expected:
            assert getattr(report_first, key) == expected[key], key
    if "retryable" in expected:
        assert report_first.retryable is expected["retryable"]


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_message_sample(name: str) -> None:
    """A whole bounce message gives the expected reason, codes and recipient."""
    expected = MESSAGES[name]
    report = parse_bounce((DATA / name).read_bytes())
    _check(report.first, expected)
    assert report.forwarded is expected.get("forwarded", False)
    if "recipients" in expected:
        assert len(report.recipients) == expected["recipients"]


def test_every_sample_file_has_an_answer() -> None:
    """Each .eml under tests/data/bounces is listed in expected.json."""
    assert {p.name for p in DATA.glob("*.eml")} == set(MESSAGES)


@pytest.mark.parametrize("case", PASTED, ids=[c["text"][:40] for c in PASTED])
def test_pasted_text(case: dict[str, Any]) -> None:
    """Pasted text (a line, a few lines, a bare code, FR or EN) is diagnosed."""
    report = parse_bounce(case["text"])
    assert report.kind == "text"
    _check(report.first, case)


@pytest.mark.parametrize("case", PASTED, ids=[c["text"][:40] for c in PASTED])
def test_pasted_bytes_same_as_text(case: dict[str, Any]) -> None:
    """The same paste given as UTF-8 bytes gives the same result."""
    assert parse_bounce(case["text"].encode("utf-8")).first == parse_bounce(case["text"]).first


def test_the_six_seed_cases_are_covered() -> None:
    """The six error messages of the seed documents are among the pasted cases."""
    assert sum(1 for case in PASTED if case.get("seed")) == 6


def test_reasons_are_from_the_vocabulary() -> None:
    """Every reason produced on the samples is a name of the Sisimai vocabulary."""
    for name in MESSAGES:
        for rec in parse_bounce((DATA / name).read_bytes()).recipients:
            assert rec.reason in REASONS
            assert rec.actor in ("sender", "recipient_provider", "our_provider", "none")
