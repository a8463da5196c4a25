"""What staff read of a check the bot ran: the facts that matter first, the whole
structured result beside them. Values are data; the template escapes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckView:
    name: str
    rows: list[tuple[str, str]]  # (label key in templates/staff/<lang>.yaml under "check.", value)
    raw: str  # the whole result, pretty JSON


def _findings(items: Any) -> str:
    if not isinstance(items, list) or not items:
        return "—"
    return ", ".join(
        f"{f.get('code')} ({f.get('severity')})" if isinstance(f, dict) else str(f) for f in items
    )


def _bounce(result: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("kind", str(result.get("kind", "")))]
    for r in result.get("recipients") or []:
        if not isinstance(r, dict):
            continue
        rows += [
            ("recipient", r.get("recipient") or "—"),
            ("reason", r.get("reason") or "—"),
            ("status", r.get("status") or "—"),
            ("replycode", r.get("replycode") or "—"),
            ("remote_mta", r.get("remote_mta") or "—"),
            ("diagnostic", r.get("diagnostic") or "—"),
        ]
    return rows


def _domain(check: dict[str, Any]) -> list[tuple[str, str]]:
    result = check.get("result") or {}
    spf = result.get("spf") or {}
    dmarc = result.get("dmarc") or {}
    mx = result.get("mx") or {}
    authorised = spf.get("provider_authorised")
    return [
        ("domain_name", str((check.get("input") or {}).get("domain", ""))),
        ("spf_record", spf.get("record") or "—"),
        ("spf_findings", _findings(spf.get("findings"))),
        ("spf_provider", "—" if authorised is None else ("✓" if authorised else "✗")),
        ("spf_proposed", spf.get("proposed") or "—"),
        ("dmarc_record", dmarc.get("record") or "—"),
        ("dmarc_findings", _findings(dmarc.get("findings"))),
        ("mx_findings", _findings(mx.get("findings"))),
    ]


def summarize(check: dict[str, Any]) -> CheckView:
    name = str(check.get("name", "?"))
    result = check.get("result") if isinstance(check.get("result"), dict) else {}
    if name == "bounce":
        rows = _bounce(result or {})
    elif name == "domain":
        rows = _domain(check)
    else:
        rows = [(str(k), json.dumps(v, ensure_ascii=False)) for k, v in (result or {}).items()]
    raw = json.dumps(check, ensure_ascii=False, indent=2, sort_keys=True)
    return CheckView(name, rows, raw)
