"""Exceptions shared across the application."""


class UserError(Exception):
    """A problem the operator can fix; the CLI prints the message as one line and exits 1."""
