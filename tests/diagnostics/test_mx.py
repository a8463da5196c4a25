"""MX hosts of a domain and whether they point at the provider, over zone data."""

from __future__ import annotations

from diagnostics.mx import check_mx
from diagnostics.zone import ZoneResolver

PROVIDER = ("mail.provider.example", "mail2.provider.example")
HOSTS = {
    "mail.provider.example": [{"A": "198.51.100.1"}],
    "mail2.provider.example": [{"A": "198.51.100.2"}, {"AAAA": "2001:db8::2"}],
    "mx.other.example": [{"A": "203.0.113.5"}],
}


async def test_points_at_provider() -> None:
    """MX hosts all at the provider, sorted by preference, with their addresses."""
    zone = {
        "example.com": [
            {"MX": [20, "mail2.provider.example"]},
            {"MX": [10, "mail.provider.example"]},
        ],
        **HOSTS,
    }
    report = await check_mx(ZoneResolver(zone), "example.com", PROVIDER)
    assert [h.host for h in report.hosts] == list(PROVIDER)
    assert report.hosts[1].addresses == ("198.51.100.2", "2001:db8::2")
    assert report.at_provider is True
    assert report.worst == "info"


async def test_points_elsewhere() -> None:
    """MX hosts elsewhere are reported with the expected ones."""
    zone = {"example.com": [{"MX": [10, "mx.other.example"]}], **HOSTS}
    report = await check_mx(ZoneResolver(zone), "example.com", PROVIDER)
    assert report.at_provider is False
    assert report.findings[0].code == "not_at_provider"


async def test_partly_at_provider() -> None:
    """A mix of provider and other hosts is a warning."""
    zone = {
        "example.com": [{"MX": [10, "mail.provider.example"]}, {"MX": [5, "mx.other.example"]}],
        **HOSTS,
    }
    report = await check_mx(ZoneResolver(zone), "example.com", PROVIDER)
    assert {f.code for f in report.findings} == {"partly_at_provider"}


async def test_no_mx_null_mx_and_errors() -> None:
    """No MX, null MX, NXDOMAIN, unresolvable hosts and timeouts are findings."""
    zone = {
        "nomx.example": [{"A": "192.0.2.1"}],
        "null.example": [{"MX": [0, ""]}],
        "broken.example": [{"MX": [10, "nowhere.example"]}, {"MX": [20, "192.0.2.1"]}],
        "slow.example": ["TIMEOUT"],
    }
    r = ZoneResolver(zone)
    assert (await check_mx(r, "nomx.example")).findings[0].code == "no_mx"
    assert (await check_mx(r, "null.example")).findings[0].code == "null_mx"
    assert (await check_mx(r, "missing.example")).findings[0].code == "no_domain"
    assert (await check_mx(r, "slow.example")).findings[0].code == "dns_error"
    broken = {f.code for f in (await check_mx(r, "broken.example")).findings}
    assert broken == {"host_unresolved", "mx_is_ip"}
