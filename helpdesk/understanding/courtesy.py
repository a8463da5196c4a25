"""Greetings and sign-offs around a request, which must not outvote the request.

"Bonjour, je ne reçois plus rien" is about mail, not a greeting: the classifier
sees the request alone when there is one, and the whole text when the courtesy
is all there is ("bonjour", "merci beaucoup").
"""

from __future__ import annotations

import re
from typing import Final

from helpdesk.understanding._text import fold, words

_OPENING: Final = re.compile(
    r"^\s*(?:(?:bonjour|bonsoir|salut|coucou|bjr|slt|hello|hi|hey|dear|good\s+(?:morning|"
    r"afternoon|evening)|madame|monsieur|mesdames|messieurs|sir|madam|all|a\s+tous|"
    r"le\s+support|support|team|l'equipe|equipe|there|again|re)\b[\s,.!:;-]*)+",
)
_CLOSING: Final = re.compile(
    r"(?:[\s,.!:;-]*\b(?:merci(?:\s+(?:d'avance|par\s+avance|beaucoup|bien|pour\s+votre"
    r"\s+aide|de\s+votre\s+aide))?|cordialement|bien\s+a\s+vous|bonne\s+(?:journee|soiree)"
    r"|thanks?(?:\s+(?:you|in\s+advance|a\s+lot))?|regards|best\s+regards|kind\s+regards"
    r"|cheers|svp|stp|s'il\s+vous\s+plait|please|pls|thx)\b[\s,.!:;-]*)+$",
)
# Fewer meaningful words than this once the courtesy is gone: the courtesy is the message.
_MIN_REQUEST_WORDS: Final = 2


def request_part(text: str) -> str:
    """`text` without its opening greeting and closing thanks, if a request remains."""
    folded = fold(text).strip()
    core = _CLOSING.sub("", _OPENING.sub("", folded, count=1), count=1).strip()
    return core if len(words(core)) >= _MIN_REQUEST_WORDS else folded


# Words of thanks, acknowledgement, leave-taking and greeting, anywhere in a message.
_COURTESY_WORD: Final = re.compile(
    r"\b(?:merci\w*|thanks?|thank you|thx|ty|cheers|parfait\w*|super|genial|top|nickel"
    r"|great|perfect|awesome|cool|excellent|ok(?:ay)?|d'accord|bonne (?:journee|soiree)"
    r"|au revoir|bye|goodbye|bonjour|bonsoir|salut|hello|hi|hey|coucou|bjr|slt"
    r"|good (?:morning|afternoon|evening|day)|appreciated?|recu|received|noted|note)\b"
)


def names_courtesy(text: str) -> bool:
    """Whether `text` holds a word of thanks or greeting: a reading of the message as
    courtesy without one is the model's guess ("wats a good score")."""
    return _COURTESY_WORD.search(fold(text)) is not None
