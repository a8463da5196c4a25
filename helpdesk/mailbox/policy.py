"""The provider's password rules, and a generator of passwords that pass them.

The seed's rule ("at least 8 characters, starting with a letter or a digit", the length
from the provider profile) plus what a breach list would catch: common passwords and
their decorated forms, keyboard walks, one repeated character, the address itself.
Problems are codes; the page words them (templates/reset).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from helpdesk.mailbox._common_passwords import COMMON, SEQUENCES
from helpdesk.mailbox.service import MAX_PASSWORD_CHARS

# Codes, in the order the page lists them.
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
BAD_START = "bad_start"
CONTROL = "control"
COMMON_PASSWORD = "common"  # noqa: S105 (a problem code, not a password)
CONTAINS_ADDRESS = "contains_address"
MISMATCH = "mismatch"

_DECORATION = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")
_GENERATED_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
_GENERATED_SYMBOLS = "-_.!?+*"


def _fold(text: str) -> str:
    """Lower case without accents: 'Été' and 'ete' are the same guess."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _leet(text: str) -> str:
    return text.translate(str.maketrans("@4310$5!7", "aaeiossit"))


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int

    def problems(self, password: str, address: str = "", confirm: str | None = None) -> list[str]:
        """The rules `password` breaks (empty when it is acceptable)."""
        found: list[str] = []
        if len(password) < self.min_length:
            found.append(TOO_SHORT)
        if len(password) > MAX_PASSWORD_CHARS:
            found.append(TOO_LONG)
        if password and not password[0].isalnum():
            found.append(BAD_START)
        if any(ord(c) < 32 or ord(c) == 127 for c in password):
            found.append(CONTROL)
        if password and self._common(password):
            found.append(COMMON_PASSWORD)
        if address and self._contains_address(password, address):
            found.append(CONTAINS_ADDRESS)
        if confirm is not None and confirm != password:
            found.append(MISMATCH)
        return found

    @staticmethod
    def _common(password: str) -> bool:
        folded = _fold(password)
        for candidate in {folded, _leet(folded)}:
            stem = _DECORATION.sub(r"\1", candidate)
            if candidate in COMMON or stem in COMMON or not stem:
                return True
            if len(set(candidate)) <= 2:
                return True
            for run in SEQUENCES:
                if len(stem) >= 4 and stem in run:
                    return True
        return False

    @staticmethod
    def _contains_address(password: str, address: str) -> bool:
        folded = _fold(password)
        local, _, domain = _fold(address).partition("@")
        parts = {local, domain.split(".")[0], *re.split(r"[._+-]", local)}
        return any(len(part) >= 3 and part in folded for part in parts)

    def generate(self, length: int = 16) -> str:
        """A random password that passes the policy (the page's button does the same in JS)."""
        length = max(length, self.min_length, 12)
        while True:
            chars = [secrets.choice(_GENERATED_ALPHABET) for _ in range(length)]
            chars[secrets.randbelow(length - 1) + 1] = secrets.choice(_GENERATED_SYMBOLS)
            password = "".join(chars)
            if not self.problems(password):
                return password
