"""Bounce diagnosis: what happened to a message, whose side must act, whether to retry.

`parse_bounce` takes a whole bounce message (RFC 3464 report or an MTA's own format), a
message carrying a bounce as an attachment or inline forward, or pasted text (a reply line,
a few lines, a bare code) and returns a `BounceReport` of codes and facts. Reason names are
Sisimai's vocabulary (see corpora/bounces/README.md).
"""

from ._model import (
    ACTOR_NONE,
    ACTOR_OUR_PROVIDER,
    ACTOR_RECIPIENT_PROVIDER,
    ACTOR_SENDER,
    BounceReport,
    FailedRecipient,
)
from ._parse import parse_bounce
from ._reasons import REASONS

__all__ = [
    "ACTOR_NONE",
    "ACTOR_OUR_PROVIDER",
    "ACTOR_RECIPIENT_PROVIDER",
    "ACTOR_SENDER",
    "REASONS",
    "BounceReport",
    "FailedRecipient",
    "parse_bounce",
]
