"""The `helpdesk` command.

Each subcommand lives in its own module of this package, which exposes
`register(subparsers)`; the module sets `func` on its parser to a callable
`run(args) -> int`. Heavy imports stay inside `run` so that a command such as
`helpdesk bounce` starts fast.

Exit status (contracts.md): 0 success, 1 a user error with one line on stderr,
2 a usage error (argparse's own).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

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


def _columns() -> int:
    """The terminal's width, as `shutil.get_terminal_size` finds it."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, given the terminal's width.

    argparse builds a formatter for each `add_argument` (to check its metavar), and the
    formatter asks `shutil` for the width: importing shutil (with bz2 and lzma) cost more
    than all the rest of the argument parsing of `helpdesk bounce`, which is measured
    with its start-up.
    """

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(
            prog, indent_increment, max_help_position, _columns() if width is None else width
        )


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser using `_Formatter`; its subcommands' parsers are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


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
    """The parser with every subcommand, or with `only` that one.

    Registering a subcommand imports its module; a short command such as `helpdesk bounce`
    (whose speed is measured with start-up included) skips the others' imports.
    """
    parser = _Parser(prog="helpdesk", description="Mail help desk bot.")
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
