"""Training utterances: kb/intents/<lang>/<intent>.txt, one utterance a line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from helpdesk.understanding.intents import INTENTS, LANGUAGES


class CorpusError(Exception):
    """The training data is unusable; the message names the file to fix."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled utterance."""

    text: str
    intent: str
    lang: str


def read_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a data file, stripped."""
    out: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def load_examples(intents_dir: Path) -> list[Example]:
    """Every training utterance under `intents_dir` (fr/ and en/ sub-folders).

    Raises CorpusError when a file names an unknown intent or an intent has no data,
    because a silently missing intent would only show up as wrong answers.
    """
    examples: list[Example] = []
    for lang in LANGUAGES:
        folder = intents_dir / lang
        if not folder.is_dir():
            raise CorpusError(f"{folder}: missing training folder")
        for path in sorted(folder.glob("*.txt")):
            if path.stem not in INTENTS:
                raise CorpusError(f"{path}: {path.stem!r} is not a known intent")
            examples.extend(Example(line, path.stem, lang) for line in read_lines(path))
    missing = sorted(set(INTENTS) - {e.intent for e in examples})
    if missing:
        raise CorpusError(f"{intents_dir}: no training data for {', '.join(missing)}")
    return examples


def load_labelled_tsv(path: Path) -> list[tuple[str, str]]:
    """(intent, utterance) pairs of a `intent<TAB>utterance` file (the held-out test sets)."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(read_lines(path), start=1):
        intent, sep, text = line.partition("\t")
        if not sep or intent not in INTENTS:
            raise CorpusError(f"{path}:{number}: expected 'intent<TAB>utterance'")
        pairs.append((intent, text.strip()))
    return pairs
