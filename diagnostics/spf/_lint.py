"""SPF linting: what a receiver would object to in a domain's record, and a corrected record.

Findings carry a stable `code`, a severity and facts; the wording for customers lives in
`templates/domain/`. Codes: no_record, multiple_records, syntax_error, too_many_lookups,
too_many_void_lookups, loop, include_no_record, dns_error, ptr, plus_all, neutral_all,
no_all, terms_after_all, string_too_long, record_too_long, spf_rr_type,
provider_not_authorised.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from diagnostics.dns import Resolver, join_txt
from diagnostics.findings import Finding, Severity, worst
from diagnostics.spf._eval import check_host
from diagnostics.spf._record import LOOKUP_MECHANISMS, Mechanism, Modifier, Record, parse_record
from diagnostics.spf._record import is_spf_record as _is_spf

MAX_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
MAX_STRING = 255
MAX_RECORD = 512
_MAX_DEPTH = 20
_MAX_FETCHES = 50  # records fetched while walking includes: bounds a hostile tree


@dataclass(frozen=True, slots=True)
class SpfLint:
    """What the linter found for a domain, with a proposed record when it would change."""

    domain: str
    record: str | None
    findings: tuple[Finding, ...]
    lookups: int = 0
    void_lookups: int = 0
    proposed: str | None = None
    provider_authorised: bool | None = None

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity, or None when there is nothing to say."""
        return worst(self.findings)


def lint_record(text: str) -> list[Finding]:
    """Findings that need no DNS: syntax, ptr, the `all` mechanism, terms after it.

    Args:
        text: an SPF record ("v=spf1 ...").

    Returns:
        The findings, in record order.
    """
    record = parse_record(text)
    findings = [
        Finding(
            "syntax_error",
            "error",
            {"position": issue.position, "term": issue.term, "problem": issue.code},
        )
        for issue in record.issues
    ]
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_RECORD:
        findings.append(Finding("record_too_long", "warning", {"length": size, "limit": 512}))
    all_at: Mechanism | None = None
    after: list[str] = []
    for term in record.terms:
        if all_at is not None:
            # Mechanisms after "all" are never reached and a redirect is ignored (6.1);
            # exp= and unknown modifiers may sit anywhere.
            if isinstance(term, Mechanism) or term.name == "redirect":
                after.append(term.text)
            continue
        if isinstance(term, Mechanism):
            if term.name == "ptr":
                findings.append(
                    Finding("ptr", "warning", {"term": term.text, "position": term.position})
                )
            elif term.name == "all":
                all_at = term
    if all_at is not None:
        if all_at.qualifier == "+":
            findings.append(Finding("plus_all", "error", {"term": all_at.text}))
        elif all_at.qualifier == "?":
            findings.append(Finding("neutral_all", "warning", {"term": all_at.text}))
        if after:
            findings.append(Finding("terms_after_all", "warning", {"terms": after}))
    elif record.modifier("redirect") is None and not record.issues:
        findings.append(Finding("no_all", "warning", {}))
    return findings


@dataclass
class _Walk:
    """State of the walk through includes and redirects."""

    resolver: Resolver
    findings: list[Finding]
    lookups: int = 0
    voids: int = 0
    targets: set[str] = field(default_factory=set)
    chain: list[dict[str, Any]] = field(default_factory=list)
    reported_loop: bool = False
    fetches: int = 0


async def _walk(walk: _Walk, domain: str, record: Record, stack: tuple[str, ...]) -> None:
    node: dict[str, Any] = {"domain": domain, "lookups": 0, "depth": len(stack) - 1}
    walk.chain.append(node)
    has_all = any(m.name == "all" for m in record.mechanisms)
    terms: list[Mechanism | Modifier] = []
    for term in record.terms:
        if (isinstance(term, Mechanism) and term.name in LOOKUP_MECHANISMS) or (
            isinstance(term, Modifier) and term.name == "redirect" and not has_all
        ):
            terms.append(term)
    for term in terms:
        node["lookups"] += 1
        walk.lookups += 1
        spec = term.domain_spec if isinstance(term, Mechanism) else term.value
        name = term.name if isinstance(term, Mechanism) else "redirect"
        if spec is not None and "%" in spec:
            continue  # depends on the sender or client: cannot be followed statically
        target = (spec or domain).rstrip(".").lower()
        if name in ("include", "redirect"):
            walk.targets.add(target)
            if target in stack:
                if not walk.reported_loop:
                    walk.reported_loop = True
                    walk.findings.append(
                        Finding("loop", "error", {"chain": [*stack, target], "term": term.text})
                    )
                continue
            if len(stack) >= _MAX_DEPTH or walk.fetches >= _MAX_FETCHES:
                continue
            walk.fetches += 1
            sub = await _fetch(walk.resolver, target)
            if isinstance(sub, Finding):
                if sub.code != "dns_error":
                    walk.voids += 1
                    sub = Finding("include_no_record", "error", {"term": term.text, **sub.facts})
                walk.findings.append(sub)
                continue
            await _walk(walk, target, parse_record(sub[0]), (*stack, target))
        elif name == "a":
            a, aaaa = await walk.resolver.a(target), await walk.resolver.aaaa(target)
            if a.is_void and aaaa.is_void:
                walk.voids += 1
        elif name == "mx" and (await walk.resolver.mx(target)).is_void:
            walk.voids += 1


async def _fetch(resolver: Resolver, domain: str) -> tuple[str, list[bytes]] | Finding:
    """The single SPF record of a domain, or a finding explaining why there is none."""
    answer = await resolver.txt(domain)
    if answer.is_error:
        return Finding("dns_error", "warning", {"domain": domain, "status": answer.status.value})
    found = [(join_txt(r), list(r)) for r in answer.records if _is_spf(join_txt(r))]
    if not found:
        return Finding("no_record", "error", {"domain": domain})
    if len(found) > 1:
        return Finding(
            "multiple_records",
            "error",
            {"domain": domain, "records": [r.decode("utf-8", "replace") for r, _ in found]},
        )
    return found[0][0].decode("utf-8", "replace"), found[0][1]


async def lint_spf(
    resolver: Resolver,
    domain: str,
    *,
    provider_include: str = "",
    provider_ips: tuple[str, ...] = (),
    provider_hosts: tuple[str, ...] = (),
) -> SpfLint:
    """Lint the SPF record of `domain`, following its includes and redirects.

    Args:
        resolver: where DNS questions go.
        domain: the customer's domain.
        provider_include: the domain customers include to authorise the provider ("" if none).
        provider_ips: the provider's sending addresses or networks (CIDR).
        provider_hosts: the provider's sending host names, authorised by their addresses.

    Returns:
        The record, the findings, the lookup counts, whether the provider is authorised
        (None when no provider facts were given) and a corrected record when it differs.
    """
    domain = domain.strip().rstrip(".").lower()
    findings: list[Finding] = []
    spf99, answer = await asyncio.gather(resolver.spf(domain), resolver.txt(domain))
    if spf99.records:
        findings.append(Finding("spf_rr_type", "warning", {"domain": domain}))
    if answer.is_error:
        findings.append(
            Finding("dns_error", "error", {"domain": domain, "status": answer.status.value})
        )
        return SpfLint(domain, None, tuple(findings))
    raw = [r for r in answer.records if _is_spf(join_txt(r))]
    texts = [join_txt(r).decode("utf-8", "replace") for r in raw]
    provider = bool(provider_include or provider_ips or provider_hosts)
    if not raw:
        findings.insert(0, Finding("no_record", "error", {"domain": domain}))
        proposed = propose_record(
            [], provider_include, provider_ips, provider_hosts, authorised=False
        )
        return SpfLint(
            domain,
            None,
            tuple(findings),
            proposed=proposed,
            provider_authorised=False if provider else None,
        )
    for strings in raw:
        for piece in strings:
            if len(piece) > MAX_STRING:
                findings.append(
                    Finding("string_too_long", "error", {"length": len(piece), "limit": 255})
                )
    if len(raw) > 1:
        findings.insert(0, Finding("multiple_records", "error", {"records": texts}))
        proposed = propose_record(
            texts, provider_include, provider_ips, provider_hosts, authorised=False
        )
        return SpfLint(domain, texts[0], tuple(findings), proposed=proposed)
    text = texts[0]
    findings.extend(lint_record(text))
    record = parse_record(text)
    walk = _Walk(resolver, findings)
    await _walk(walk, domain, record, (domain,))
    if walk.lookups > MAX_LOOKUPS:
        chain = [n for n in walk.chain if n["lookups"]]
        findings.append(
            Finding(
                "too_many_lookups",
                "error",
                {"count": walk.lookups, "limit": MAX_LOOKUPS, "chain": chain},
            )
        )
    if walk.voids > MAX_VOID_LOOKUPS:
        findings.append(
            Finding(
                "too_many_void_lookups", "error", {"count": walk.voids, "limit": MAX_VOID_LOOKUPS}
            )
        )
    authorised: bool | None = None
    if provider:
        authorised, failing = await _provider_authorised(
            resolver, domain, walk.targets, provider_include, provider_ips, provider_hosts
        )
        if not authorised:
            findings.append(
                Finding(
                    "provider_not_authorised",
                    "error",
                    {"include": provider_include, "not_passing": failing},
                )
            )
    broken = tuple(
        str(f.facts["term"]) for f in findings if f.code in ("loop", "include_no_record")
    )
    proposed = propose_record(
        [text], provider_include, provider_ips, provider_hosts, authorised=authorised, drop=broken
    )
    return SpfLint(
        domain,
        text,
        tuple(findings),
        walk.lookups,
        walk.voids,
        None if proposed == text else proposed,
        authorised,
    )


async def _provider_authorised(
    resolver: Resolver,
    domain: str,
    targets: set[str],
    include: str,
    ips: tuple[str, ...],
    hosts: tuple[str, ...],
) -> tuple[bool, list[str]]:
    """Whether the record lets the provider send: its include is followed, or every one
    of its addresses (and of its hosts' addresses) passes check_host()."""
    if include and include.rstrip(".").lower() in targets:
        return True, []
    probes: list[tuple[str, str]] = []
    for item in ips:
        try:
            network = ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            continue
        probes.append((item, str(network.network_address)))
    for host in hosts:
        for answer in (await resolver.a(host), await resolver.aaaa(host)):
            probes.extend((host, address) for address in answer.records)
    failing: list[str] = []
    for label, probe in probes:
        result = await check_host(resolver, probe, domain, f"postmaster@{domain}")
        if result.result != "pass" and label not in failing:
            failing.append(label)
    if probes and not failing:
        return True, []
    return False, failing or [*ips, *hosts]


def propose_record(
    records: list[str],
    provider_include: str = "",
    provider_ips: tuple[str, ...] = (),
    provider_hosts: tuple[str, ...] = (),
    *,
    authorised: bool | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    """A corrected record: one record, valid terms, no ptr, a safe `all`, the provider in.

    Args:
        records: the domain's current SPF records (none, one or several to merge).
        provider_include: the provider's include domain ("" if none).
        provider_ips: the provider's sending addresses or networks.
        provider_hosts: the provider's sending host names (added as `a:` terms).
        authorised: whether the provider is already authorised (False adds it).
        drop: terms to leave out (includes that loop or point at no record).

    Returns:
        The proposed record text.
    """
    terms: list[str] = []
    modifiers: list[str] = []
    seen: set[str] = set()
    final_all: str | None = None
    redirect: str | None = None
    for text in records:
        record = parse_record(text)
        ended = False
        for term in record.terms:
            if isinstance(term, Modifier):
                if term.name == "redirect" and not ended:
                    redirect = redirect or term.text
                elif term.name == "exp" and not any(m.startswith("exp=") for m in modifiers):
                    modifiers.append("exp=" + term.value)
                continue
            if term.name == "all":
                if final_all is None:
                    final_all = "-all" if term.qualifier == "-" else "~all"
                ended = True
                continue
            if ended:
                continue
            if term.name == "ptr" or term.text in drop:
                continue
            key = term.text.lower().lstrip("+")
            if key not in seen:
                seen.add(key)
                terms.append(term.text[1:] if term.text.startswith("+") else term.text)
    if not authorised and (provider_include or provider_ips or provider_hosts):
        if provider_include:
            addition = [f"include:{provider_include}"]
        else:
            addition = [("ip6:" if ":" in ip else "ip4:") + ip for ip in provider_ips]
            addition += [f"a:{host}" for host in provider_hosts]
        for item in addition:
            if item.lower() not in seen:
                seen.add(item.lower())
                terms.append(item)
    if not terms and not records and redirect is None:
        terms.append("mx")
    parts = ["v=spf1", *terms]
    if final_all is not None:
        parts.append(final_all)
    elif redirect is not None:
        parts.append(redirect)
    else:
        parts.append("~all")
    parts.extend(modifiers)
    return " ".join(parts)
