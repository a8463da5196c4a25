"""Text normalisation shared by the classifier, the language detector and the tests."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "«": '"', "»": '"'})
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[a-z0-9]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
# RFC 3463 enhanced status codes; a shared token lets one pasted code teach all of them.
_ENHANCED = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")


def fold(text: str) -> str:
    """Lower-case `text` and strip accents, so "Problème" and "probleme" are one word."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def normalise(text: str) -> str:
    """Folded text with addresses, links and status codes replaced by placeholder words.

    Customers paste their own addresses and links: the classifier must learn from the
    fact that an address is there, not from which one it is.
    """
    text = _URL.sub(" urladdr ", text)
    text = _EMAIL.sub(" emailaddr ", text)
    text = fold(text)
    text = _ENHANCED.sub(lambda m: f" xcode {m.group(0)} ", text)
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The folded words of `text` (apostrophes split, "j'ai" gives "j" and "ai")."""
    return _TOKEN.findall(fold(text))


def same_utterance(a: str, b: str) -> bool:
    """Whether two utterances are the same once case, accents and punctuation are ignored."""
    return words(a) == words(b)


__all__ = ["fold", "normalise", "same_utterance", "words"]
