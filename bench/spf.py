"""Run time of the RFC 7208 conformance suite: our check_host() against pyspf's.

Both evaluators read the same zone data through the same in-memory zone
(`diagnostics.zone.ZoneResolver`, built afresh for every run so no answer is cached
across runs); pyspf gets it through its `DNSLookup` hook. Each run evaluates every test
of the suite once; the figure is the median of several runs, in the same process.

    .venv/bin/python bench/spf.py [SUITE.yml] [--runs N] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/email.py would shadow the
# standard library's email package (which aiohttp and others import): drop it.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

# This file is called spf.py too: keep its folder off the path so that `import spf` is pyspf.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from diagnostics.dns import MX, Status  # noqa: E402 - after the path fix above
from diagnostics.spf import Scenario, check_sender, load_suite, parse_record  # noqa: E402
from diagnostics.zone import ZoneResolver  # noqa: E402

DEFAULT_SUITE = Path("/work/shared/corpora/spf/rfc7208-tests.yml")


def _passed(case: Any, result: str, explanation: str | None) -> bool:
    if result not in case.expected:
        return False
    return case.explanation is None or result != "fail" or explanation == case.explanation


def run_ours(scenarios: list[Scenario]) -> tuple[float, int]:
    async def suite() -> int:
        ok = 0
        for scenario in scenarios:
            resolver = ZoneResolver(scenario.zone)
            for case in scenario.cases:
                res = await check_sender(
                    resolver, case.host, case.mail_from, case.helo, default_explanation="DEFAULT"
                )
                ok += _passed(case, res.result, res.explanation)
        return ok

    parse_record.cache_clear()  # no head start from an earlier run's parsed records
    start = time.perf_counter()
    ok = asyncio.run(suite())
    return time.perf_counter() - start, ok


def run_pyspf(scenarios: list[Scenario]) -> tuple[float, int]:
    import spf  # pyspf

    def lookup_for(zone: ZoneResolver) -> Any:
        def lookup(name: str, qtype: str, *_: Any, **__: Any) -> list[Any]:
            answer = zone.lookup(str(name), qtype)
            if answer.status in (Status.TIMEOUT, Status.SERVFAIL):
                raise spf.TempError(f"DNS {answer.status.value}")
            out = []
            for record in answer.records:
                if isinstance(record, MX):
                    record = (record.preference, record.host)
                out.append(((str(name), qtype), record))
            return out

        return lookup

    saved = spf.DNSLookup
    ok = 0
    start = time.perf_counter()
    try:
        for scenario in scenarios:
            spf.DNSLookup = lookup_for(ZoneResolver(scenario.zone))
            for case in scenario.cases:
                query = spf.query(i=case.host, s=case.mail_from, h=case.helo, strict=True)
                query.set_default_explanation("DEFAULT")
                result, _code, explanation = query.check()
                result = {"unknown": "permerror", "error": "temperror"}.get(result, result)
                ok += _passed(case, result, explanation)
    finally:
        spf.DNSLookup = saved
    return time.perf_counter() - start, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", default=str(DEFAULT_SUITE))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    scenarios = load_suite(args.suite)
    total = sum(len(s.cases) for s in scenarios)
    ours: list[float] = []
    theirs: list[float] = []
    ok_ours = ok_theirs = 0
    run_ours(scenarios)  # warm-up: imports, regex compilation
    run_pyspf(scenarios)
    for _ in range(args.runs):
        seconds, ok_ours = run_ours(scenarios)
        ours.append(seconds)
        seconds, ok_theirs = run_pyspf(scenarios)
        theirs.append(seconds)
    ours_ms = statistics.median(ours) * 1000
    theirs_ms = statistics.median(theirs) * 1000
    figures = {
        "tests": total,
        "runs": args.runs,
        "ours_ms": round(ours_ms, 2),
        "pyspf_ms": round(theirs_ms, 2),
        "ratio_pyspf_over_ours": round(theirs_ms / ours_ms, 2),
        "ours_passed": ok_ours,
        "pyspf_passed": ok_theirs,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"suite: {args.suite} ({total} tests), median of {args.runs} runs")
        print(f"ours : {ours_ms:8.2f} ms  ({ok_ours}/{total} passed)")
        print(f"pyspf: {theirs_ms:8.2f} ms  ({ok_theirs}/{total} passed)")
        print(f"ratio: pyspf takes {theirs_ms / ours_ms:.2f}x our time")
    return 0 if ours_ms <= theirs_ms else 1


if __name__ == "__main__":
    sys.exit(main())
