"""Throughput and accuracy of bounce classification: `helpdesk bounce` against Sisimai.

Both tools run as whole commands over the same corpus files, in the same run, several times
(interleaved, so that machine noise hits both alike); start-up time counts. Prints the median
messages per second of each (wall clock, and CPU time of the command for reference: the
machine may be shared), their ratio, and each tool's accuracy (reason, reply code, and
RFC 3463 status where the expected status is not a Sisimai pseudo code x.0.9NN).

Sisimai is Debian's libsisimai-perl, called by bench/sisimai.pl; when Perl cannot load it,
this script says so and exits 1 (install it with `apt-get install libsisimai-perl`).

Each command runs once untimed first, as an installed command would have run before: that
writes Python's bytecode cache (also when PYTHONDONTWRITEBYTECODE is set in the calling
environment) and warms the file cache for both tools alike.

Usage: .venv/bin/python bench/bounces.py [--runs N] [--corpus DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ comes first on sys.path, where bench/email.py would shadow the
# standard library's email package (which aiohttp and others import): drop it.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import time

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpora" / "bounces"
TARGET_RATIO = 2.0


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, list[dict[str, str]]]:
    """Run `cmd`; return (wall seconds, CPU seconds of the child, its JSON lines)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, cwd=REPO, check=False, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return elapsed, cpu, [json.loads(line) for line in lines]


def _accuracy(rows: list[dict[str, object]], out: list[dict[str, str]]) -> dict[str, float]:
    by_file = {Path(o["file"]).name: o for o in out}
    reason = reply = status = status_total = 0
    for row in rows:
        got = by_file.get(str(row["file"]), {})
        reason += got.get("reason") == row["reason"]
        reply += str(got.get("replycode", "")) == row["replycode"]
        if not row["status_is_sisimai_pseudo"]:
            status_total += 1
            status += got.get("status") == row["status"]
    return {
        "reason": reason / len(rows),
        "replycode": reply / len(rows),
        "status": status / max(status_total, 1),
    }


def _sisimai_available() -> bool:
    try:
        done = subprocess.run(["perl", "-MSisimai", "-e", "1"], capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per tool (median kept)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="corpus directory")
    args = parser.parse_args()

    if not _sisimai_available():
        print(
            "bench/bounces.py: Perl cannot load Sisimai (`perl -MSisimai -e 1` failed); "
            "install Debian's package: apt-get install libsisimai-perl",
            file=sys.stderr,
        )
        return 1
    helpdesk = shutil.which("helpdesk", path=str(REPO / ".venv" / "bin"))
    if helpdesk is None:
        print("bench/bounces.py: helpdesk is not installed in .venv (make test)", file=sys.stderr)
        return 1
    expected = args.corpus / "expected.jsonl"
    if not expected.exists():
        print(f"bench/bounces.py: no corpus at {args.corpus}", file=sys.stderr)
        return 1

    rows = [json.loads(line) for line in expected.open(encoding="utf-8") if line.strip()]
    files = [str(args.corpus / "samples" / str(row["file"])) for row in rows]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    warm_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    tools = {
        "helpdesk": [helpdesk, "bounce", "--json", *files],
        "sisimai": ["perl", str(REPO / "bench" / "sisimai.pl"), *files],
    }
    for cmd in tools.values():
        _timed(cmd, warm_env)  # untimed: bytecode cache and file cache, see the docstring
    walls: dict[str, list[float]] = {name: [] for name in tools}
    cpus: dict[str, list[float]] = {name: [] for name in tools}
    outputs: dict[str, list[dict[str, str]]] = {}
    for _ in range(args.runs):
        for name, cmd in tools.items():
            wall, cpu, outputs[name] = _timed(cmd, env)
            walls[name].append(wall)
            cpus[name].append(cpu)

    rates = {name: len(files) / statistics.median(w) for name, w in walls.items()}
    cpu_rates = {name: len(files) / statistics.median(c) for name, c in cpus.items()}
    print(f"{len(files)} messages, {args.runs} runs of each whole command, medians")
    header = f"{'tool':<10} {'wall s':>7} {'msg/s':>7} {'cpu s':>7} {'msg/cpu-s':>9}"
    print(f"{header} {'reason':>7} {'reply':>7} {'status':>7}")
    for name in tools:
        acc = _accuracy(rows, outputs[name])
        print(
            f"{name:<10} {statistics.median(walls[name]):>7.3f} {rates[name]:>7.0f}"
            f" {statistics.median(cpus[name]):>7.3f} {cpu_rates[name]:>9.0f}"
            f" {acc['reason']:>7.1%} {acc['replycode']:>7.1%} {acc['status']:>7.1%}"
        )
    ratio = rates["helpdesk"] / rates["sisimai"]
    cpu_ratio = cpu_rates["helpdesk"] / cpu_rates["sisimai"]
    verdict = "meets" if ratio >= TARGET_RATIO else "below"
    print(
        f"ratio helpdesk/sisimai: {ratio:.2f}x wall clock ({cpu_ratio:.2f}x CPU time); "
        f"{verdict} the {TARGET_RATIO:.0f}x target"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
