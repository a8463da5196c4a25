"""MX: where a domain receives mail, and whether that is the provider.

Finding codes: dns_error, no_domain, no_mx, null_mx, mx_is_ip, host_unresolved,
at_provider, not_at_provider, partly_at_provider.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from diagnostics.dns import Resolver, Status
from diagnostics.findings import Finding, Severity, worst


@dataclass(frozen=True, slots=True)
class MxHost:
    """One MX host with its preference and addresses (IPv4 then IPv6)."""

    preference: int
    host: str
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MxReport:
    """The MX hosts of a domain, by preference, and whether they are the provider's."""

    domain: str
    hosts: tuple[MxHost, ...]
    at_provider: bool | None  # None when no provider hosts were given or there is no MX
    findings: tuple[Finding, ...]

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity."""
        return worst(self.findings)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def check_mx(
    resolver: Resolver, domain: str, provider_hosts: tuple[str, ...] = ()
) -> MxReport:
    """List the MX hosts of `domain` and compare them with the provider's.

    Args:
        resolver: where DNS questions go.
        domain: the customer's domain.
        provider_hosts: the host names the provider asks customers to use as MX.

    Returns:
        The hosts sorted by preference, whether they point at the provider, findings.
    """
    domain = domain.strip().rstrip(".").lower()
    answer = await resolver.mx(domain)
    if answer.status in (Status.TIMEOUT, Status.SERVFAIL):
        return MxReport(domain, (), None, (Finding("dns_error", "error", {"domain": domain}),))
    if answer.status is Status.NXDOMAIN:
        return MxReport(domain, (), None, (Finding("no_domain", "error", {"domain": domain}),))
    if not answer.records:
        return MxReport(domain, (), None, (Finding("no_mx", "warning", {"domain": domain}),))
    if all(not mx.host for mx in answer.records):
        return MxReport(domain, (), None, (Finding("null_mx", "info", {"domain": domain}),))
    findings: list[Finding] = []
    hosts: list[MxHost] = []
    for mx in sorted(answer.records, key=lambda m: (m.preference, m.host.lower())):
        if not mx.host:
            continue
        if _is_ip(mx.host):
            findings.append(Finding("mx_is_ip", "error", {"host": mx.host}))
            hosts.append(MxHost(mx.preference, mx.host, ()))
            continue
        v4, v6 = await resolver.a(mx.host), await resolver.aaaa(mx.host)
        addresses = v4.records + v6.records
        if not addresses:
            findings.append(Finding("host_unresolved", "error", {"host": mx.host}))
        hosts.append(MxHost(mx.preference, mx.host.rstrip(".").lower(), addresses))
    at_provider: bool | None = None
    if provider_hosts:
        wanted = {h.rstrip(".").lower() for h in provider_hosts}
        ours = [h.host for h in hosts if h.host in wanted]
        others = [h.host for h in hosts if h.host not in wanted]
        at_provider = bool(ours) and not others
        if at_provider:
            findings.append(Finding("at_provider", "info", {"hosts": ours}))
        elif ours:
            findings.append(
                Finding(
                    "partly_at_provider", "warning", {"others": others, "expected": sorted(wanted)}
                )
            )
        else:
            findings.append(
                Finding("not_at_provider", "warning", {"hosts": others, "expected": sorted(wanted)})
            )
    return MxReport(domain, tuple(hosts), at_provider, tuple(findings))
