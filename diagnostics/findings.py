"""The finding type shared by the domain checks (SPF, DMARC, DKIM, MX)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation: a stable code, how bad it is, and the facts behind it.

    Codes are documented by the module that emits them; wording lives in
    `templates/domain/`.
    """

    code: str
    severity: Severity
    facts: dict[str, Any] = field(default_factory=dict)


def worst(findings: tuple[Finding, ...]) -> Severity | None:
    """The most severe severity among `findings`, or None when there are none.

    Args:
        findings: the findings of a check.

    Returns:
        "error", "warning", "info" or None.
    """
    for level in ("error", "warning", "info"):
        if any(f.severity == level for f in findings):
            return level
    return None
