"""`helpdesk classify`: intent and language of each line of stdin, as JSON lines."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from helpdesk import resources
from helpdesk.errors import UserError
from helpdesk.wording import LANGUAGES


def default_kb_dir() -> Path:
    """The shipped knowledge base (articles and intents training data)."""
    return resources.KB_DIR


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "classify",
        help="print the intent and language of each line of stdin as JSON",
        description="Read one utterance per line on stdin (empty lines are skipped) and "
        "print one JSON object per line: text, intent, confidence, lang, runner_up.",
    )
    parser.add_argument(
        "--kb", metavar="DIR", type=Path, default=None, help="knowledge base folder (default: kb/)"
    )
    parser.add_argument(
        "--lang", choices=LANGUAGES.codes, default=None, help="language to assume when unclear"
    )
    parser.set_defaults(func=run)


def classify_stream(lines: TextIO, out: TextIO, kb_dir: Path, hint_lang: str | None = None) -> int:
    """Classify every non-empty line of `lines`, writing one JSON object a line to `out`."""
    from helpdesk.understanding import CorpusError, Understanding

    try:
        understanding = Understanding.load(kb_dir)
    except (CorpusError, OSError) as exc:
        raise UserError(f"classify: {exc}") from None
    for raw in lines:
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        result = understanding.understand(text, hint_lang)
        record = {
            "text": text,
            "intent": result.intent,
            "confidence": result.confidence,
            "lang": result.lang,
            "runner_up": result.runner_up,
            "runner_up_confidence": result.runner_up_confidence,
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        # One answer per line as soon as it is known: a caller may hold a pipe open.
        out.flush()
    return 0


def run(args: argparse.Namespace) -> int:
    # JSON output is UTF-8 whatever the locale (contracts.md); input is read the same way.
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", errors="replace")
    return classify_stream(sys.stdin, sys.stdout, args.kb or default_kb_dir(), args.lang)
