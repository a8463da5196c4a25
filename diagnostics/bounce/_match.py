"""Find the first phrase table whose phrases occur in a text, searching few of them.

Python's regular expressions try each alternative at each place of the text: searching
the ~40 tables of `_phrases` (560 phrases) for every recipient was most of the time of a
diagnosis. But most phrases hold plain text that every match contains: "mailbox " in
``mailbox (?:is )?full``, one of "ofr" and "lpn" in ``\\b(?:ofr|lpn)\\d*_41[67]``. One
scan of the text finds which of these *keys* occur; only the phrases with a key found
(and the few without keys) are searched, in table order, so the answer is the one of
searching every table in order (a test checks it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

# A shorter key would be found in most texts and save nothing.
_MIN_KEY = 3
_SYNTAX = frozenset("()[]{}\\.^$|?*+")


def _end_of_class(phrase: str, start: int) -> int:
    """The position after the character class that opens at `start` ("[")."""
    i = start + 1
    if phrase[i : i + 1] == "^":
        i += 1
    if phrase[i : i + 1] == "]":  # a "]" first in the class is a member
        i += 1
    while i < len(phrase) and phrase[i] != "]":
        i += 2 if phrase[i] == "\\" else 1
    return i + 1


def _end_of_group(phrase: str, start: int) -> int:
    """The position after the group that opens at `start` ("(")."""
    depth, i = 0, start
    while i < len(phrase):
        char = phrase[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _end_of_class(phrase, i)
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        i += 1
        if depth == 0:
            break
    return i


def _branches(phrase: str) -> list[str]:
    """The alternatives of `phrase`, split at its "|" outside groups."""
    out, start, i = [], 0, 0
    while i < len(phrase):
        char = phrase[i]
        if char == "\\":
            i += 2
        elif char == "[":
            i = _end_of_class(phrase, i)
        elif char == "(":
            i = _end_of_group(phrase, i)
        else:
            if char == "|":
                out.append(phrase[start:i])
                start = i + 1
            i += 1
    return [*out, phrase[start:]]


def _optional(phrase: str, at: int) -> bool:
    """Whether what ends before `at` may be absent (a quantifier ?, * or {0,...} follows)."""
    return phrase[at : at + 1] in ("?", "*") or phrase.startswith(("{0", "{,"), at)


def _better(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    # the set whose shortest string is longest rules out the most texts
    return a if min(map(len, a), default=0) >= min(map(len, b), default=0) else b


def _branch_keys(branch: str) -> tuple[str, ...]:
    """Keys of an expression without "|" outside groups: a run of plain text outside
    groups, or the alternatives of a group made of plain text only; () when none."""
    best: tuple[str, ...] = ()
    run, i = "", 0
    while i < len(branch):
        char, start = branch[i], i
        if char == "(":
            i = _end_of_group(branch, i)
            inner = branch[start + 1 : i - 1].removeprefix("?:")
            words = inner.split("|")
            if not _optional(branch, i) and not (_SYNTAX - {"|"}).intersection(inner):
                best = _better(tuple(words), best)
        elif char == "[":
            i = _end_of_class(branch, i)
        elif char == "\\":
            i += 2  # a class (\d, \w), an assertion (\b) or an escaped character
        elif char == "{":
            end = branch.find("}", i)
            i = end + 1 if end >= 0 else i + 1  # an unmatched "{" is a literal: a break
        else:
            i += 1
        quantified = branch[i : i + 1] in ("?", "*", "+", "{")
        if i == start + 1 and char not in _SYNTAX and not quantified:
            run += char
            continue
        best = _better((run,), best)
        run = ""
    return _better((run,), best)


def literal_keys(phrase: str) -> tuple[str, ...]:
    """Strings one of which every match of `phrase` contains, found without parsing it whole.

    Args:
        phrase: a regular expression without flags.

    Returns:
        For each alternative of the phrase, its longest run of plain text outside groups
        and classes (the last character not repeated or optional), or the alternatives of
        a group of plain text that is not optional; () when some alternative has no such
        text of at least 3 characters.
    """
    keys: list[str] = []
    for branch in _branches(phrase):
        found = _branch_keys(branch)
        if min(map(len, found), default=0) < _MIN_KEY:
            return ()
        keys.extend(found)
    return tuple(dict.fromkeys(keys))


def _any_of(words: Iterable[str]) -> str:
    """An expression matching the longest of `words` that starts where it is tried.

    The words are arranged as a tree of their common beginnings ("mail(?:box|er)"):
    Python's expressions try the alternatives of a group one after the other, so a flat
    list of hundreds of words would be tried word by word at every place of the text.
    """
    rests: dict[str, list[str]] = {}
    ends_here = False
    for word in words:
        if word:
            rests.setdefault(word[0], []).append(word[1:])
        else:
            ends_here = True
    if not rests:
        return ""
    body = "|".join(re.escape(char) + _any_of(rest) for char, rest in sorted(rests.items()))
    if ends_here:
        return f"(?:{body})?"  # greedy: a longer word is tried before the one ending here
    return f"(?:{body})" if len(rests) > 1 else body


class PhraseIndex:
    """Tables of phrases searched in order, each phrase only in texts that hold a key of it."""

    def __init__(self, tables: Sequence[Sequence[str]]) -> None:
        """Find the keys of the phrases and build the scan for them.

        Args:
            tables: for each table, in order, its phrases (regular expressions).
        """
        # Phrases are numbered in search order (table by table), so that sorting the
        # numbers of the candidates gives the order to try them in.
        self._sources = [phrase for phrases in tables for phrase in phrases]
        self._table_of = [table for table, phrases in enumerate(tables) for _ in phrases]
        # each phrase is compiled when a text first holds one of its keys
        self._patterns: list[re.Pattern[str] | None] = [None] * len(self._sources)
        by_key: dict[str, set[int]] = {}
        always: set[int] = set()
        for number, phrase in enumerate(self._sources):
            keys = literal_keys(phrase)
            if not keys:
                always.add(number)
            for key in keys:
                by_key.setdefault(key, set()).add(number)
        self._always = frozenset(always)
        # The scan finds the longest key starting at each place (in a lookahead, so that
        # keys that overlap are all found); the keys that begin it are there too. It is
        # led by the class of the keys' first characters, which the engine looks for alone
        # (a leading lookahead is entered at every character); the lookbehind steps back
        # over that character to read the key from it.
        firsts = "".join(sorted({re.escape(key[0]) for key in by_key}))
        self._scan = re.compile(f"[{firsts}](?<=(?=({_any_of(by_key)})).)") if by_key else None
        self._phrases_of = {
            key: frozenset().union(
                *(by_key.get(key[:end], ()) for end in range(_MIN_KEY, len(key) + 1))
            )
            for key in by_key
        }

    def first(self, text: str) -> int:
        """Index of the first table with a phrase that occurs in `text`, or -1."""
        for table in self._matching(text):
            return table
        return -1

    def every(self, text: str) -> tuple[int, ...]:
        """Indexes of all the tables with a phrase that occurs in `text`, in table order."""
        return tuple(self._matching(text))

    def _matching(self, text: str) -> Iterator[int]:
        """The table of each phrase that occurs in `text`, in search order."""
        found = set(self._scan.findall(text)) if self._scan is not None else set()
        candidates = self._always.union(*(self._phrases_of[key] for key in found))
        patterns, seen = self._patterns, set()
        for number in sorted(candidates):
            table = self._table_of[number]
            if table in seen:
                continue
            pattern = patterns[number]
            if pattern is None:
                pattern = patterns[number] = re.compile(self._sources[number])
            if pattern.search(text):
                seen.add(table)
                yield table
