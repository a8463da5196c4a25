"""Our Message-IDs, signed so that a reply can be tied to its ticket and nobody can forge one.

    <hd-7k3m9qxr.kq2c4n7w3f5h6j8m.5v7w...@zindex.fr>   ticket, random nonce, HMAC

The HMAC (SHA-256 over the ticket reference, the nonce and the domain, keyed with the
help desk's secret key) is what makes the reference trustworthy: a reply whose In-Reply-To or
References holds one of our ids belongs to that ticket. A ticket reference in the subject
(`[HD-7K3M9QXR]`) is only a hint, trusted by the caller when the sender is the ticket's
customer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_OURS = re.compile(r"^<(hd-[0-9a-z]{8})\.([a-z2-7]{16})\.([a-z2-7]{26})@([^<>@\s]+)>$")
_CANDIDATE = re.compile(r"<hd-[^<>\s]{1,200}>", re.IGNORECASE)
# The alphabet of ticket references (helpdesk.desk.tickets): Crockford's base32 without I L O U.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TOKEN = re.compile(r"\[(HD-[0-9A-HJKMNP-TV-Z]{8})\]", re.IGNORECASE)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


class MessageIds:
    """Makes and checks the help desk's Message-IDs for one key and one domain."""

    def __init__(self, key: str, domain: str) -> None:
        if not key:
            raise ValueError("a secret key is needed to sign Message-IDs")
        self._key = key.encode("utf-8")
        self.domain = domain.lower()

    def _mac(self, reference: str, nonce: str, domain: str) -> str:
        data = f"{reference}.{nonce}@{domain}".encode()
        return _b32(hmac.new(self._key, data, hashlib.sha256).digest())[:26]

    def new(self, reference: str) -> str:
        """A fresh Message-ID for a mail of the ticket `reference`, brackets included."""
        ref = reference.lower()
        nonce = _b32(secrets.token_bytes(10))
        return f"<{ref}.{nonce}.{self._mac(ref, nonce, self.domain)}@{self.domain}>"

    def reference_of(self, message_id: str) -> str | None:
        """The ticket reference of one of our Message-IDs, or None (not ours, or forged)."""
        match = _OURS.match(message_id.strip().lower())
        if match is None:
            return None
        ref, nonce, mac, domain = match.groups()
        if not hmac.compare_digest(mac, self._mac(ref, nonce, domain)):
            return None
        return ref.upper()

    def reference_for(self, message_id: str) -> str:
        """The ticket reference a new thread started by `message_id` gets: derived from it
        (keyed), so that handling the same message again finds the same ticket."""
        digest = hmac.new(self._key, b"ticket:" + message_id.encode(), hashlib.sha256).digest()
        number = int.from_bytes(digest[:5], "big")
        return "HD-" + "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(7, -1, -1))

    def is_ours(self, message_id: str) -> bool:
        return self.reference_of(message_id) is not None

    def find_in(self, text: str) -> str | None:
        """The ticket reference of the first genuine id of ours quoted in `text` (a bounce
        of our answer quotes its headers)."""
        for candidate in _CANDIDATE.findall(text)[:50]:
            reference = self.reference_of(candidate)
            if reference is not None:
                return reference
        return None


def subject_reference(subject: str) -> str | None:
    """The ticket reference written in a subject as `[HD-XXXXXXXX]`, upper-cased."""
    match = _TOKEN.search(subject)
    return match.group(1).upper() if match else None


def reply_subject(subject: str, reference: str, fallback: str) -> str:
    """`Re: <subject> [reference]`, without piling up prefixes or references."""
    base = subject.strip()
    while True:
        stripped = re.sub(r"^(?:re|aw|sv|tr|fwd?|réf|ref)\s*:\s*", "", base, flags=re.IGNORECASE)
        if stripped == base:
            break
        base = stripped
    base = _TOKEN.sub("", base).strip() or fallback
    return f"Re: {base[:200]} [{reference}]"
