"""DMARC lookup (with the organisational-domain fallback), parsing and lint over zone data."""

from __future__ import annotations

from typing import Any

import pytest

from diagnostics.dmarc import DmarcReport, check_dmarc, organisational_domain, parse_dmarc
from diagnostics.zone import ZoneResolver


async def dmarc(record: str | None, domain: str = "example.com", **extra: Any) -> DmarcReport:
    zone: dict[str, list[Any]] = {"example.com": [{"A": "192.0.2.1"}]}
    if record is not None:
        zone["_dmarc.example.com"] = [{"TXT": record}]
    zone.update(extra)
    return await check_dmarc(ZoneResolver(zone), domain)


def codes(report: DmarcReport) -> set[str]:
    return {f.code for f in report.findings}


async def test_good_record_is_quiet() -> None:
    """p=reject with reports to the domain itself says only informational things."""
    report = await dmarc("v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
    assert report.worst == "info"
    assert report.policy == "reject"
    assert codes(report) == {"policy_reject"}


async def test_missing_record() -> None:
    """No record at the domain nor its organisational domain is an error."""
    assert codes(await dmarc(None)) == {"no_record"}


async def test_org_domain_fallback() -> None:
    """A subdomain without a record uses the organisational domain's, with its sp=."""
    report = await dmarc(
        "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com", domain="news.example.com"
    )
    assert report.record_domain == "example.com"
    assert report.policy == "quarantine"
    assert "inherited" in codes(report)


def test_organisational_domain() -> None:
    """The organisational domain keeps a country-code second level."""
    assert organisational_domain("a.b.example.com") == "example.com"
    assert organisational_domain("shop.example.co.uk") == "example.co.uk"


async def test_policy_none_explained() -> None:
    """p=none is a warning: monitoring only, nothing is blocked."""
    report = await dmarc("v=DMARC1; p=none; rua=mailto:d@example.com")
    assert "policy_none" in codes(report)
    assert report.worst == "warning"


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ("v=DMARC1; rua=mailto:d@example.com", "no_policy"),
        ("v=DMARC1; p=block", "syntax_error"),
        ("v=DMARC1; p=reject; sp=none", "weaker_subdomain_policy"),
        ("v=DMARC1; p=quarantine; pct=20", "partial_pct"),
        ("v=DMARC1; p=quarantine; pct=200", "syntax_error"),
        ("v=DMARC1; p=reject", "no_reports"),
        ("v=DMARC1; p=reject; rua=https://example.com/r", "bad_report_uri"),
        ("v=DMARC1; p=reject; rua=mailto:r@reports.example.net", "external_reports_unauthorised"),
        ("v=DMARC1; p=reject; ruf=mailto:f@example.com", "forensic_reports"),
        ("v=DMARC1; p=reject; adkim=s", "strict_alignment"),
        ("v=DMARC1; p=reject; aspf=x", "syntax_error"),
        ("v=DMARC1; p=reject; foo=bar", "unknown_tag"),
    ],
)
async def test_lint_codes(record: str, code: str) -> None:
    """Each DMARC problem has its own finding code."""
    assert code in codes(await dmarc(record))


async def test_external_reports_authorised() -> None:
    """An external report address with its authorisation record is not flagged."""
    report = await dmarc(
        "v=DMARC1; p=reject; rua=mailto:r@reports.example.net",
        **{"example.com._report._dmarc.reports.example.net": [{"TXT": "v=DMARC1"}]},
    )
    assert "external_reports_unauthorised" not in codes(report)


async def test_multiple_records() -> None:
    """Two DMARC records are an error."""
    zone = {"_dmarc.example.com": [{"TXT": "v=DMARC1; p=none"}, {"TXT": "v=DMARC1; p=reject"}]}
    report = await check_dmarc(ZoneResolver(zone), "example.com")
    assert "multiple_records" in codes(report)


async def test_dns_error() -> None:
    """A timeout is a dns_error finding."""
    report = await check_dmarc(ZoneResolver({"_dmarc.example.com": ["TIMEOUT"]}), "example.com")
    assert codes(report) == {"dns_error"}


def test_parse_tags() -> None:
    """Tags are split on ';', names lower-cased, values stripped."""
    tags, problems = parse_dmarc("v=DMARC1;  P = reject ; rua=mailto:a@b.c;")
    assert tags == {"v": "DMARC1", "p": "reject", "rua": "mailto:a@b.c"}
    assert problems == []
