"""`helpdesk config check`: validate and print the effective configuration."""

from __future__ import annotations

import argparse
import json
from typing import Any

from helpdesk.cli._common import load_settings


def register(sub: Any) -> None:
    parser = sub.add_parser("config", help="inspect the configuration")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate and print the effective config")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=run)


def _lines(prefix: str, value: Any) -> list[str]:
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            out.extend(_lines(f"{prefix}.{key}" if prefix else key, item))
        return out
    return [f"{prefix} = {json.dumps(value, ensure_ascii=False)}"]


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    data = settings.masked()
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print("\n".join(_lines("", data)))
    return 0
