"""Conversation tokens handed out before anything is stored.

A chat conversation is stored, and becomes a ticket staff see, only when the customer first
writes. Until then its token is a signed value the server can recognise without a database
row: a reload, a reconnect or a second tab before that first message resumes the same
conversation, with the same ticket reference, and a flood of hellos costs no write at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from helpdesk.desk.tickets import new_reference

NONCE_CHARS = 43  # 256 random bits, URL-safe base64


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class ConversationTokens:
    """Issues and checks conversation tokens with a key of their own, derived from the
    help desk's secret key (so that they never share a MAC with the Message-IDs)."""

    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode("utf-8") if isinstance(secret, str) else secret
        self._key = hmac.new(raw, b"helpdesk chat conversation tokens", hashlib.sha256).digest()

    def _mac(self, purpose: bytes, nonce: str) -> bytes:
        return hmac.new(self._key, purpose + b":" + nonce.encode("ascii"), hashlib.sha256).digest()

    def issue(self) -> str:
        """A new token: random, and signed."""
        nonce = secrets.token_urlsafe(32)
        return f"{nonce}.{_b64(self._mac(b'token', nonce)[:16])}"

    def issued(self, token: str) -> bool:
        """Whether `token` was issued with this key (stored or not)."""
        nonce, dot, mac = token.partition(".")
        if not dot or len(nonce) != NONCE_CHARS or not token.isascii():
            return False
        return hmac.compare_digest(mac, _b64(self._mac(b"token", nonce)[:16]))

    def reference(self, token: str) -> str:
        """The ticket reference that `token`'s conversation will have once stored."""
        nonce = token.partition(".")[0]
        return new_reference(self._mac(b"reference", nonce))
