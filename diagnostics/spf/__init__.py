"""SPF (RFC 7208): check_host() evaluation, record parsing, linting, conformance suites."""

from diagnostics.findings import Finding, Severity
from diagnostics.spf._eval import RESULTS, Result, SpfResult, check_host, check_sender
from diagnostics.spf._lint import SpfLint, lint_record, lint_spf, propose_record
from diagnostics.spf._names import parse_ip, valid_domain
from diagnostics.spf._record import Mechanism, Modifier, Record, SyntaxIssue, parse_record
from diagnostics.spf._suite import (
    CaseOutcome,
    Scenario,
    SuiteCase,
    load_suite,
    run_scenario,
    run_suite,
    scenarios_from,
)

__all__ = [
    "RESULTS",
    "CaseOutcome",
    "Finding",
    "Mechanism",
    "Modifier",
    "Record",
    "Result",
    "Scenario",
    "Severity",
    "SpfLint",
    "SpfResult",
    "SuiteCase",
    "SyntaxIssue",
    "check_host",
    "check_sender",
    "lint_record",
    "lint_spf",
    "load_suite",
    "parse_ip",
    "parse_record",
    "propose_record",
    "run_scenario",
    "run_suite",
    "scenarios_from",
    "valid_domain",
]
