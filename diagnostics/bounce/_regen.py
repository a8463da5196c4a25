"""Regenerate `_phrase_index` after editing `_phrases`: python -m diagnostics.bounce._regen."""

from __future__ import annotations

from pathlib import Path

from diagnostics.bounce._match import build, render
from diagnostics.bounce._phrases import PHRASES, TEXT_ORDER


def main() -> None:
    """Write the index of the current phrase tables next to this module."""
    target = Path(__file__).with_name("_phrase_index.py")
    target.write_text(render(build([PHRASES[name] for name in TEXT_ORDER])), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
