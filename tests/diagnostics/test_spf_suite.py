"""The RFC 7208 conformance suite, run through check_host() over zone data."""

from __future__ import annotations

import pytest

from diagnostics.spf import SuiteCase, load_suite, run_scenario
from diagnostics.spf._suite import Scenario
from tests.conftest import SHARED, require_shared

SUITE = SHARED / "corpora" / "spf" / "rfc7208-tests.yml"
_SCENARIOS = load_suite(SUITE) if SUITE.exists() else []
_CASES = [
    pytest.param(Scenario(s.description, (case,), s.zone), id=case.id)
    for s in _SCENARIOS
    for case in s.cases
]


def test_suite_is_complete() -> None:
    """The suite file holds its 203 tests."""
    require_shared(SUITE)
    assert len(_CASES) == 203


@pytest.mark.parametrize("scenario", _CASES)
async def test_conformance(scenario: Scenario) -> None:
    """check_host() gives an accepted result (and explanation) for each suite test."""
    (outcome,) = await run_scenario(scenario)
    case: SuiteCase = outcome.case
    assert outcome.passed, (case.expected, case.explanation, outcome.result)
