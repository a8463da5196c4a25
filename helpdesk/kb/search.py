"""Searching the articles of one language: small, dependency-free, forgiving.

Words are folded (case, accents, apostrophes), stop words dropped and endings trimmed
("boîtes pleines" and "boite pleine" meet), then each query word matches article words
exactly, as a prefix, or within one or two typos. An article's score adds, for every query
word, how rare the word is (idf) times where it was found: title and keywords count more
than the body. Articles matching more of the query's words come first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 12

# Where a word was found, and how much that says about the article's topic.
FIELD_WEIGHTS = {"title": 4.0, "keywords": 3.0, "body": 1.0}
EXACT, PREFIX, ONE_TYPO, TWO_TYPOS = 1.0, 0.75, 0.7, 0.45
# Hits scoring under this share of the best one are noise (a shared common word).
RELATIVE_FLOOR = 0.2

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
# "5.3.4" and "552" are words too: customers search the code of their error message.
_WORD = re.compile(r"\d+(?:\.\d+)+|[a-z0-9]+")

STOP_WORDS = frozenset(
    """
    a au aux avec ce ces cet cette c d de des du elle en est et etre il ils j je l la le les
    leur lui m ma mais me mes moi mon n ne nos notre nous on ou par pas pour qu que quel
    quelle qui quoi s sa se ses si son sont sur t ta te tes toi ton tu un une vos votre vous
    y comment pourquoi faire fait peux puis veux dois ai as avez suis plus tres
    an and are as at be by can do does for from have how i if in into is it its me my no not
    of on or our so that the their this to was we what when where which why will with you
    your
    """.split()
)

# Longest first; an ending is only cut when a stem of at least four letters remains.
_ENDINGS = (
    "ements", "ations", "ement", "ation", "ings", "ing", "ees", "ies", "es", "ee", "er",
    "ez", "ed", "e", "s", "x",
)  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents: "Boîte PLEINE" gives "boite pleine"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def stem(word: str) -> str:
    """`word` without a plural or common verb ending (French and English, crudely)."""
    if word[0].isdigit():
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def terms(text: str) -> list[str]:
    """The searchable terms of `text`: folded, stop words dropped, stemmed."""
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in STOP_WORDS]


def _within(a: str, b: str, limit: int) -> int | None:
    """Damerau-Levenshtein distance of `a` and `b` when at most `limit`, else None."""
    if abs(len(a) - len(b)) > limit:
        return None
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return None
        prev2, prev = prev, row
    return prev[-1] if prev[-1] <= limit else None


@dataclass(frozen=True)
class Document:
    """What the index knows of one article: its key and the text of each field."""

    key: str
    title: str
    keywords: Sequence[str]
    body: str


@dataclass(frozen=True)
class Hit:
    key: str
    score: float


class SearchIndex:
    """An inverted index over a few dozen documents of one language, built once."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self._fields: dict[str, dict[str, Counter[str]]] = {}
        for doc in documents:
            self._fields[doc.key] = {
                "title": Counter(terms(doc.title)),
                "keywords": Counter(terms(" ".join(doc.keywords))),
                "body": Counter(terms(doc.body)),
            }
        self._df: Counter[str] = Counter()
        for fields in self._fields.values():
            self._df.update({t for counts in fields.values() for t in counts})
        self._vocabulary = sorted(self._df)

    def _matches(self, term: str) -> dict[str, float]:
        """Index terms that `term` may stand for, with how much to trust each."""
        found: dict[str, float] = {}
        if term in self._df:
            found[term] = EXACT
        if term[0].isdigit():
            return found  # a mistyped error code is another code
        for candidate in self._vocabulary:
            if candidate == term:
                continue
            if len(term) >= 4 and candidate.startswith(term):
                found[candidate] = max(found.get(candidate, 0.0), PREFIX)
            elif len(term) >= 4:
                distance = _within(term, candidate, 2 if len(term) >= 8 else 1)
                if distance is not None:
                    weight = ONE_TYPO if distance == 1 else TWO_TYPOS
                    found[candidate] = max(found.get(candidate, 0.0), weight)
        if term in self._df:
            # An exact word is what the customer meant; near words only add noise.
            return {t: w for t, w in found.items() if w >= PREFIX}
        return found

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """The documents matching `query`, best first; empty when nothing matches."""
        words = list(dict.fromkeys(terms(query[:MAX_QUERY_CHARS])))[:MAX_QUERY_WORDS]
        if not words:
            return []
        total = len(self._fields)
        scores: dict[str, float] = {}
        matched: dict[str, int] = {}
        for word in words:
            candidates = self._matches(word)
            for key, fields in self._fields.items():
                best = 0.0
                for candidate, trust in candidates.items():
                    idf = math.log(1 + total / self._df[candidate])
                    weight = sum(
                        FIELD_WEIGHTS[name] * counts[candidate] / (counts[candidate] + 1)
                        for name, counts in fields.items()
                    )
                    best = max(best, trust * idf * weight)
                if best > 0:
                    scores[key] = scores.get(key, 0.0) + best
                    matched[key] = matched.get(key, 0) + 1
        hits = [
            # Covering more of the query beats repeating one of its words.
            Hit(key, score * (0.4 + 0.6 * matched[key] / len(words)))
            for key, score in scores.items()
        ]
        hits.sort(key=lambda h: (-h.score, h.key))
        floor = hits[0].score * RELATIVE_FLOOR if hits else 0.0
        return [hit for hit in hits if hit.score >= floor][:limit]
