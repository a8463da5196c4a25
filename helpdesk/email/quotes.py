"""The new part of a customer's message: quoted history and signature cut off.

Replies carry the whole thread below (or, inline, between) the customer's own words. Cut:
lines quoted with `>`, everything from a reply header on ("Le … a écrit :", "On … wrote:",
"-----Original Message-----", Outlook's "De : / Envoyé :" block) and from the signature
delimiter `-- ` or a "Sent from my phone" line. A forwarded message is the customer's
material (a bounce, most often), so forward headers are kept, and in a forward the reply
headers are not cut either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPLY_HEADER = re.compile(
    r"""(?ix)^\s*(?:
        (?:on|le)\s.{4,200}?(?:wrote|a\s+[ée]crit)\s*:\s*$
      | \S.{1,120}?\s(?:wrote|a\s+[ée]crit)\s+(?:on|le)\s.{4,80}?:\s*$  # "X a écrit le 03/12 :"
      | -{2,}\s*(?:original\s+message|message\s+d'origine|message\s+original)\s*-{2,}\s*$
      | _{10,}\s*$
    )"""
)
# Gmail wraps a long attribution line: "Le lun. 3 nov. 2025 à 10:02, Support <s@x>" / "a écrit :".
# The break may fall inside the address: "... Support Z-Index <" / "s@x> a écrit :".
_REPLY_TAIL = re.compile(r"(?i)^\s*(?:<?[^\s<>]*@[^\s<>]*>\s*)?(?:wrote|a\s+[ée]crit)\s*:\s*$")
_REPLY_LEAD = re.compile(r"(?i)^\s*(?:on|le)\s.{4,200}$")
_OUTLOOK_FROM = re.compile(r"(?i)^\s*\*?(?:from|de)\s*\*?\s*:\s*\S")
_OUTLOOK_NEXT = re.compile(r"(?i)^\s*\*?(?:sent|envoy[ée]|date|to|[àa]|subject|objet)\s*\*?\s*:")
_SIGNATURE = re.compile(
    r"""(?ix)^\s*(?:
        --\s*$
      | (?:sent|envoy[ée])\s+(?:from|de(?:puis)?)\s+(?:my|mon|ma)\s+\S.{0,40}$
      | get\s+outlook\s+for\s+\S+\s*$
      | t[ée]l[ée]charger\s+outlook\s+pour\s+\S+\s*$
    )"""
)
_FORWARD_MARK = re.compile(
    r"""(?ix)^\s*(?:
        -{2,}\s*(?:forwarded\s+message|message\s+transf[ée]r[ée]|mensaje\s+reenviado)\s*-{2,}
      | begin\s+forwarded\s+message\s*:
      | d[ée]but\s+du\s+message\s+r[ée]exp[ée]di[ée]\s*:
    )"""
)
_FORWARD_SUBJECT = re.compile(r"(?i)^\s*(?:fwd?|tr|transf(?:[ée]r[ée])?|wg|rv)\s*:")
_BLANKS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Cut:
    """The customer's own text and whether anything was removed."""

    text: str
    removed: bool


def is_forward(subject: str, text: str) -> bool:
    """A forwarded message: by its subject prefix or a forward marker in the body."""
    return bool(_FORWARD_SUBJECT.match(subject)) or any(
        _FORWARD_MARK.match(line) for line in text.splitlines()
    )


def _reply_header_at(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _REPLY_HEADER.match(line):
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if _REPLY_LEAD.match(line) and _REPLY_TAIL.match(following):
        return True
    if _OUTLOOK_FROM.match(line):
        window = lines[index + 1 : index + 5]
        return sum(1 for w in window if _OUTLOOK_NEXT.match(w)) >= 2
    return False


def cut_reply(text: str, subject: str = "") -> Cut:
    """`text` without quoted history and signature (see the module docstring)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = is_forward(subject, text)
    mark = next((i for i, line in enumerate(lines) if _FORWARD_MARK.match(line)), len(lines))
    own, forwarded = lines[:mark], lines[mark:]  # the forwarded material is kept whole
    kept: list[str] = []
    removed = False
    for index, line in enumerate(own):
        if _SIGNATURE.match(line) or (not forward and _reply_header_at(own, index)):
            removed = True
            break
        if line.lstrip().startswith(">"):
            if forward:  # some clients forward by quoting: the quoted text is the material
                kept.append(line.lstrip().lstrip(">").lstrip())
            else:
                removed = True
            continue
        kept.append(line)
    result = _BLANKS.sub("\n\n", "\n".join(kept + forwarded)).strip()
    return Cut(result, removed)
