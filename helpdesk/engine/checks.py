"""The real checks behind the flows: bounce parsing and domain DNS checks, worded.

Diagnostics return codes and facts; this module runs them for a customer and words the
result in their language with the templates of `helpdesk.explain`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from diagnostics.bounce import parse_bounce
from diagnostics.dmarc import check_dmarc
from diagnostics.dns import Resolver
from diagnostics.mx import check_mx
from diagnostics.spf import lint_spf
from helpdesk.config import ProviderProfile
from helpdesk.engine.context import CheckAnswer
from helpdesk.engine.model import CheckRecord
from helpdesk.explain.bounce import explain_report, render_text
from helpdesk.explain.domain import DomainWording

# A pasted message bigger than this is cut before parsing: the useful part is at the top.
MAX_BOUNCE_BYTES = 2 * 1024 * 1024
# MX findings that mean the domain could not be checked at all: it does not exist, or
# its DNS did not answer.
_NO_ANSWER = frozenset({"no_domain", "dns_error"})


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and enums as JSON-ready data for the transcript."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    return value


class DiagnosticChecks:
    """`Checks` for the engine, over an injected resolver and the provider profile."""

    def __init__(self, resolver: Resolver, provider: ProviderProfile) -> None:
        self._resolver = resolver
        self._provider = provider
        self._domain_wording = DomainWording()

    async def bounce(self, text: str, lang: str) -> CheckAnswer:
        data = text.encode("utf-8", "replace")[:MAX_BOUNCE_BYTES]
        # Parsing is CPU work on up to megabytes of text: keep the event loop free.
        report = await asyncio.to_thread(parse_bounce, data)
        record = CheckRecord("bounce", {"chars": len(text)}, _plain(report))
        first = report.recipients[0]
        if first.reason == "undefined" and not (first.status or first.replycode):
            return CheckAnswer(record, "", ok=False)
        meanings = explain_report(report, self._provider, lang)
        text = render_text(report, self._provider, lang, explanations=meanings)
        return CheckAnswer(record, text, gist=meanings[0].gist, reason=first.reason)

    async def domain(self, domain: str, lang: str) -> CheckAnswer:
        p = self._provider
        spf, dmarc, mx = await asyncio.gather(
            lint_spf(
                self._resolver,
                domain,
                provider_include=p.spf_include,
                provider_ips=p.sending_ips,
                provider_hosts=p.spf_hosts,
            ),
            check_dmarc(self._resolver, domain),
            check_mx(self._resolver, domain, p.mx_hosts),
        )
        words = self._domain_wording
        record = CheckRecord(
            "domain",
            {"domain": domain},
            {"spf": _plain(spf), "dmarc": _plain(dmarc), "mx": _plain(mx)},
        )
        unusable = [f for f in mx.findings if f.code in _NO_ANSWER]
        if unusable:
            # No advice can be built on a missing answer: one clear statement instead.
            return CheckAnswer(record, words.finding("mx", unusable[0], lang), ok=False)
        parts = [
            words.report(
                "spf",
                lang,
                domain=domain,
                record=spf.record,
                findings=spf.findings,
                proposed=spf.proposed,
            ),
            words.report(
                "dmarc", lang, domain=domain, record=dmarc.record, findings=dmarc.findings
            ),
            words.report("mx", lang, domain=domain, record=None, findings=mx.findings),
        ]
        return CheckAnswer(record, "\n".join(part.strip() for part in parts if part.strip()))
