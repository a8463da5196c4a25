"""Find the first table of phrases that matches a text, without running every table.

Python's regular expressions try each alternative of a large alternation at each position
of the text; run over the ~40 tables of `_phrases` for every recipient, that was most of
the time of a diagnosis. Here each phrase gets an *anchor*: literal strings, one of which
must occur in any text the phrase matches ("mailbox" for ``mailbox (?:is )?full``). One
scan with a trie-shaped expression of the anchors' first few characters finds the places
where an anchor may start; the anchors found there are checked whole, and only the tables
with a phrase whose anchor occurs run. Phrases without a usable anchor stay in a small
expression that always runs, so the answer is exactly the one of running every table in
order. (The scan stands on the anchors' first characters only so that compiling it, which
every run of the command pays, stays cheap.)
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

_MIN_ANCHOR = 3
# Characters of each anchor that the scan looks for (the rest is checked afterwards).
_SCAN_PREFIX = 6
# Texts whose answer `first` keeps (the dictionary is emptied when it holds more).
_MAX_ANSWERS = 256
_SPECIAL_ESCAPES = frozenset("bBdDwWsSAZ0123456789")
_COUNTED = re.compile(r"\{(\d*)(?:,(\d*))?\}[?+]?")


def _skip_class(pattern: str, i: int) -> int:
    i += 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
        elif pattern[i] == "]":
            return i + 1
        else:
            i += 1
    raise ValueError("unterminated character class")


def _skip_group(pattern: str, i: int) -> int:
    depth = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _skip_class(pattern, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced parenthesis")


def _quantifier(pattern: str, i: int) -> tuple[bool | None, int]:
    """(True when it allows zero, end) for a quantifier at `i`; (None, i) when none."""
    char = pattern[i : i + 1]
    if char in ("?", "*", "+"):
        end = i + 1
        if pattern[end : end + 1] in ("?", "+"):
            end += 1
        return char != "+", end
    if char == "{":
        counted = _COUNTED.match(pattern, i)
        if counted:
            return counted.group(1) in ("", "0"), counted.end()
    return None, i


def _branches(pattern: str) -> list[str]:
    out: list[str] = []
    depth = start = i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _skip_class(pattern, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def _better(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    # fewer, longer strings make a more selective anchor
    return a if (min(map(len, a)), -len(a)) >= (min(map(len, b)), -len(b)) else b


def _branch_anchor(branch: str) -> tuple[str, ...] | None:
    """Strings one of which any match of `branch` (no top-level "|") contains, or None."""
    best: tuple[str, ...] | None = None
    run = ""

    def close() -> None:
        nonlocal best, run
        if len(run) >= _MIN_ANCHOR:
            best = (run,) if best is None else _better((run,), best)
        run = ""

    i = 0
    while i < len(branch):
        char = branch[i]
        if char in "([.^$":
            close()
            if char == "(":
                end = _skip_group(branch, i)
                optional, after = _quantifier(branch, end)
                inner = branch[i + 1 : end - 1]
                if not optional and not inner.startswith(("?=", "?!", "?<=", "?<!")):
                    found = anchors(inner[2:] if inner.startswith("?:") else inner)
                    if found is not None:
                        best = found if best is None else _better(found, best)
                i = after
            elif char == "[":
                i = _quantifier(branch, _skip_class(branch, i))[1]
            else:
                i = _quantifier(branch, i + 1)[1]
            continue
        if char == "\\":
            escaped = branch[i + 1 : i + 2]
            if escaped in _SPECIAL_ESCAPES:
                close()
                i = _quantifier(branch, i + 2)[1]
                continue
            literal, i = escaped, i + 2
        else:
            literal, i = char, i + 1
        optional, after = _quantifier(branch, i)
        if optional is None:
            run += literal
        elif optional:
            close()
            i = after
        else:
            run += literal
            close()
            i = after
    close()
    return best


def anchors(pattern: str) -> tuple[str, ...] | None:
    """Literal strings one of which occurs in every match of `pattern`, or None if unknown.

    Args:
        pattern: a regular expression without flags or backreferences.

    Returns:
        The strings (each at least 3 characters), or None when no such set was found.
    """
    out: list[str] = []
    for branch in _branches(pattern):
        found = _branch_anchor(branch)
        if found is None:
            return None
        out.extend(found)
    return tuple(dict.fromkeys(out))


def _trie_expression(words: Sequence[str]) -> str:
    """An expression matching the longest of `words` that starts where it is tried."""
    root: dict[str, dict[str, object]] = {}
    end = ""  # key marking the end of a word (no character is empty)
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})  # type: ignore[assignment]
        node[end] = {}

    def expression(node: dict[str, dict[str, object]]) -> str:
        alternatives = [
            re.escape(char) + expression(child)  # type: ignore[arg-type]
            for char, child in sorted(node.items())
            if char != end
        ]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        # greedy: a longer word is tried before the word that ends here
        return f"(?:{body})?" if end in node else body

    return expression(root)


def fingerprint(tables: Sequence[Sequence[str]]) -> str:
    """A checksum of the tables, to tell whether a saved index was built from them."""
    data = repr([list(t) for t in tables]).encode("utf-8")
    return f"{zlib.crc32(data):08x}-{len(data)}"


# What `build` works out: (fingerprint, scan expression, free phrases per table,
# scanned prefix → the anchors it may begin, anchor → (table, phrase) pairs of its phrases,
# (table, phrase) → the strings it matches, for the phrases that match a few; see `expand`).
Saved = tuple[
    str,
    str,
    tuple[tuple[str, ...], ...],
    dict[str, tuple[str, ...]],
    dict[str, tuple[tuple[int, int], ...]],
    dict[tuple[int, int], tuple[str, ...]],
]


def build(tables: Sequence[Sequence[str]]) -> Saved:
    """Work out the index of `tables`: what `PhraseIndex` needs, as plain data.

    Args:
        tables: for each table, in order, its phrases (regular expressions).

    Returns:
        The fingerprint of the tables; the scan expression (a trie of the anchors' first
        characters, in a lookahead so that overlapping places are all found); per table,
        the phrases without anchor; each scanned prefix with the anchors that may start
        where it is found; each anchor with the (table, phrase) pairs it stands for.
    """
    by_anchor: dict[str, set[tuple[int, int]]] = {}
    free: list[tuple[str, ...]] = []
    for index, phrases in enumerate(tables):
        unanchored: list[str] = []
        for number, phrase in enumerate(phrases):
            found = anchors(phrase)
            if found is None:
                unanchored.append(phrase)
                continue
            for anchor in found:
                by_anchor.setdefault(anchor, set()).add((index, number))
        free.append(tuple(unanchored))
    # Where it is tried, the scan finds the longest prefix only: a prefix stands also for
    # the anchors of the prefixes that are its own prefixes (found at the same place).
    starts: dict[str, list[str]] = {}
    for anchor in sorted(by_anchor):
        starts.setdefault(anchor[:_SCAN_PREFIX], []).append(anchor)
    prefixes = {
        prefix: tuple(
            anchor
            for start in sorted(starts)
            if prefix.startswith(start)
            for anchor in starts[start]
        )
        for prefix in sorted(starts)
    }
    # The trie sits in a lookahead so that overlapping places are all found; the lookahead
    # is put behind one character of the prefixes' first characters, because an
    # expression that begins with a character set lets the regular expression engine skip
    # the other characters without trying the expression there (one that begins with a
    # lookahead is tried at every position).
    first = "[" + "".join(re.escape(char) for char in sorted({s[0] for s in starts})) + "]"
    scan = f"{first}(?<=(?=({_trie_expression(sorted(starts))})){first})"
    pairs = {anchor: tuple(sorted(ids)) for anchor, ids in sorted(by_anchor.items())}
    strings: dict[tuple[int, int], tuple[str, ...]] = {}
    for index, phrases in enumerate(tables):
        for number, phrase in enumerate(phrases):
            found = expand(phrase)
            if found is not None:
                strings[index, number] = found
    return fingerprint(tables), scan, tuple(free), prefixes, pairs, strings


def render(saved: Saved) -> str:
    """Python source of a module holding `saved` (see `_phrase_index`)."""
    digest, scan, free, prefixes, by_anchor, strings = saved
    lines = [
        '"""Index of the phrase tables of `_phrases`, generated by `_match.render`: do not edit.',
        "",
        "Regenerate with: python -m diagnostics.bounce._regen",
        '"""',
        "",
        "# fmt: off",
        "# ruff: noqa",
        f"FINGERPRINT = {digest!r}",
        f"SCAN = {scan!r}",
        f"FREE: tuple[tuple[str, ...], ...] = {free!r}",
        "PREFIXES: dict[str, tuple[str, ...]] = {",
    ]
    lines += [f"    {prefix!r}: {found!r}," for prefix, found in prefixes.items()]
    lines += ["}", "ANCHORS: dict[str, tuple[tuple[int, int], ...]] = {"]
    lines += [f"    {anchor!r}: {ids!r}," for anchor, ids in by_anchor.items()]
    lines += ["}", "STRINGS: dict[tuple[int, int], tuple[str, ...]] = {"]
    lines += [f"    {key!r}: {found!r}," for key, found in strings.items()]
    lines += ["}", ""]
    return "\n".join(lines)


class PhraseIndex:
    """Tables of phrases searched in order, each phrase only when the text can match it."""

    def __init__(
        self,
        tables: Sequence[Sequence[str]],
        saved: Saved | None = None,
    ) -> None:
        """Build the index.

        Args:
            tables: for each table, in order, its phrases (regular expressions).
            saved: what `build` works out for `tables`, worked out beforehand; used only
                when its fingerprint is the one of `tables`.
        """
        if saved is None or saved[0] != fingerprint(tables):
            saved = build(tables)  # the saved index is stale: work it out (slower start)
        _, scan, free, prefixes, by_anchor, strings = saved
        self._sources = [list(phrases) for phrases in tables]
        # phrases are compiled when first needed (most texts need few of them); a phrase
        # that matches a few strings only is looked for as such (see `expand`)
        self._compiled: dict[tuple[int, int], re.Pattern[str] | tuple[str, ...]] = dict(strings)
        self._free_sources = free
        self._free_keys = frozenset((index, -1) for index, phrases in enumerate(free) if phrases)
        self._free: dict[int, re.Pattern[str]] = {}
        self._prefixes = prefixes
        self._by_anchor = by_anchor
        self._scan_source = scan
        self._scan: re.Pattern[str] | None = None
        self._answers: dict[str, int] = {}

    def _present(self, text: str) -> set[tuple[int, int]]:
        """(table, phrase) of the phrases whose anchors occur in `text`."""
        scan = self._scan
        if scan is None:
            scan = self._scan = re.compile(self._scan_source)
        prefixes = self._prefixes
        found = set(scan.findall(text))
        if not found:
            return set()
        possible = set().union(*[prefixes[prefix] for prefix in found])
        by_anchor = self._by_anchor
        return set().union(
            *[
                by_anchor[anchor]
                for anchor in possible
                if len(anchor) <= _SCAN_PREFIX or anchor in text
            ]
        )

    def candidates(self, text: str) -> dict[int, set[int]]:
        """Table index → indexes of its phrases whose anchors occur in `text`."""
        found: dict[int, set[int]] = {}
        for table, phrase in self._present(text):
            found.setdefault(table, set()).add(phrase)
        return found

    def first(self, text: str) -> int:
        """Index of the first table with a phrase that matches `text`, or -1."""
        if not text:
            return -1
        # The same text comes again for each recipient of a report that shares one
        # diagnostic; the answer depends on the text only.
        known = self._answers.get(text)
        if known is None:
            known = self._answers[text] = self._first(text)
            if len(self._answers) > _MAX_ANSWERS:
                self._answers.clear()
        return known

    def _first(self, text: str) -> int:
        compiled = self._compiled
        # (table, -1) stands for the table's phrases without anchor, tried first
        for index, phrase in sorted(self._present(text).union(self._free_keys)):
            if phrase < 0:
                if self._free_pattern(index).search(text):
                    return index
                continue
            matcher = compiled.get((index, phrase))
            if matcher is None:
                matcher = compiled[index, phrase] = re.compile(self._sources[index][phrase])
            if isinstance(matcher, tuple):
                for string in matcher:
                    if string in text:
                        return index
            elif matcher.search(text):
                return index
        return -1

    def _free_pattern(self, index: int) -> re.Pattern[str]:
        pattern = self._free.get(index)
        if pattern is None:
            sources = self._free_sources[index]
            pattern = self._free[index] = re.compile("|".join(f"(?:{p})" for p in sources))
        return pattern


# Most phrases match a few strings only ("mailbox (?:is )?full"): looking for those strings
# costs less than compiling the expression, which every run of the command would pay.
_MAX_STRINGS = 128


def expand(pattern: str) -> tuple[str, ...] | None:
    """Every string `pattern` matches, when they are few; else None.

    Args:
        pattern: a regular expression without flags.

    Returns:
        The strings (at most `_MAX_STRINGS`), for an expression made of literal text,
        groups, alternatives, optional parts and short character classes; None for anything
        else (repetition, wildcards, word boundaries, look-arounds, ...). A search for the
        expression succeeds exactly when one of the strings occurs in the text.
    """
    found = _expand(pattern)
    return None if found is None else tuple(dict.fromkeys(found))


def _expand(pattern: str) -> list[str] | None:
    out: list[str] = []
    for branch in _branches(pattern):
        found = _expand_branch(branch)
        if found is None:
            return None
        out.extend(found)
        if len(out) > _MAX_STRINGS:
            return None
    return out


def _expand_branch(branch: str) -> list[str] | None:
    words = [""]
    i = 0
    while i < len(branch):
        char = branch[i]
        piece: list[str] | None
        if char == "(":
            end = _skip_group(branch, i)
            inner = branch[i + 1 : end - 1]
            if inner.startswith("?:"):
                inner = inner[2:]
            elif inner.startswith("?"):  # look-around, named group, inline flags
                return None
            piece = _expand(inner)
            i = end
        elif char == "[":
            end = _skip_class(branch, i)
            piece = _class_chars(branch[i + 1 : end - 1])
            i = end
        elif char == "\\":
            escaped = branch[i + 1 : i + 2]
            if not escaped or escaped.isalnum():
                return None
            piece = [escaped]
            i += 2
        elif char in ".^$*+?{}|)":
            return None
        else:
            piece = [char]
            i += 1
        if piece is None:
            return None
        quantifier = branch[i : i + 1]
        if quantifier == "?":
            i += 1
            if branch[i : i + 1] in ("?", "+"):  # lazy or possessive: the same strings
                i += 1
            piece = ["", *piece]
        elif quantifier in ("*", "+", "{"):
            return None
        words = [word + part for word in words for part in piece]
        if len(words) > _MAX_STRINGS:
            return None
    return words


def _class_chars(body: str) -> list[str] | None:
    """The characters of a character class without ranges or negation, else None."""
    if body.startswith("^"):
        return None
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            escaped = body[i + 1 : i + 2]
            if not escaped or escaped.isalnum():
                return None
            out.append(escaped)
            i += 2
            continue
        if body[i + 1 : i + 2] == "-" and i + 2 < len(body):  # a range
            return None
        out.append(char)
        i += 1
    return out
