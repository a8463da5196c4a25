"""How often the bot gets a whole conversation right: the written set, by category and language.

Plays every conversation of tests/data/conversations (see its README) in process, against
the bot built as the service builds it, and prints the share of conversations whose every
checked turn is right, by part (tuning / held back), category, language and channel.
`--failures` also prints each failed conversation with the bot's answers; `--part` plays
one part only. The held-back part was written after the design was settled and is not
used for tuning: read its figure, not its failures, while working.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, where bench/email.py would hide the
# standard library's email package; the harness lives in tests/, at the top.
if Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path.pop(0)
sys.path.insert(0, str(REPO))

cs = importlib.import_module("tests.conversation_set")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("tuning", "heldback"), action="append")
    parser.add_argument("--failures", action="store_true", help="print failed conversations")
    parser.add_argument("--only", help="play the conversations whose id starts with this")
    args = parser.parse_args()
    conversations = cs.load(args.part or ("tuning", "heldback"))
    if args.only:
        conversations = [c for c in conversations if c.id.startswith(args.only)]
    started = time.perf_counter()
    model = cs.Understanding.load(cs.KB_DIR)
    trained = time.perf_counter() - started
    engine = cs.build_engine(model)
    start = time.process_time()
    results = asyncio.run(cs.play_all(engine, conversations))
    cpu = time.process_time() - start
    turns = sum(len(r.turns) for r in results)
    if args.failures:
        print(cs.failures(results))
        print()
    per_turn = cpu / max(turns, 1) * 1000
    print(f"{len(results)} conversations, {turns} turns; CPU {per_turn:.2f} ms a turn")
    print(f"understanding model trained in {trained:.2f} s (once per process, off the loop)")
    print(cs.table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
