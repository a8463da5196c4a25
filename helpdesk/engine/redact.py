"""Redaction of secrets a customer types (passwords) before anything is stored."""

from __future__ import annotations

import re

MASK = "[•••]"

# "mon mot de passe est X", "mdp: X", "password is X", "pwd=X", "pass: X"...
_PASSWORD = re.compile(
    r"""(?ix)
    (?P<lead>
      \b(?:mots?\s+de\s+passe|mdp|mot\s*2\s*passe|passwords?|passwd|pwd|pass(?:code)?|pw)
      (?:\s+(?:actuel|actuelle|ancien|nouveau|current|old|new|temporaire|provisoire))?
      (?:\s+(?:est|c'?est|était|etait|is|was|=|:)|\s*[:=])
      \s*(?:["'«“]\s*)?
    )
    (?P<secret>[^\s"'»”]{3,})
    """
)


# Words that describe a password rather than being one ("mon mot de passe est incorrect").
_NOT_SECRETS = frozenset(
    """
    incorrect incorrecte faux fausse refuse refusé refusée bloque bloqué bloquée perdu
    oublie oublié expire expiré expirée trop pas plus bon bonne correct correcte mauvais
    invalide invalid wrong incorrectly not no too expired blocked lost forgotten correct
    rejected refused still the le la un une mon ma my your votre changé change changed
    required requis obligatoire demandé demande asked different differente différent
    """.split()
)


def _mask(match: re.Match[str]) -> str:
    if match.group("secret").lower().strip(".,;!?") in _NOT_SECRETS:
        return match.group(0)
    return match.group("lead") + MASK


def redact(text: str) -> tuple[str, bool]:
    """`text` with every password-looking value replaced by MASK, and whether any was."""
    redacted = _PASSWORD.sub(_mask, text)
    return redacted, redacted != text
