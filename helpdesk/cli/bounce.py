"""`helpdesk bounce FILE... [--json] [--lang fr|en]`: diagnose bounces, explain them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from helpdesk.cli import UserError


def register(sub: Any) -> None:
    parser = sub.add_parser("bounce", help="explain bounce messages (files, - for stdin)")
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="bounce message or text; - reads stdin"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per input and line")
    parser.add_argument(
        "--lang", choices=("fr", "en"), default="fr", help="language of the wording"
    )
    parser.set_defaults(func=run)


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as handle:
        return handle.read()


def run(args: argparse.Namespace) -> int:
    # Imports are here so that `helpdesk --help` and the other commands stay fast, and so
    # that this command loads only what it uses (no web or database packages).
    import gc

    # Nothing that the imports and the profile create is garbage, and all of it lives as
    # long as the command: no collections until it is there, then it is frozen, out of the
    # collector's generations, so that it is not traversed again at each collection while
    # thousands of files are read, nor at exit (about 4 % of a run over the bounce corpus).
    # It is not unfrozen afterwards: that would bring the exit's collection back.
    gc.disable()
    try:
        from diagnostics.bounce import parse_bounce
        from helpdesk.cli._common import load_profile
        from helpdesk.explain.bounce import explain_report, render_text

        profile = load_profile(args)
    finally:
        gc.freeze()
        gc.enable()
    out = sys.stdout
    failed: list[str] = []
    encoder = json.JSONEncoder(ensure_ascii=False)  # one for all lines (json.dumps makes one each)
    for name in args.files:
        try:
            data = _read(name)
        except OSError as exc:
            # One line per unreadable file, then carry on with the others (exit 1 at the end).
            print(f"helpdesk: {name}: {exc.strerror or exc}", file=sys.stderr)
            failed.append(name)
            continue
        report = parse_bounce(data)
        if args.json:
            texts = explain_report(report, profile, args.lang)
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
            line = {
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
            out.write(encoder.encode(line) + "\n")
        else:
            if len(args.files) > 1:
                out.write(f"== {name}\n")
            out.write(render_text(report, profile, args.lang) + "\n\n")
    out.flush()
    if failed:
        raise UserError(f"could not read {len(failed)} of {len(args.files)} inputs")
    return 0
