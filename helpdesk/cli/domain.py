"""`helpdesk spf`, `helpdesk dmarc`, `helpdesk dkim` and `helpdesk mx`: a domain's mail DNS.

`helpdesk spf DOMAIN` lints the record (and evaluates it with --ip); `helpdesk spf suite
FILE.yml` runs a conformance suite in the openspf YAML format through the same evaluator:
"suite" cannot be a domain to check (it has no dot), so the first argument tells them apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from helpdesk.errors import UserError
from helpdesk.wording import LANGUAGES

if TYPE_CHECKING:
    from diagnostics.findings import Finding
    from diagnostics.resolver import DnsResolver
    from helpdesk.config import Settings


def register(subparsers: Any) -> None:
    spf = subparsers.add_parser(
        "spf",
        help="lint a domain's SPF record, evaluate it for an IP, or run a conformance suite",
        description="helpdesk spf DOMAIN [--ip IP --sender ADDR --helo NAME] [--json] | "
        "helpdesk spf suite FILE.yml [--json]",
    )
    spf.add_argument("domain", metavar="DOMAIN", help='the domain, or "suite" then a YAML file')
    spf.add_argument("file", metavar="FILE.yml", nargs="?", help="with suite: the suite file")
    spf.add_argument("--ip", help="client address to evaluate the record for")
    spf.add_argument(
        "--sender", metavar="ADDR", help="MAIL FROM address (default postmaster@DOMAIN)"
    )
    spf.add_argument("--helo", metavar="NAME", help="HELO name (default DOMAIN)")
    _common(spf)
    spf.set_defaults(func=run_spf, parser=spf)

    dmarc = subparsers.add_parser("dmarc", help="find and lint a domain's DMARC record")
    dmarc.add_argument("domain", metavar="DOMAIN")
    _common(dmarc)
    dmarc.set_defaults(func=run_dmarc)

    dkim = subparsers.add_parser("dkim", help="check a DKIM selector's public key")
    dkim.add_argument("domain", metavar="DOMAIN")
    dkim.add_argument("--selector", "-s", required=True, metavar="S")
    _common(dkim)
    dkim.set_defaults(func=run_dkim)

    mx = subparsers.add_parser("mx", help="list a domain's MX hosts and compare with ours")
    mx.add_argument("domain", metavar="DOMAIN")
    _common(mx)
    mx.set_defaults(func=run_mx)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--lang", choices=LANGUAGES.codes, default="en", help="wording language")


def _domain(text: str) -> str:
    from diagnostics.spf._names import valid_domain

    domain = text.strip().rstrip(".").lower()
    if not domain.isascii():
        try:  # an internationalised name is asked in its ASCII (punycode) form
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise UserError(f"not a domain name: {text!r}") from None
    if not valid_domain(domain):
        raise UserError(f"not a domain name: {text!r}")
    return domain


def _resolver(settings: Settings) -> DnsResolver:
    from diagnostics.resolver import DnsResolver

    return DnsResolver(settings.dns_servers, timeout=2.0, lifetime=3.0)


def _settings(args: argparse.Namespace) -> Settings:
    from helpdesk.cli._common import load_settings

    return load_settings(args)


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _findings(check: str, findings: tuple[Finding, ...], lang: str) -> list[dict[str, Any]]:
    from helpdesk.explain.domain import DomainWording

    wording = DomainWording()
    return [
        {
            "code": f.code,
            "severity": f.severity,
            "facts": f.facts,
            "text": wording.finding(check, f, lang),
        }
        for f in findings
    ]


def run_spf(args: argparse.Namespace) -> int:
    if args.domain == "suite":
        if args.file is None:
            args.parser.error("spf suite needs a FILE.yml")
        return _run_suite(args.file, as_json=args.json)
    if args.file is not None:
        args.parser.error(f"unexpected argument {args.file!r} (did you mean 'spf suite FILE'?)")
    from diagnostics.spf import check_host, lint_spf, parse_ip

    domain = _domain(args.domain)
    if args.ip is not None and parse_ip(args.ip) is None:
        raise UserError(f"not an IP address: {args.ip!r}")
    settings = _settings(args)
    resolver = _resolver(settings)
    provider = settings.provider
    hosts = provider.spf_hosts

    async def evaluate() -> Any:
        if args.ip is None:
            return None
        return await check_host(
            resolver,
            args.ip,
            domain,
            args.sender or f"postmaster@{domain}",
            helo=args.helo or domain,
        )

    async def work() -> tuple[Any, Any]:
        # Concurrently, so that a slow DNS server costs one timeout, not several.
        lint = lint_spf(
            resolver,
            domain,
            provider_include=provider.spf_include,
            provider_ips=tuple(provider.sending_ips),
            provider_hosts=hosts,
        )
        return tuple(await asyncio.gather(lint, evaluate()))

    lint, result = asyncio.run(work())
    if args.json:
        out: dict[str, Any] = {
            "domain": domain,
            "record": lint.record,
            "lint": _findings("spf", lint.findings, args.lang),
            "proposed": lint.proposed,
            "lookups": lint.lookups,
            "void_lookups": lint.void_lookups,
            "provider_authorised": lint.provider_authorised,
        }
        if result is not None:
            out.update(
                result=result.result,
                reason=result.reason,
                mechanism=result.mechanism,
                explanation=result.explanation,
            )
        _emit(out)
        return 0
    from helpdesk.explain.domain import DomainWording

    wording = DomainWording()
    line = wording.spf_result(result, args.ip, args.lang) if result is not None else None
    sys.stdout.write(
        wording.report(
            "spf",
            args.lang,
            domain=domain,
            record=lint.record,
            findings=lint.findings,
            result=line,
            proposed=lint.proposed,
        )
    )
    return 0


def _run_suite(path: str, *, as_json: bool) -> int:
    from diagnostics.spf import load_suite, run_suite

    try:
        scenarios = load_suite(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the suite {path}: {exc}") from None
    outcomes = asyncio.run(run_suite(scenarios))
    failed = 0
    for outcome in outcomes:
        case, result = outcome.case, outcome.result
        failed += not outcome.passed
        if as_json:
            _emit(
                {
                    "id": case.id,
                    "scenario": case.scenario,
                    "passed": outcome.passed,
                    "result": result.result,
                    "expected": list(case.expected),
                    "explanation": result.explanation,
                    "expected_explanation": case.explanation,
                }
            )
        else:
            status = "pass" if outcome.passed else "FAIL"
            line = f"{status} {case.id}: {result.result}"
            if not outcome.passed:
                line += f" (expected {' or '.join(case.expected)}"
                if case.explanation is not None:
                    line += f", explanation {case.explanation!r}, got {result.explanation!r}"
                line += ")"
            sys.stdout.write(line + "\n")
    passed = len(outcomes) - failed
    summary = f"{passed} passed, {failed} failed"
    if as_json:
        _emit({"summary": summary, "passed": passed, "failed": failed})
    else:
        sys.stdout.write(summary + "\n")
    return 0 if failed == 0 else 1


def run_dmarc(args: argparse.Namespace) -> int:
    from diagnostics.dmarc import check_dmarc

    domain = _domain(args.domain)
    resolver = _resolver(_settings(args))
    report = asyncio.run(check_dmarc(resolver, domain))
    if args.json:
        _emit(
            {
                "domain": domain,
                "record": report.record,
                "record_domain": report.record_domain,
                "policy": report.policy,
                "tags": report.tags,
                "findings": _findings("dmarc", report.findings, args.lang),
            }
        )
        return 0
    return _print_report("dmarc", args.lang, domain, report.record, report.findings)


def run_dkim(args: argparse.Namespace) -> int:
    from diagnostics.dkim import check_dkim

    domain = _domain(args.domain)
    selector = args.selector.strip()
    if not selector or any(not label for label in selector.rstrip(".").split(".")):
        raise UserError(f"not a selector: {args.selector!r}")
    resolver = _resolver(_settings(args))
    report = asyncio.run(check_dkim(resolver, domain, selector))
    if args.json:
        _emit(
            {
                "domain": domain,
                "selector": report.selector,
                "name": report.name,
                "record": report.record,
                "key_type": report.key_type,
                "bits": report.bits,
                "findings": _findings("dkim", report.findings, args.lang),
            }
        )
        return 0
    return _print_report("dkim", args.lang, domain, report.record, report.findings)


def run_mx(args: argparse.Namespace) -> int:
    from diagnostics.mx import check_mx

    domain = _domain(args.domain)
    settings = _settings(args)
    report = asyncio.run(check_mx(_resolver(settings), domain, tuple(settings.provider.mx_hosts)))
    if args.json:
        _emit(
            {
                "domain": domain,
                "hosts": [
                    {"preference": h.preference, "host": h.host, "addresses": list(h.addresses)}
                    for h in report.hosts
                ],
                "at_provider": report.at_provider,
                "findings": _findings("mx", report.findings, args.lang),
            }
        )
        return 0
    hosts = ", ".join(f"{h.host} ({h.preference})" for h in report.hosts) or None
    return _print_report("mx", args.lang, domain, hosts, report.findings)


def _print_report(
    check: str, lang: str, domain: str, record: str | None, findings: tuple[Finding, ...]
) -> int:
    from helpdesk.explain.domain import DomainWording

    sys.stdout.write(
        DomainWording().report(check, lang, domain=domain, record=record, findings=findings)
    )
    return 0
