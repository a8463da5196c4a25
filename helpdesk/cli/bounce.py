"""`helpdesk bounce FILE... [--json] [--lang fr|en]`: diagnose bounces, explain them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from diagnostics.bounce import BounceReport, parse_bounce
from helpdesk.cli import UserError
from helpdesk.cli._common import load_profile
from helpdesk.explain.bounce import explain_report, render_text
from helpdesk.wording import LANGUAGES

if TYPE_CHECKING:
    from helpdesk.profile import ProviderProfile

_ENCODER = json.JSONEncoder(ensure_ascii=False)


def register(sub: Any) -> None:
    parser = sub.add_parser("bounce", help="explain bounce messages (files, - for stdin)")
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="bounce message or text; - reads stdin"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per input and line")
    parser.add_argument(
        "--lang", choices=LANGUAGES.codes, default=LANGUAGES.default, help="language of the wording"
    )
    parser.set_defaults(func=run)


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as handle:
        return handle.read()


def _json_line(
    name: str, report: BounceReport, profile: ProviderProfile, lang: str
) -> dict[str, Any]:
    texts = explain_report(report, profile, lang)
    # contracts.md: each recipient object has the keys of the line itself
    recipients = [
        {
            "file": name,
            "recipient": rec.recipient,
            "reason": rec.reason,
            "status": rec.status,
            "replycode": rec.replycode,
            "action": rec.action,
            "diagnostic": rec.diagnostic,
            "remote_mta": rec.remote_mta,
            "actor": rec.actor,
            "retryable": rec.retryable,
            "explanation": text.as_text(),
        }
        for rec, text in zip(report.recipients, texts, strict=True)
    ]
    first = recipients[0]
    return {
        "file": name,
        "reason": first["reason"],
        "status": first["status"],
        "replycode": first["replycode"],
        "recipient": first["recipient"],
        "actor": first["actor"],
        "retryable": first["retryable"],
        "kind": report.kind,
        "forwarded": report.forwarded,
        "recipients": recipients,
        "explanation": first["explanation"],
    }


def describe(name: str, data: bytes, profile: ProviderProfile, lang: str, *, as_json: bool) -> str:
    """What the command prints for one input: its JSON line, or its readable report.

    `bench/bounces.py` times this function, so that it measures what the command does.
    """
    report = parse_bounce(data)
    if as_json:
        return _ENCODER.encode(_json_line(name, report, profile, lang)) + "\n"
    return render_text(report, profile, lang) + "\n\n"


def run(args: argparse.Namespace) -> int:
    profile = load_profile(args)
    out = sys.stdout
    failed: list[str] = []
    for name in args.files:
        try:
            data = _read(name)
        except OSError as exc:
            # One line per unreadable file, then carry on with the others (exit 1 at the end).
            print(f"helpdesk: {name}: {exc.strerror or exc}", file=sys.stderr)
            failed.append(name)
            continue
        if not args.json and len(args.files) > 1:
            out.write(f"== {name}\n")
        out.write(describe(name, data, profile, args.lang, as_json=args.json))
    out.flush()
    if failed:
        raise UserError(f"could not read {len(failed)} of {len(args.files)} inputs")
    return 0
