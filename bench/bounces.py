"""Speed and accuracy of bounce classification: helpdesk against Sisimai, in process.

The figure that counts is the in-process one, where the service does its work: the corpus
files are read into memory, classified once untimed (warm-up: modules loaded, expressions
compiled), then timed over several passes; the time per bounce is the median pass divided
by the number of files. For helpdesk a pass is, per file, `parse_bounce` and the JSON line
`helpdesk bounce --json` prints (explanations included: `helpdesk.cli.bounce.describe`);
for Sisimai (Debian's libsisimai-perl) it is `Sisimai->make` on the same bytes and the JSON
line of its first recipient, timed the same way by bench/sisimai.pl in one Perl process,
after its own warm-up pass. Rounds of both alternate, so that machine noise hits both
alike. The target: helpdesk at least 2x faster than Sisimai per bounce.

For information only, the whole commands are also timed over the corpus (start-up of each
interpreter included, median of --runs runs). Accuracy (reason, reply code, and RFC 3463
status where the expected status is not a Sisimai pseudo code x.0.9NN) is scored on the
in-process outputs.

When Perl cannot load Sisimai this script says so and exits 1 (`make bench-deps`).

Then, per MTA/provider family, the reason accuracy of both tools, and a leave-one-family-out
figure for helpdesk (see `_leave_one_family_out`).

Usage: .venv/bin/python -P bench/bounces.py [--passes N] [--rounds N] [--runs N] [--corpus DIR]
       [--failures]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script without -P, bench/ comes first on sys.path, where bench/email.py would
# shadow the standard library's email package: drop it.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpora" / "bounces"
SISIMAI = REPO / "bench" / "sisimai.pl"
TARGET_RATIO = 2.0

Output = list[dict[str, object]]


def _helpdesk_passes(files: list[str], passes: int) -> tuple[list[float], Output]:
    """Seconds of each timed pass of the command's work over `files`, and its outputs."""
    from helpdesk.cli.bounce import describe
    from helpdesk.profile import load_profile

    profile = load_profile(_environ(), None)
    messages = [(name, Path(name).read_bytes()) for name in files]
    lines = [describe(name, data, profile, "fr", as_json=True) for name, data in messages]
    seconds = []
    for _ in range(passes):
        start = time.perf_counter()
        lines = [describe(name, data, profile, "fr", as_json=True) for name, data in messages]
        seconds.append(time.perf_counter() - start)
    return seconds, [json.loads(line) for line in lines]


def _sisimai_passes(files: list[str], passes: int) -> tuple[list[float], Output]:
    """The same for Sisimai, timed inside its own Perl process (see bench/sisimai.pl)."""
    done = _run(["perl", str(SISIMAI), "--passes", str(passes), *files], _environ())
    *lines, last = (json.loads(line) for line in done.splitlines())
    return [float(s) for s in last["passes"]], lines


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, capture_output=True, cwd=REPO, check=False, env=env)
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return done.stdout.decode("utf-8", "replace")


def _whole_commands(files: list[str], runs: int) -> dict[str, float]:
    """Median wall-clock seconds of each whole command over `files` (one untimed run first)."""
    helpdesk = shutil.which("helpdesk", path=str(REPO / ".venv" / "bin"))
    if helpdesk is None:
        sys.exit("bench/bounces.py: helpdesk is not installed in .venv (make test)")
    commands = {
        "helpdesk": [helpdesk, "bounce", "--json", *files],
        "sisimai": ["perl", str(SISIMAI), *files],
    }
    env = _environ()
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():
        _run(cmd, env)  # bytecode and file caches, for both alike
    for _ in range(runs):
        for name, cmd in commands.items():
            start = time.perf_counter()
            _run(cmd, env)
            walls[name].append(time.perf_counter() - start)
    return {name: statistics.median(w) for name, w in walls.items()}


def _accuracy(rows: list[dict[str, object]], out: Output) -> dict[str, float]:
    by_file = {Path(str(o["file"])).name: o for o in out}
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


def _family(row: dict[str, object]) -> str:
    """The MTA or provider family of a corpus row (Sisimai's module name without lhost-)."""
    name = str(row.get("mta_module") or row.get("family") or "unknown")
    return name.removeprefix("lhost-").removeprefix("rhost-")


def _per_family(rows: list[dict[str, object]], outputs: dict[str, Output]) -> None:
    """Print reason accuracy per family, helpdesk beside Sisimai."""
    by_file = {
        name: {Path(str(o["file"])).name: o.get("reason") for o in out}
        for name, out in outputs.items()
    }
    families: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        families.setdefault(_family(row), []).append(row)
    print(f"\nreason accuracy per family ({len(families)} families)")
    print(f"{'family':<16} {'n':>4} {'helpdesk':>9} {'sisimai':>8}")
    for family, members in sorted(families.items(), key=lambda item: (-len(item[1]), item[0])):
        cells = []
        for name in ("helpdesk", "sisimai"):
            right = sum(by_file[name].get(str(r["file"])) == r["reason"] for r in members)
            cells.append(f"{right}/{len(members)}")
        print(f"{family:<16} {len(members):>4} {cells[0]:>9} {cells[1]:>8}")


def _leave_one_family_out(
    rows: list[dict[str, object]], files: list[str], show: bool = False
) -> None:
    """Print the accuracy of each family without the phrases that only its samples hold.

    A phrase "written for" a family is one that occurs in the text of that family's
    samples and of no other family's: the corpus gives no second, independent witness
    for it. For each family those phrases are taken out of the tables (in this process
    only) and the family's samples are diagnosed again. The figure estimates how well
    the rules do on an MTA or provider whose bounces nobody read while writing them.
    Phrases are looked for in the whole decoded message, so a phrase counts as seen
    elsewhere whenever any part of another family's sample holds it: the estimate leans
    optimistic, never pessimistic.
    """
    import re

    from diagnostics.bounce import _phrases, _reasons, _rhost, parse_bounce

    texts = [" ".join(Path(name).read_bytes().decode("latin-1").lower().split()) for name in files]
    families = [_family(row) for row in rows]
    support: dict[tuple[str, str], set[str]] = {}
    singletons = 0
    for phrases in _phrases.PHRASES.values():
        for phrase in phrases:
            pattern = re.compile(phrase)
            hits = [i for i, text in enumerate(texts) if pattern.search(text)]
            singletons += len(hits) == 1
            support[("phrase", phrase)] = {families[i] for i in hits}
    for provider, rules in _rhost._PHRASES.items():
        for _, phrases in rules:
            for phrase in phrases:
                hits = [i for i, text in enumerate(texts) if phrase in text]
                singletons += len(hits) == 1
                support[(provider, phrase)] = {families[i] for i in hits}

    saved_phrases, saved_rhost = dict(_phrases.PHRASES), dict(_rhost._PHRASES)
    right = total = 0
    worst: list[tuple[float, str, int, int, int]] = []
    try:
        for family in sorted(set(families)):
            own = {key for key, fams in support.items() if fams == {family}}
            _phrases.PHRASES.update(
                {
                    table: tuple(p for p in phrases if ("phrase", p) not in own)
                    for table, phrases in saved_phrases.items()
                }
            )
            _rhost._PHRASES.update(
                {
                    provider: tuple(
                        (reason, tuple(p for p in phrases if (provider, p) not in own))
                        for reason, phrases in rules
                    )
                    for provider, rules in saved_rhost.items()
                }
            )
            _phrases._index.cache_clear()
            _reasons._explicit.cache_clear()
            members = [i for i, f in enumerate(families) if f == family]
            ok = 0
            for i in members:
                got = parse_bounce(Path(files[i]).read_bytes()).reason
                ok += got == rows[i]["reason"]
                if show and got != rows[i]["reason"]:
                    print(f"  {rows[i]['file']}: expected {rows[i]['reason']}, got {got}")
            right += ok
            total += len(members)
            worst.append((ok / len(members), family, ok, len(members), len(own)))
    finally:
        _phrases.PHRASES.update(saved_phrases)
        _rhost._PHRASES.update(saved_rhost)
        _phrases._index.cache_clear()
        _reasons._explicit.cache_clear()
    print(
        f"\nleave one family out: {right}/{total} = {right / total:.1%} "
        f"(each family without the phrases only its own samples hold); "
        f"{singletons} phrases occur in exactly one sample"
    )
    worst.sort()
    print(
        "lowest families: "
        + ", ".join(f"{fam} {ok}/{n} ({own} own phrases)" for _, fam, ok, n, own in worst[:8])
    )


def _sisimai_available() -> bool:
    try:
        done = subprocess.run(["perl", "-MSisimai", "-e", "1"], capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5, help="timed passes per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of passes")
    parser.add_argument("--runs", type=int, default=3, help="whole-command runs (0: none)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="corpus directory")
    parser.add_argument(
        "--failures", action="store_true", help="list the samples missed, family left out"
    )
    args = parser.parse_args()

    if not _sisimai_available():
        print(
            "bench/bounces.py: Perl cannot load Sisimai (`perl -MSisimai -e 1` failed); "
            "install Debian's package: make bench-deps (apt-get install libsisimai-perl)",
            file=sys.stderr,
        )
        return 1
    expected = args.corpus / "expected.jsonl"
    if not expected.exists():
        print(f"bench/bounces.py: no corpus at {args.corpus}", file=sys.stderr)
        return 1
    rows = [json.loads(line) for line in expected.open(encoding="utf-8") if line.strip()]
    files = [str(args.corpus / "samples" / str(row["file"])) for row in rows]

    passes: dict[str, list[float]] = {"helpdesk": [], "sisimai": []}
    outputs: dict[str, Output] = {}
    for _ in range(args.rounds):
        for name, timed in (("helpdesk", _helpdesk_passes), ("sisimai", _sisimai_passes)):
            seconds, outputs[name] = timed(files, args.passes)
            passes[name].extend(seconds)
    per_bounce = {name: statistics.median(s) / len(files) for name, s in passes.items()}

    print(
        f"{len(files)} messages; in process, after warm-up: median of "
        f"{args.rounds * args.passes} passes, per bounce"
    )
    print(f"{'tool':<10} {'ms/bounce':>9} {'msg/s':>7} {'reason':>7} {'reply':>7} {'status':>7}")
    for name, seconds in per_bounce.items():
        acc = _accuracy(rows, outputs[name])
        print(
            f"{name:<10} {seconds * 1000:>9.3f} {1 / seconds:>7.0f}"
            f" {acc['reason']:>7.1%} {acc['replycode']:>7.1%} {acc['status']:>7.1%}"
        )
    ratio = per_bounce["sisimai"] / per_bounce["helpdesk"]
    verdict = "meets" if ratio >= TARGET_RATIO else "below"
    print(
        f"ratio helpdesk/sisimai in process: {ratio:.2f}x faster; "
        f"{verdict} the {TARGET_RATIO:.0f}x target"
    )
    _per_family(rows, outputs)
    _leave_one_family_out(rows, files, args.failures)
    if args.runs > 0:
        walls = _whole_commands(files, args.runs)
        print(
            f"for information, whole commands (start-up included), median of {args.runs} runs: "
            + ", ".join(f"{name} {wall:.3f} s" for name, wall in walls.items())
            + f" ({walls['sisimai'] / walls['helpdesk']:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
