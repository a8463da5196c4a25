"""`helpdesk classify`: one JSON object per non-empty line of stdin (contracts.md)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk.cli.classify import classify_stream, default_kb_dir
from helpdesk.errors import UserError
from helpdesk.understanding import INTENTS


def _run(text: str, **kwargs: str | None) -> list[dict[str, object]]:
    out = io.StringIO()
    assert classify_stream(io.StringIO(text), out, default_kb_dir(), **kwargs) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_object_per_line_with_the_contract_keys() -> None:
    """Each utterance gives one JSON object with text, intent, confidence and lang."""
    records = _run("j'ai oublié mon mot de passe\nhow do I set up outlook?\n")
    assert [r["text"] for r in records] == [
        "j'ai oublié mon mot de passe",
        "how do I set up outlook?",
    ]
    assert [r["intent"] for r in records] == ["password_forgot", "client_settings"]
    assert [r["lang"] for r in records] == ["fr", "en"]
    for record in records:
        assert {"text", "intent", "confidence", "lang"} <= record.keys()
        assert record["intent"] in INTENTS
        assert isinstance(record["confidence"], float)
        assert 0.0 <= record["confidence"] <= 1.0
        assert record["runner_up"] in INTENTS


def test_empty_lines_are_skipped() -> None:
    """Blank and whitespace-only lines produce no output line."""
    records = _run("\n   \nbonjour\n\n\r\nmerci\n")
    assert [r["text"] for r in records] == ["bonjour", "merci"]


def test_missing_kb_is_a_user_error(tmp_path: Path) -> None:
    """A knowledge base without training data is a one-line user error."""
    with pytest.raises(UserError, match="classify"):
        classify_stream(io.StringIO("x\n"), io.StringIO(), tmp_path)


def test_command_line_round_trip() -> None:
    """`helpdesk classify` reads stdin and writes UTF-8 JSON lines, exit status 0."""
    proc = subprocess.run(
        [sys.executable, "-m", "helpdesk", "classify"],
        input="ma boîte est pleine\n\nmy emails land in my clients' spam\n".encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["intent"] for r in records] == ["quota_full", "spam_placement"]
    assert records[0]["text"] == "ma boîte est pleine"
