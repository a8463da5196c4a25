"""Password hashes that Dovecot reads: `{ARGON2ID}` + the PHC string of argon2-cffi.

Dovecot's `ARGON2ID` scheme (libsodium) verifies the strings argon2-cffi produces, so a
provider can point Dovecot's SQL passdb at the embedded store's `password_hash` column.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SCHEME = "{ARGON2ID}"


def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults: argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4).
    return PasswordHasher()


def hash_password(password: str) -> str:
    """`{ARGON2ID}$argon2id$v=19$…` for `password`; about 50 ms of CPU."""
    return SCHEME + _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when `password` matches a `{ARGON2ID}` hash made by `hash_password`."""
    if not stored.startswith(SCHEME):
        return False
    try:
        return _hasher().verify(stored[len(SCHEME) :], password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    """`hash_password` off the event loop (it is deliberately slow)."""
    return await asyncio.to_thread(hash_password, password)
