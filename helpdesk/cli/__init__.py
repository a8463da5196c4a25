"""The `helpdesk` command.

Each subcommand lives in its own module of this package, which exposes
`register(subparsers)`; the module sets `func` on its parser to a callable
`run(args) -> int`. Only the module of the command given is imported, so that a command
loads what it uses (`helpdesk bounce` neither the web server nor the database).

Exit status (contracts.md): 0 success, 1 a user error with one line on stderr,
2 a usage error (argparse's own).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from helpdesk.errors import UserError

__all__ = ["COMMANDS", "UserError", "build_parser", "main"]

# Modules of this package that register subcommands, in help order.
COMMANDS: tuple[str, ...] = (
    "serve",
    "migrate",
    "config",
    "staff",
    "bounce",
    "domain",
    "classify",
    "mailbox",
)


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in `argv`, found without importing any command module."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with `only` that one (registering a
    subcommand imports its module)."""
    parser = argparse.ArgumentParser(prog="helpdesk", description="Mail help desk bot.")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML configuration file (default: $HELPDESK_CONFIG or the shipped default)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in (only,) if only else COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_of(arguments))
    args = parser.parse_args(arguments)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"helpdesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
