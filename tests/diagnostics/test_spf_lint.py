"""The SPF linter on records built for each problem, over zone data (no network)."""

from __future__ import annotations

from typing import Any

import pytest

from diagnostics.spf import SpfLint, lint_record, lint_spf, propose_record
from diagnostics.zone import ZoneResolver

PROVIDER = "spf.provider.example"
BASE: dict[str, list[Any]] = {
    PROVIDER: [{"TXT": "v=spf1 ip4:198.51.100.0/24 -all"}],
    "mail.provider.example": [{"A": "198.51.100.7"}],
}


async def lint(record: str | list[Any] | None, **zone: list[Any]) -> SpfLint:
    data: dict[str, list[Any]] = dict(BASE)
    if record is not None:
        entries = record if isinstance(record, list) else [{"TXT": record}]
        data["example.com"] = entries
    data.update({name.replace("_", "."): entries for name, entries in zone.items()})
    return await lint_spf(ZoneResolver(data), "example.com", provider_include=PROVIDER)


def codes(report: SpfLint) -> set[str]:
    return {f.code for f in report.findings}


def finding(report: SpfLint, code: str) -> dict[str, Any]:
    (found,) = [f for f in report.findings if f.code == code]
    return found.facts


async def test_good_record_says_nothing() -> None:
    """A record that includes the provider and ends with -all has no findings."""
    report = await lint(f"v=spf1 mx include:{PROVIDER} -all")
    assert report.findings == ()
    assert report.provider_authorised is True
    assert report.proposed is None
    assert report.lookups == 2


async def test_good_softfail_record_says_nothing() -> None:
    """~all with the provider's include and an exp= modifier raises no warning."""
    report = await lint(f"v=spf1 include:{PROVIDER} ~all exp=why.example.com")
    assert report.worst is None


async def test_no_record() -> None:
    """A domain without an SPF record gets no_record and a full proposed record."""
    report = await lint([{"TXT": "google-site-verification=abc"}])
    assert "no_record" in codes(report)
    assert report.proposed == f"v=spf1 include:{PROVIDER} ~all"


async def test_multiple_records() -> None:
    """Two SPF records are an error and the proposal merges them."""
    report = await lint([{"TXT": "v=spf1 mx -all"}, {"TXT": "v=spf1 ip4:192.0.2.1 -all"}])
    assert "multiple_records" in codes(report)
    assert report.proposed == f"v=spf1 mx ip4:192.0.2.1 include:{PROVIDER} -all"


async def test_syntax_error_position() -> None:
    """A bad address is reported with the offset of the fault in the record."""
    record = f"v=spf1 include:{PROVIDER} ip4:192.0.2.300 -all"
    facts = finding(await lint(record), "syntax_error")
    assert facts["term"] == "ip4:192.0.2.300"
    assert record[facts["position"] :].startswith("192.0.2.300")


async def test_syntax_error_unknown_mechanism() -> None:
    """An unknown mechanism is a syntax error at its start."""
    record = f"v=spf1 include:{PROVIDER} ipv4:192.0.2.3 -all"
    facts = finding(await lint(record), "syntax_error")
    assert facts["problem"] == "unknown_mechanism"
    assert facts["position"] == record.index("ipv4")


async def test_too_many_lookups_with_chain() -> None:
    """Eleven DNS-querying terms across includes are counted with the chain."""
    inner = " ".join(f"a:h{i}.example.net" for i in range(7))
    zone = {f"h{i}_example_net": [{"A": "192.0.2.9"}] for i in range(7)}
    report = await lint(
        f"v=spf1 include:{PROVIDER} include:big.example.net mx a ~all",
        big_example_net=[{"TXT": f"v=spf1 {inner} -all"}],
        **zone,
    )
    facts = finding(report, "too_many_lookups")
    assert facts["count"] == 10 + 1
    assert [n["domain"] for n in facts["chain"]] == ["example.com", "big.example.net"]
    assert [n["lookups"] for n in facts["chain"]] == [4, 7]


async def test_ten_lookups_is_fine() -> None:
    """Exactly ten lookups is at the limit, not over it."""
    terms = " ".join(f"a:h{i}.example.net" for i in range(9))
    zone = {f"h{i}_example_net": [{"A": "192.0.2.9"}] for i in range(9)}
    report = await lint(f"v=spf1 include:{PROVIDER} {terms} -all", **zone)
    assert report.lookups == 10
    assert "too_many_lookups" not in codes(report)


async def test_too_many_void_lookups() -> None:
    """Three names that do not exist are more void lookups than receivers allow."""
    report = await lint(
        f"v=spf1 include:{PROVIDER} a:gone1.example.com a:gone2.example.com mx:gone3.example.com -all"
    )
    assert finding(report, "too_many_void_lookups")["count"] == 3


async def test_include_loop() -> None:
    """An include that comes back to the domain is a loop, with its chain."""
    report = await lint(
        f"v=spf1 include:{PROVIDER} include:other.example.net -all",
        other_example_net=[{"TXT": "v=spf1 include:example.com -all"}],
    )
    assert finding(report, "loop")["chain"] == ["example.com", "other.example.net", "example.com"]


async def test_redirect_loop() -> None:
    """A redirect to itself is a loop."""
    report = await lint("v=spf1 redirect=example.com")
    assert "loop" in codes(report)


async def test_include_without_record() -> None:
    """Including a domain that publishes no SPF is an error (permerror for receivers)."""
    report = await lint(f"v=spf1 include:{PROVIDER} include:nothing.example.net -all")
    assert "include_no_record" in codes(report)


@pytest.mark.parametrize(
    ("record", "code", "severity"),
    [
        (f"v=spf1 ptr include:{PROVIDER} -all", "ptr", "warning"),
        (f"v=spf1 include:{PROVIDER} +all", "plus_all", "error"),
        (f"v=spf1 include:{PROVIDER} all", "plus_all", "error"),
        (f"v=spf1 include:{PROVIDER} ?all", "neutral_all", "warning"),
        (f"v=spf1 include:{PROVIDER}", "no_all", "warning"),
        (f"v=spf1 include:{PROVIDER} -all mx", "terms_after_all", "warning"),
    ],
)
async def test_policy_findings(record: str, code: str, severity: str) -> None:
    """ptr, +all, ?all, a missing all and terms after all are each reported."""
    report = await lint(record)
    found = [f for f in report.findings if f.code == code]
    assert found
    assert found[0].severity == severity
    assert report.proposed == f"v=spf1 include:{PROVIDER} " + (
        "-all" if "-all" in record else "~all"
    )


async def test_string_over_255_bytes() -> None:
    """A single character-string over 255 bytes is reported with its length."""
    long = f"v=spf1 include:{PROVIDER} " + " ".join(f"ip4:192.0.2.{i}" for i in range(30)) + " -all"
    facts = finding(await lint(long), "string_too_long")
    assert facts["length"] == len(long) > 255


async def test_record_over_512_bytes() -> None:
    """A record over 512 bytes, even split in strings, is reported."""
    ips = " ".join(f"ip4:192.0.{i}.{i}" for i in range(40))
    text = f"v=spf1 include:{PROVIDER} {ips} -all"
    strings = [text[i : i + 200] for i in range(0, len(text), 200)]
    report = await lint([{"TXT": strings}])
    assert finding(report, "record_too_long")["length"] == len(text)
    assert "string_too_long" not in codes(report)


async def test_deprecated_spf_type() -> None:
    """A record of type SPF (99) next to the TXT one is flagged as deprecated."""
    rec = f"v=spf1 include:{PROVIDER} -all"
    report = await lint([{"TXT": rec}, {"SPF": rec}])
    assert codes(report) == {"spf_rr_type"}


async def test_provider_not_authorised() -> None:
    """A record without the provider's include or addresses is reported and fixed."""
    report = await lint("v=spf1 mx -all")
    assert report.provider_authorised is False
    assert "provider_not_authorised" in codes(report)
    assert report.proposed == f"v=spf1 mx include:{PROVIDER} -all"


async def test_provider_authorised_by_address() -> None:
    """A provider known by addresses is authorised when check_host() passes them."""
    resolver = ZoneResolver({"example.com": [{"TXT": "v=spf1 ip4:198.51.100.0/24 -all"}]})
    report = await lint_spf(resolver, "example.com", provider_ips=("198.51.100.7",))
    assert report.provider_authorised is True
    assert report.worst is None


async def test_provider_hosts_not_authorised() -> None:
    """Provider hosts whose addresses fail are named, and a: terms are proposed."""
    resolver = ZoneResolver(
        {"example.com": [{"TXT": "v=spf1 -all"}], "mail.provider.example": [{"A": "198.51.100.7"}]}
    )
    report = await lint_spf(resolver, "example.com", provider_hosts=("mail.provider.example",))
    assert finding(report, "provider_not_authorised")["not_passing"] == ["mail.provider.example"]
    assert report.proposed == "v=spf1 a:mail.provider.example -all"


async def test_dns_error_is_a_finding() -> None:
    """A timeout on the domain's TXT lookup is reported, not raised."""
    resolver = ZoneResolver({"example.com": ["TIMEOUT"]})
    report = await lint_spf(resolver, "example.com")
    assert codes(report) == {"dns_error"}


def test_lint_record_without_dns() -> None:
    """The static part of the linter works on a record text alone."""
    assert {f.code for f in lint_record("v=spf1 ptr +all")} == {"ptr", "plus_all"}


def test_propose_without_provider() -> None:
    """With no record and no provider facts, the proposal authorises the MX hosts."""
    assert propose_record([]) == "v=spf1 mx ~all"
