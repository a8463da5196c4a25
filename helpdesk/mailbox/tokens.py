"""One-time link tokens: 256 random bits, URL-safe; only their sha256 is ever stored."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32  # 256 bits
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    # A plain hash is enough for 256 random bits, and keeps lookups on an index.
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def well_formed(token: str) -> bool:
    """Whether `token` could be one of ours (anything else is unknown without a lookup)."""
    return isinstance(token, str) and TOKEN_SHAPE.match(token) is not None
