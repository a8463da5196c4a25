"""What several subcommands share: loading the settings, reading a secret from stdin."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from helpdesk.cli import UserError
from helpdesk.config_values import ConfigError

if TYPE_CHECKING:
    from helpdesk.config import Settings
    from helpdesk.profile import ProviderProfile

_Loaded = TypeVar("_Loaded")


def load_settings(args: argparse.Namespace) -> Settings:
    """The settings for this run (`--config`, `$HELPDESK_CONFIG`, `HELPDESK_*`).

    Raises UserError with the one-line message of a bad configuration.
    """
    from helpdesk.config import load_settings as load

    return _loaded(load, args)


def load_profile(args: argparse.Namespace) -> ProviderProfile:
    """The provider profile alone, from the same sources as `load_settings`.

    For commands that only word diagnoses (`bounce`): they neither need nor check the
    service's own settings, and start faster without them. Raises UserError.
    """
    from helpdesk.profile import load_profile as load

    return _loaded(load, args)


def _loaded(
    load: Callable[[Mapping[str, str], str | None], _Loaded], args: argparse.Namespace
) -> _Loaded:
    try:
        return load(os.environ, getattr(args, "config", None))
    except ConfigError as exc:
        raise UserError(f"config: {exc}") from None


def read_secret(prompt: str) -> str:
    """One line from stdin (a password), without echo when stdin is a terminal."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise UserError("expected the password on standard input, got nothing")
    return line.rstrip("\r\n")
