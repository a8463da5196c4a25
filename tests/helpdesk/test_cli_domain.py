"""`helpdesk spf|dmarc|dkim|mx` end to end: a subprocess asking a DNS server on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED, require_shared
from tests.diagnostics.test_dkim import rsa_key
from tests.dnsserver import DNSServer, serve

SUITE = SHARED / "corpora" / "spf" / "rfc7208-tests.yml"
ZONE: dict[str, list[Any]] = {
    # The shipped provider has no include nor addresses: its servers are authorised by name.
    "mail.zindex.fr": [{"A": "203.0.113.10"}],
    "mail2.zindex.fr": [{"A": "203.0.113.11"}],
    "good.example": [
        {"TXT": "v=spf1 a:mail.zindex.fr a:mail2.zindex.fr -all"},
        {"MX": [10, "mail.zindex.fr"]},
        {"MX": [20, "mail2.zindex.fr"]},
    ],
    "_dmarc.good.example": [{"TXT": "v=DMARC1; p=none; rua=mailto:dmarc@good.example"}],
    "s1._domainkey.good.example": [{"TXT": f"v=DKIM1; k=rsa; p={rsa_key(2048)}"}],
    "old._domainkey.good.example": [{"TXT": "v=DKIM1; k=rsa; p="}],
    "bad.example": [{"TXT": "v=spf1 ptr ip4:192.0.2.1 +all"}, {"TXT": "v=spf1 mx"}],
    "slow.example": ["TIMEOUT"],
    "big.example": [
        *({"TXT": f"google-site-verification={'x' * 200}{i}"} for i in range(8)),
        {"TXT": "v=spf1 ip4:192.0.2.0/24 -all"},
    ],
    "xn--t-9fab.example": [{"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}],
}


@pytest.fixture
def dns() -> Iterator[DNSServer]:
    with serve(ZONE) as server:
        yield server


def helpdesk(
    env: dict[str, str], *args: str, dns: DNSServer | None = None
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    full.update(env)
    if dns is not None:
        full["HELPDESK_DNS_SERVERS"] = dns.address
    return subprocess.run(
        [sys.executable, "-m", "helpdesk", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def one_json(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    return json.loads(lines[0])


def test_spf_pass_and_clean_lint(env: dict[str, str], dns: DNSServer) -> None:
    """With --ip, the JSON holds the RFC 7208 result; a good record has no findings."""
    proc = helpdesk(env, "spf", "good.example", "--ip", "203.0.113.11", "--json", dns=dns)
    assert proc.returncode == 0, proc.stderr
    out = one_json(proc)
    assert out["domain"] == "good.example"
    assert out["record"] == "v=spf1 a:mail.zindex.fr a:mail2.zindex.fr -all"
    assert out["result"] == "pass"
    assert out["lint"] == []
    assert out["provider_authorised"] is True
    assert any(q[0] == "good.example" for q in dns.queries)


def test_spf_fail(env: dict[str, str], dns: DNSServer) -> None:
    """An address not in the record fails."""
    out = one_json(helpdesk(env, "spf", "good.example", "--ip", "192.0.2.99", "--json", dns=dns))
    assert out["result"] == "fail"


def test_spf_lint_without_ip(env: dict[str, str], dns: DNSServer) -> None:
    """Without --ip only the lint is given, with codes, severities and wording."""
    out = one_json(helpdesk(env, "spf", "bad.example", "--json", "--lang", "fr", dns=dns))
    assert "result" not in out
    assert {f["code"] for f in out["lint"]} == {"multiple_records"}
    assert out["lint"][0]["severity"] == "error"
    assert "fusionnez" in out["lint"][0]["text"]
    assert set(out["proposed"].split()) == {
        "v=spf1",
        "mx",
        "ip4:192.0.2.1",
        "a:mail.zindex.fr",
        "a:mail2.zindex.fr",
        "~all",
    }


def test_spf_timeout(env: dict[str, str], dns: DNSServer) -> None:
    """A DNS server that never answers gives temperror and a dns_error finding, in time."""
    start = time.monotonic()
    proc = helpdesk(env, "spf", "slow.example", "--ip", "192.0.2.1", "--json", dns=dns)
    assert time.monotonic() - start < 15
    out = one_json(proc)
    assert out["result"] == "temperror"
    assert [f["code"] for f in out["lint"]] == ["dns_error"]


def test_spf_internationalised_domain(env: dict[str, str], dns: DNSServer) -> None:
    """A domain typed in Unicode is asked in its punycode form."""
    out = one_json(helpdesk(env, "spf", "Été.example", "--ip", "192.0.2.7", "--json", dns=dns))
    assert out["domain"] == "xn--t-9fab.example"
    assert out["result"] == "pass"


def test_spf_large_answer_over_tcp(env: dict[str, str], dns: DNSServer) -> None:
    """A TXT answer too big for UDP is fetched again over TCP and evaluated."""
    out = one_json(helpdesk(env, "spf", "big.example", "--ip", "192.0.2.7", "--json", dns=dns))
    assert out["result"] == "pass"
    assert ("big.example", "TXT", "tcp") in dns.queries


def test_spf_text_output(env: dict[str, str], dns: DNSServer) -> None:
    """The plain output is worded for a customer, in the chosen language."""
    proc = helpdesk(env, "spf", "bad.example", "--lang", "fr", dns=dns)
    assert proc.returncode == 0
    assert "Enregistrement proposé" in proc.stdout


def test_user_errors(env: dict[str, str], dns: DNSServer) -> None:
    """A bad IP or domain is a one-line error and exit 1; spf suite without a file is usage."""
    bad_ip = helpdesk(env, "spf", "good.example", "--ip", "300.1.1.1", dns=dns)
    assert bad_ip.returncode == 1
    assert len(bad_ip.stderr.splitlines()) == 1
    assert helpdesk(env, "spf", "not_a_domain", dns=dns).returncode == 1
    assert helpdesk(env, "spf", "suite", dns=dns).returncode == 2


def test_spf_suite(env: dict[str, str]) -> None:
    """`helpdesk spf suite` runs the RFC 7208 suite: one line per test, 203 passed."""
    proc = helpdesk(env, "spf", "suite", str(require_shared(SUITE)))
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert len(lines) == 204
    assert lines[-1] == "203 passed, 0 failed"


def test_spf_suite_failure(env: dict[str, str], tmp_path: Path) -> None:
    """A suite with a wrong expectation exits 1; --json keeps one object per line."""
    suite = tmp_path / "suite.yml"
    suite.write_text(
        "description: tiny\n"
        "tests:\n"
        "  wrong:\n"
        "    host: 192.0.2.1\n    mailfrom: a@x.example\n    helo: x.example\n    result: pass\n"
        "  right:\n"
        "    host: 192.0.2.1\n    mailfrom: a@x.example\n    helo: x.example\n    result: fail\n"
        "zonedata:\n  x.example:\n    - TXT: v=spf1 -all\n",
        encoding="utf-8",
    )
    proc = helpdesk(env, "spf", "suite", str(suite))
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "1 passed, 1 failed"
    lines = [
        json.loads(line)
        for line in helpdesk(env, "spf", "suite", str(suite), "--json").stdout.splitlines()
    ]
    assert [line.get("passed") for line in lines] == [False, True, 1]


def test_dmarc(env: dict[str, str], dns: DNSServer) -> None:
    """`helpdesk dmarc` finds the record and explains p=none."""
    out = one_json(helpdesk(env, "dmarc", "good.example", "--json", dns=dns))
    assert out["policy"] == "none"
    assert [f["code"] for f in out["findings"]] == ["policy_none"]


def test_dkim(env: dict[str, str], dns: DNSServer) -> None:
    """`helpdesk dkim` tells a good key from a revoked one."""
    good = one_json(helpdesk(env, "dkim", "good.example", "--selector", "s1", "--json", dns=dns))
    assert good["bits"] == 2048
    old = one_json(helpdesk(env, "dkim", "good.example", "--selector", "old", "--json", dns=dns))
    assert [f["code"] for f in old["findings"]] == ["revoked"]


def test_mx(env: dict[str, str], dns: DNSServer) -> None:
    """`helpdesk mx` lists the hosts and sees they are the provider's."""
    out = one_json(helpdesk(env, "mx", "good.example", "--json", dns=dns))
    assert [h["host"] for h in out["hosts"]] == ["mail.zindex.fr", "mail2.zindex.fr"]
    assert out["at_provider"] is True
