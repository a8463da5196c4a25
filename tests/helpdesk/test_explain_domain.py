"""Every finding code of the domain checks has its own FR and EN wording."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from diagnostics.dkim import check_dkim
from diagnostics.dmarc import check_dmarc
from diagnostics.findings import Finding
from diagnostics.mx import check_mx
from diagnostics.spf import check_host, lint_spf
from diagnostics.zone import ZoneResolver
from helpdesk.explain.domain import LANGS, DomainWording
from tests.diagnostics.test_dkim import rsa_key

ZONE: dict[str, list[Any]] = {
    "bad.example": [
        {
            "TXT": "v=spf1 ptr include:bad.example include:none.example a:gone1.example "
            "a:gone2.example mx:gone3.example ip4:1.2.3.300 +all mx"
        },
        {"TXT": ["x" * 300]},
        {"SPF": "v=spf1 -all"},
        {"MX": [10, "192.0.2.1"]},
        {"MX": [20, "nowhere.example"]},
    ],
    "none.example": [{"A": "192.0.2.1"}],
    "two.example": [{"TXT": "v=spf1 -all"}, {"TXT": "v=spf1 ?all"}],
    "neutral.example": [{"TXT": "v=spf1 ?all"}],
    "noall.example": [{"TXT": "v=spf1 a " + " ".join(f"ip4:10.0.0.{i}" for i in range(60))}],
    "many.example": [{"TXT": "v=spf1 " + " ".join(f"a:h{i}.example" for i in range(11)) + " -all"}],
    "slow.example": ["TIMEOUT"],
    "_dmarc.bad.example": [
        {
            "TXT": "v=DMARC1; p=none; sp=none; pct=50; adkim=s; aspf=x; "
            "rua=mailto:r@reports.example, http://x; ruf=mailto:f@bad.example; foo=1; bar"
        }
    ],
    "_dmarc.q.example": [{"TXT": "v=DMARC1; p=quarantine"}],
    "_dmarc.r.example": [{"TXT": "v=DMARC1; p=reject; pct=20"}, {"TXT": "v=DMARC1; p=none"}],
    "_dmarc.nop.example": [{"TXT": "v=DMARC1; rua=mailto:a@nop.example"}],
    "_dmarc.e.example": [{"TXT": "v=DMARC1; p=reject; sp=none; pct=20"}],
    "_dmarc.slow.example": ["TIMEOUT"],
    "a._domainkey.bad.example": [{"TXT": "v=DKIM1; p="}],
    "b._domainkey.bad.example": [{"TXT": f"v=DKIM1; t=y; p={rsa_key(512)}"}],
    "c._domainkey.bad.example": [{"TXT": f"v=DKIM1; p={rsa_key(1024)}"}],
    "d._domainkey.bad.example": [{"TXT": "v=DKIM1; p=AAAA"}],
    "e._domainkey.bad.example": [{"TXT": "v=DKIM1; k=dsa; p=AAAA"}],
    "f._domainkey.bad.example": [{"TXT": "v=DKIM1; p=AAAA"}, {"TXT": "v=DKIM1; p=BBBB"}],
    "a._domainkey.slow.example": ["TIMEOUT"],
    "g._domainkey.bad.example": [{"TXT": f"v=DKIM1; p={rsa_key(2048)}"}],
    "h._domainkey.bad.example": [{"TXT": "v=DKIM1; k"}],
    "good.example": [{"MX": [10, "mail.provider.example"]}],
    "mixed.example": [{"MX": [10, "mail.provider.example"]}, {"MX": [20, "mx.other.example"]}],
    "other.example": [{"MX": [10, "mx.other.example"]}],
    "null.example": [{"MX": [0, ""]}],
    "nomx.example": [{"A": "192.0.2.1"}],
    "mail.provider.example": [{"A": "198.51.100.1"}],
    "mx.other.example": [{"A": "203.0.113.1"}],
}


async def _all_findings() -> list[tuple[str, Finding]]:
    r = ZoneResolver(ZONE)
    found: list[tuple[str, Finding]] = []
    for domain in (
        "bad.example",
        "two.example",
        "neutral.example",
        "noall.example",
        "many.example",
        "slow.example",
        "x.example",
    ):
        report = await lint_spf(r, domain, provider_include="spf.provider.example")
        found += [("spf", f) for f in report.findings]
    for domain in (
        "bad.example",
        "q.example",
        "r.example",
        "nop.example",
        "www.e.example",
        "slow.example",
        "none.example",
    ):
        found += [("dmarc", f) for f in (await check_dmarc(r, domain)).findings]
    for selector in "abcdefghz":
        found += [("dkim", f) for f in (await check_dkim(r, "bad.example", selector)).findings]
    found += [("dkim", f) for f in (await check_dkim(r, "slow.example", "a")).findings]
    for domain in (
        "bad.example",
        "good.example",
        "mixed.example",
        "other.example",
        "null.example",
        "nomx.example",
        "slow.example",
        "missing.example",
    ):
        report = await check_mx(r, domain, ("mail.provider.example",))
        found += [("mx", f) for f in report.findings]
    return found


FINDINGS = asyncio.run(_all_findings())
EXPECTED = {
    "spf": {
        "no_record",
        "multiple_records",
        "syntax_error",
        "too_many_lookups",
        "too_many_void_lookups",
        "loop",
        "include_no_record",
        "dns_error",
        "ptr",
        "plus_all",
        "neutral_all",
        "no_all",
        "terms_after_all",
        "string_too_long",
        "record_too_long",
        "spf_rr_type",
        "provider_not_authorised",
    },
    "dmarc": {
        "no_record",
        "multiple_records",
        "dns_error",
        "syntax_error",
        "no_policy",
        "policy_none",
        "policy_quarantine",
        "policy_reject",
        "weaker_subdomain_policy",
        "partial_pct",
        "no_reports",
        "bad_report_uri",
        "external_reports_unauthorised",
        "forensic_reports",
        "strict_alignment",
        "unknown_tag",
        "inherited",
    },
    "dkim": {
        "no_key",
        "dns_error",
        "multiple_records",
        "syntax_error",
        "revoked",
        "bad_key",
        "weak_key",
        "short_key",
        "testing",
        "unknown_key_type",
        "key_ok",
    },
    "mx": {
        "dns_error",
        "no_domain",
        "no_mx",
        "null_mx",
        "mx_is_ip",
        "host_unresolved",
        "at_provider",
        "partly_at_provider",
        "not_at_provider",
    },
}


def test_every_code_is_produced() -> None:
    """The fixtures above make each check emit every code it documents."""
    for check, codes in EXPECTED.items():
        assert {f.code for c, f in FINDINGS if c == check} == codes, check


@pytest.mark.parametrize("lang", LANGS)
def test_every_finding_has_wording(lang: str) -> None:
    """Each finding renders with its own macro (not the fallback) in both languages."""
    wording = DomainWording()
    fallback = {
        check: wording.finding(check, Finding("no_such_code", "info"), lang) for check in EXPECTED
    }
    for check, finding in FINDINGS:
        text = wording.finding(check, finding, lang)
        assert text
        assert text != fallback[check], (check, finding.code)
        assert not re.search(r"\{\{|\}\}|\{%", text)


@pytest.mark.parametrize("lang", LANGS)
def test_spf_result_sentence(lang: str) -> None:
    """An evaluation is one sentence naming the deciding term and the domain's explanation."""
    r = ZoneResolver(
        {
            "e.example": [{"TXT": "v=spf1 -all exp=why.e.example"}],
            "why.e.example": [{"TXT": "Ask %{d}"}],
        }
    )
    result = asyncio.run(check_host(r, "192.0.2.1", "e.example", "a@e.example"))
    text = DomainWording().spf_result(result, "192.0.2.1", lang)
    assert "-all" in text
    assert "Ask e.example" in text
