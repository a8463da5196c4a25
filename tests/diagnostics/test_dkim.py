"""DKIM key lookup: missing, revoked, weak and good keys over zone data."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from diagnostics.dkim import DkimReport, check_dkim
from diagnostics.zone import ZoneResolver


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def rsa_key(bits: int) -> str:
    """A SubjectPublicKeyInfo with a modulus of `bits` bits, base64 (the p= form)."""
    modulus = (1 << (bits - 1)) | 0x10001
    algorithm = _der(0x30, bytes.fromhex("06092a864886f70d0101010500"))
    public = _der(0x30, _int(modulus) + _int(65537))
    return base64.b64encode(_der(0x30, algorithm + _der(0x03, b"\x00" + public))).decode()


async def dkim(record: Any) -> DkimReport:
    zone = {"sel._domainkey.example.com": [{"TXT": record}]} if record is not None else {}
    return await check_dkim(ZoneResolver(zone), "example.com", "sel")


def codes(report: DkimReport) -> set[str]:
    return {f.code for f in report.findings}


async def test_good_key() -> None:
    """A 2048-bit RSA key is fine and its size is reported."""
    report = await dkim(f"v=DKIM1; k=rsa; p={rsa_key(2048)}")
    assert codes(report) == {"key_ok"}
    assert report.bits == 2048


async def test_key_split_in_strings() -> None:
    """A key split across several strings is joined before parsing."""
    text = f"v=DKIM1; k=rsa; p={rsa_key(2048)}"
    report = await dkim([text[:200], text[200:]])
    assert report.bits == 2048


async def test_missing_key() -> None:
    """No record at the selector is no_key."""
    assert codes(await dkim(None)) == {"no_key"}


async def test_revoked_key() -> None:
    """An empty p= is a revoked key, not a missing one."""
    assert codes(await dkim("v=DKIM1; p=")) == {"revoked"}


@pytest.mark.parametrize(("bits", "code"), [(512, "weak_key"), (1024, "short_key")])
async def test_weak_keys(bits: int, code: str) -> None:
    """Keys under 1024 bits are refused by receivers; 1024 works but is short."""
    report = await dkim(f"v=DKIM1; k=rsa; p={rsa_key(bits)}")
    assert code in codes(report)
    assert report.bits == bits


async def test_garbage_key() -> None:
    """A p= that is not a key is bad_key."""
    assert codes(await dkim("v=DKIM1; p=bm90IGEga2V5")) == {"bad_key"}


async def test_ed25519_and_testing() -> None:
    """An Ed25519 key is accepted; t=y is flagged as testing mode."""
    key = base64.b64encode(bytes(32)).decode()
    assert codes(await dkim(f"v=DKIM1; k=ed25519; t=y; p={key}")) == {"key_ok", "testing"}


async def test_syntax_error() -> None:
    """A record without p= is a syntax error."""
    assert codes(await dkim("v=DKIM1; k=rsa")) == {"syntax_error"}
