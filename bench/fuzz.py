"""Coverage-guided fuzzing (atheris) of the bounce parser and the MIME intake.

    .venv/bin/python bench/fuzz.py                      # 300 s per target
    .venv/bin/python bench/fuzz.py --seconds 60 --target bounce

Each target runs in its own process, seeded with the shared bounce corpus and the test
mails, for the given time. Any exception is a finding: libFuzzer stops, writes the input
under the output folder (`crash-…`), and this script prints it and exits 1. Otherwise it
prints, per target, how many inputs were run and how much coverage was reached.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/email.py would shadow the standard library's email package: drop bench/ from the path.
if Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import re
import shutil
import subprocess
import tempfile

REPO = Path(__file__).resolve().parent.parent
SEEDS = [REPO.parent / "shared/corpora/bounces/samples", REPO / "tests/data/bounces"]

TARGET = """
import sys
import atheris

with atheris.instrument_imports():
    from diagnostics.bounce import parse_bounce
    from helpdesk.email.parse import parse_mail

def bounce(data: bytes) -> None:
    parse_bounce(data)

def intake(data: bytes) -> None:
    mail = parse_mail(data)
    mail.text.encode("utf-8")

atheris.Setup(sys.argv, {"bounce": bounce, "intake": intake}[sys.argv.pop(1)])
atheris.Fuzz()
"""


def _seed(folder: Path) -> None:
    for source in SEEDS:
        for path in sorted(source.glob("**/*.eml")):
            shutil.copy(path, folder / f"{source.name}-{path.name}")


def run(target: str, seconds: int, work: Path) -> bool:
    corpus = work / f"corpus-{target}"
    corpus.mkdir()
    _seed(corpus)
    script = work / "target.py"
    script.write_text(TARGET)
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            target,
            str(corpus),
            f"-max_total_time={seconds}",
            "-max_len=65536",
            "-rss_limit_mb=4096",
            f"-artifact_prefix={work}/{target}-",
            "-print_final_stats=1",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    log = result.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
    cov = re.findall(r"cov: (\d+)", log)
    crashes = sorted(work.glob(f"{target}-crash-*"))
    print(
        f"{target}: {runs[-1] if runs else '?'} inputs in {seconds} s, "
        f"coverage {cov[-1] if cov else '?'} edges, "
        f"{'no exception' if result.returncode == 0 and not crashes else 'FINDING'}"
    )
    if result.returncode != 0 or crashes:
        print(log[-4000:])
        for crash in crashes:
            print(f"input: {crash} ({crash.stat().st_size} bytes)")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--target", choices=["bounce", "intake"], action="append")
    parser.add_argument("--keep", type=Path, help="keep corpus and findings in this folder")
    args = parser.parse_args()
    targets = args.target or ["bounce", "intake"]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ok = all([run(t, args.seconds, work) for t in targets])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
