"""DMARC (RFC 7489): find a domain's policy record, parse it and lint it.

Finding codes: no_record, multiple_records, dns_error, syntax_error, no_policy,
policy_none, policy_quarantine, policy_reject, weaker_subdomain_policy, partial_pct,
no_reports, bad_report_uri, external_reports_unauthorised, forensic_reports,
strict_alignment, unknown_tag, inherited.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics.dns import Resolver, Status, join_txt
from diagnostics.findings import Finding, Severity, worst

_POLICIES = ("none", "quarantine", "reject")
_KNOWN_TAGS = frozenset(
    {"v", "p", "sp", "pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri", "np"}
)
# Second-level labels under which country-code registries sell names (co.uk, com.au...).
# An approximation of the Public Suffix List, good enough to find an organisational domain.
_SECOND_LEVEL = frozenset(
    {"co", "com", "net", "org", "gov", "ac", "edu", "gouv", "asso", "ne", "or"}
)


@dataclass(frozen=True, slots=True)
class DmarcReport:
    """The DMARC record that applies to `domain`, its tags and the findings."""

    domain: str
    record_domain: str | None  # where the record was found (the domain or its org domain)
    record: str | None
    tags: dict[str, str]
    findings: tuple[Finding, ...]

    @property
    def policy(self) -> str | None:
        """The policy that applies to `domain` (sp= when inherited from the org domain)."""
        if self.record is None:
            return None
        if self.record_domain != self.domain and "sp" in self.tags:
            return self.tags["sp"].lower()
        return self.tags.get("p", "none").lower()

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity."""
        return worst(self.findings)


def organisational_domain(domain: str) -> str:
    """The organisational domain of `domain` (RFC 7489 3.2), approximately.

    Args:
        domain: a domain name.

    Returns:
        The registrable part: the last two labels, or three under a country-code
        second level such as co.uk (no Public Suffix List is consulted).
    """
    labels = domain.rstrip(".").lower().split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def parse_dmarc(text: str) -> tuple[dict[str, str], list[Finding]]:
    """Parse a DMARC record into tags, with syntax findings.

    Args:
        text: the record, "v=DMARC1; p=...".

    Returns:
        The tags (names in lower case, values stripped) and the syntax findings.
    """
    tags: dict[str, str] = {}
    findings: list[Finding] = []
    for index, part in enumerate(text.split(";")):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        if not eq or not name:
            findings.append(Finding("syntax_error", "error", {"tag": part, "problem": "no_equals"}))
            continue
        if index == 0 and name != "v":
            findings.append(
                Finding("syntax_error", "error", {"tag": part, "problem": "v_not_first"})
            )
        if name in tags:
            findings.append(Finding("syntax_error", "error", {"tag": part, "problem": "duplicate"}))
            continue
        tags[name] = value.strip()
    return tags, findings


async def _fetch(resolver: Resolver, domain: str) -> tuple[list[str], Status]:
    answer = await resolver.txt(f"_dmarc.{domain}")
    texts = []
    for record in answer.records:
        text = join_txt(record).decode("utf-8", "replace")
        if text[:8].lower() == "v=dmarc1" and text[8:9] in ("", ";", " ", "\t"):
            texts.append(text)
    return texts, answer.status


async def check_dmarc(resolver: Resolver, domain: str) -> DmarcReport:
    """Find and lint the DMARC policy of `domain`, falling back to its organisational domain.

    Args:
        resolver: where DNS questions go.
        domain: the customer's domain.

    Returns:
        The record found (if any), its tags and the findings.
    """
    domain = domain.strip().rstrip(".").lower()
    texts, status = await _fetch(resolver, domain)
    where = domain
    findings: list[Finding] = []
    if status in (Status.TIMEOUT, Status.SERVFAIL):
        return DmarcReport(
            domain, None, None, {}, (Finding("dns_error", "error", {"name": f"_dmarc.{domain}"}),)
        )
    org = organisational_domain(domain)
    if not texts and org != domain:
        texts, status = await _fetch(resolver, org)
        where = org
        if texts:
            findings.append(Finding("inherited", "info", {"from": org}))
    if not texts:
        return DmarcReport(
            domain, None, None, {}, (Finding("no_record", "error", {"domain": domain}),)
        )
    if len(texts) > 1:
        findings.append(Finding("multiple_records", "error", {"records": texts}))
        return DmarcReport(domain, where, texts[0], {}, tuple(findings))
    tags, syntax = parse_dmarc(texts[0])
    findings.extend(syntax)
    findings.extend(await _lint_tags(resolver, where, tags))
    return DmarcReport(domain, where, texts[0], tags, tuple(findings))


async def _lint_tags(resolver: Resolver, domain: str, tags: dict[str, str]) -> list[Finding]:
    findings: list[Finding] = []
    policy = tags.get("p", "").lower()
    if "p" not in tags:
        findings.append(Finding("no_policy", "error", {}))
    elif policy not in _POLICIES:
        findings.append(
            Finding("syntax_error", "error", {"tag": f"p={tags['p']}", "problem": "bad_value"})
        )
    elif policy == "none":
        findings.append(Finding("policy_none", "warning", {}))
    else:
        findings.append(Finding(f"policy_{policy}", "info", {}))
    sub = tags.get("sp", "").lower()
    if "sp" in tags:
        if sub not in _POLICIES:
            findings.append(
                Finding(
                    "syntax_error", "error", {"tag": f"sp={tags['sp']}", "problem": "bad_value"}
                )
            )
        elif policy in _POLICIES and _POLICIES.index(sub) < _POLICIES.index(policy):
            findings.append(Finding("weaker_subdomain_policy", "warning", {"p": policy, "sp": sub}))
    if "pct" in tags:
        pct = tags["pct"]
        if not pct.isdigit() or int(pct) > 100:
            findings.append(
                Finding("syntax_error", "error", {"tag": f"pct={pct}", "problem": "bad_value"})
            )
        elif int(pct) < 100 and policy != "none":
            findings.append(Finding("partial_pct", "warning", {"pct": int(pct)}))
    for name in ("adkim", "aspf"):
        if name in tags:
            value = tags[name].lower()
            if value not in ("r", "s"):
                findings.append(
                    Finding(
                        "syntax_error",
                        "error",
                        {"tag": f"{name}={tags[name]}", "problem": "bad_value"},
                    )
                )
            elif value == "s":
                findings.append(Finding("strict_alignment", "info", {"tag": name}))
    if not tags.get("rua"):
        findings.append(Finding("no_reports", "info", {}))
    for name in ("rua", "ruf"):
        for uri in filter(None, (u.strip() for u in tags.get(name, "").split(","))):
            address = uri.split("!", 1)[0]
            if not address.lower().startswith("mailto:") or "@" not in address:
                findings.append(Finding("bad_report_uri", "warning", {"tag": name, "uri": uri}))
                continue
            target = address.rpartition("@")[2].rstrip(".").lower()
            if organisational_domain(target) != organisational_domain(domain):
                # RFC 7489 7.1: the receiving domain must publish an authorisation record.
                name_to_ask = f"{domain}._report._dmarc.{target}"
                answer = await resolver.txt(name_to_ask)
                if not any(join_txt(r).lower().startswith(b"v=dmarc1") for r in answer.records):
                    findings.append(
                        Finding(
                            "external_reports_unauthorised",
                            "warning",
                            {"tag": name, "uri": uri, "record": name_to_ask},
                        )
                    )
    if tags.get("ruf"):
        findings.append(Finding("forensic_reports", "info", {}))
    for name in tags:
        if name not in _KNOWN_TAGS:
            findings.append(Finding("unknown_tag", "warning", {"tag": name}))
    return findings
