"""Customer wording of the domain checks (SPF, DMARC, DKIM, MX), from templates/domain/.

Each check has one template per language, `domain/<check>.<lang>.j2`, holding one macro
per finding code (given the finding's facts), a `result` macro for an SPF evaluation and
a `report` macro laying out a whole answer. Unknown codes fall back to `unknown`.

These stay one Jinja file per language rather than catalogue entries (helpdesk/wording.py):
they are macro libraries with loops and conditions, not sentences. Their languages are the
declared ones (templates/languages.yaml), and a missing file stops the start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from diagnostics.findings import Finding
from diagnostics.spf import SpfResult
from helpdesk.templating import TEMPLATES_DIR
from helpdesk.wording import LANGUAGES, Languages, WordingError

LANGS = LANGUAGES.codes
CHECKS = ("spf", "dmarc", "dkim", "mx")


class DomainWording:
    """Renders findings and reports of the domain checks in each declared language."""

    def __init__(self, directory: Path = TEMPLATES_DIR, languages: Languages = LANGUAGES) -> None:
        missing = [
            name
            for check in CHECKS
            for lang in languages
            if not (directory / (name := f"domain/{check}.{lang}.j2")).is_file()
        ]
        if missing:
            raise WordingError(f"{directory}: missing template {missing[0]}")
        self._languages = languages
        self._env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=False,  # noqa: S701 - plain text for chat, mail and terminal, never HTML
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _module(self, check: str, lang: str) -> Any:
        if check not in CHECKS:
            raise ValueError(f"unknown check {check!r}")
        lang = self._languages.pick(lang, fallback="en")
        return self._env.get_template(f"domain/{check}.{lang}.j2").module

    def finding(self, check: str, finding: Finding, lang: str) -> str:
        """One finding in plain words: what it means and how to fix it."""
        module = self._module(check, lang)
        macro = getattr(module, finding.code, None) or module.unknown
        return str(macro(finding.facts)).strip()

    def spf_result(self, result: SpfResult, ip: str, lang: str) -> str:
        """An SPF evaluation in one sentence."""
        module = self._module("spf", lang)
        facts = {
            "ip": ip,
            "domain": result.domain,
            "result": result.result,
            "mechanism": result.mechanism,
            "reason": result.reason,
            "explanation": result.explanation,
        }
        return str(module.result(facts)).strip()

    def report(
        self,
        check: str,
        lang: str,
        *,
        domain: str,
        record: str | None,
        findings: Sequence[Finding],
        result: str | None = None,
        proposed: str | None = None,
    ) -> str:
        """A whole answer: the record, a result line, each finding, a proposed record."""
        module = self._module(check, lang)
        texts = [(f.severity, self.finding(check, f, lang)) for f in findings]
        return str(module.report(domain, record, result, texts, proposed)).strip() + "\n"
