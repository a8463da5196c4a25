"""Running an SPF conformance suite in the openspf YAML format through check_host()."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diagnostics.spf._eval import SpfResult, check_sender
from diagnostics.zone import ZoneResolver

# RFC 4408 names still found in older suites.
_OLD_NAMES = {"unknown": "permerror", "error": "temperror"}
DEFAULT_EXPLANATION = "DEFAULT"


@dataclass(frozen=True, slots=True)
class SuiteCase:
    """One test of a suite: the SMTP facts and the acceptable results."""

    id: str
    scenario: str
    host: str
    mail_from: str
    helo: str
    expected: tuple[str, ...]
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """A test's run: what check_host() said and whether it is acceptable."""

    case: SuiteCase
    result: SpfResult
    passed: bool


@dataclass(frozen=True, slots=True)
class Scenario:
    """A suite document: its tests and the zone they run against."""

    description: str
    cases: tuple[SuiteCase, ...]
    zone: Mapping[str, Any]


def load_suite(path: str | Path) -> list[Scenario]:
    """Read a YAML suite file (multi-document, openspf format).

    Args:
        path: the file.

    Returns:
        Its scenarios.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not a suite.
    """
    import yaml

    with open(path, encoding="utf-8") as handle:
        try:
            documents = list(yaml.safe_load_all(handle))
        except yaml.YAMLError as exc:
            raise ValueError(f"not YAML: {exc}") from None
    return scenarios_from(documents)


def scenarios_from(documents: Iterable[Any]) -> list[Scenario]:
    """Turn loaded YAML documents into scenarios.

    Args:
        documents: the loaded documents (mappings with `tests` and `zonedata`).

    Returns:
        The scenarios, in order.

    Raises:
        ValueError: a document is not a suite scenario.
    """
    scenarios: list[Scenario] = []
    for doc in documents:
        if doc is None:
            continue
        if not isinstance(doc, Mapping) or not isinstance(doc.get("tests"), Mapping):
            raise ValueError("a document has no 'tests' mapping")
        description = str(doc.get("description", ""))
        cases = []
        for test_id, test in doc["tests"].items():
            if not isinstance(test, Mapping):
                raise ValueError(f"test {test_id} is not a mapping")
            expected = test.get("result")
            results = expected if isinstance(expected, list) else [expected]
            explanation = test.get("explanation")
            cases.append(
                SuiteCase(
                    id=str(test_id),
                    scenario=description,
                    host=str(test.get("host", "")),
                    mail_from=str(test.get("mailfrom", "") or ""),
                    helo=str(test.get("helo", "") or ""),
                    expected=tuple(_OLD_NAMES.get(str(r), str(r)) for r in results),
                    explanation=None if explanation is None else str(explanation),
                )
            )
        zone = doc.get("zonedata") or {}
        if not isinstance(zone, Mapping):
            raise ValueError(f"scenario {description!r}: zonedata is not a mapping")
        scenarios.append(Scenario(description, tuple(cases), zone))
    return scenarios


async def run_scenario(scenario: Scenario) -> list[CaseOutcome]:
    """Run every test of a scenario against its zone.

    Args:
        scenario: a scenario from `load_suite` or `scenarios_from`.

    Returns:
        One outcome per test, in order.
    """
    resolver = ZoneResolver(scenario.zone)
    outcomes = []
    for case in scenario.cases:
        result = await check_sender(
            resolver,
            case.host,
            case.mail_from,
            case.helo,
            default_explanation=DEFAULT_EXPLANATION,
        )
        passed = result.result in case.expected
        if passed and case.explanation is not None and result.result == "fail":
            passed = result.explanation == case.explanation
        outcomes.append(CaseOutcome(case, result, passed))
    return outcomes


async def run_suite(scenarios: Iterable[Scenario]) -> list[CaseOutcome]:
    """Run whole suite.

    Args:
        scenarios: the scenarios to run.

    Returns:
        One outcome per test, scenario after scenario.
    """
    outcomes: list[CaseOutcome] = []
    for scenario in scenarios:
        outcomes.extend(await run_scenario(scenario))
    return outcomes
