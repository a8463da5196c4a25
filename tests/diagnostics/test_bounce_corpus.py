"""Accuracy floors of bounce diagnosis on the shared corpus of real bounces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnostics.bounce import parse_bounce
from tests.conftest import SHARED, require_shared

CORPUS = SHARED / "corpora" / "bounces"
FLOOR = 0.95


def _rows() -> list[dict[str, object]]:
    with require_shared(CORPUS / "expected.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def scores() -> dict[str, float]:
    """Share of samples whose first recipient matches on reason, reply code and status."""
    rows = _rows()
    reason = reply = status = status_total = 0
    for row in rows:
        first = parse_bounce(Path(CORPUS / "samples" / str(row["file"])).read_bytes()).first
        reason += first.reason == row["reason"]
        reply += first.replycode == row["replycode"]
        if not row["status_is_sisimai_pseudo"]:
            status_total += 1
            status += first.status == row["status"]
    return {
        "reason": reason / len(rows),
        "replycode": reply / len(rows),
        "status": status / status_total,
    }


def test_reason_floor(scores: dict[str, float]) -> None:
    """At least 95 % of corpus samples get Sisimai's reason."""
    assert scores["reason"] >= FLOOR, scores


def test_replycode_floor(scores: dict[str, float]) -> None:
    """At least 95 % of corpus samples get the expected SMTP reply code."""
    assert scores["replycode"] >= FLOOR, scores


def test_status_floor(scores: dict[str, float]) -> None:
    """At least 95 % of RFC 3463 statuses (Sisimai pseudo codes excluded) are found."""
    assert scores["status"] >= FLOOR, scores
