"""Lines a customer pasted rather than wrote: quoted replies, reports, headers, transcripts.

One rule for the whole bot: the language of a message and the questions it asks are read
from the customer's own lines only (see `helpdesk.understanding.language.own_words` and
`helpdesk.engine.reading`); a pasted non-delivery report is evidence for the checks, in
whatever language it came.
"""

from __future__ import annotations

import re
from typing import Final

# The start of a line someone else wrote, whatever its language.
_PASTED_START: Final = re.compile(
    r"""^\s*(?:
        [>|]                                        # quoted reply, pasted with a bar
      | [-=_*]{3,}                                  # separators of reports and forwards
      | <<<|>>>                                     # SMTP transcript
      | [245]\d\d(?:-|\s+(?:[245]\.\d{1,3}\.\d{1,3}\b|(?-i:[A-Z<#(\[])))  # an SMTP reply
      | <[^>\s]+@[^>\s]+>\s*:?                      # "<rcpt@example.com>: host ..."
      | (?:\w{3}\s+\d+\s+)?\d\d:\d\d:\d\d\s         # a log line's time stamp
      | (?:on\s.{5,80}\swrote|le\s.{5,80}\sa\s+[ée]crit)\s*:   # a reply's attribution
      | (?:status|action|reporting-mta|remote-mta|final-recipient|original-recipient
        |diagnostic-code|arrival-date|last-attempt-date|received|return-path|message-id
        |content-[\w-]+|mime-version|x-[\w-]+|from|to|cc|subject|date|de|[àa]|objet
        |envoy[ée]|sent|dkim-signature|authentication-results|received-spf|arc-[\w-]+
        |list-[\w-]+|delivered-to|reply-to|references|in-reply-to|diagnostic
        |remote\ server|error)\s*:                  # a header or report field
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Words of non-delivery reports: a line holding them is the report's, unless the
# customer asks about them ("what does user unknown mean?").
_REPORT_WORDS: Final = re.compile(
    r"\b[245]\.\d{1,3}\.\d{1,3}\b|mailer-daemon|delivery status|undeliverable"
    r"|could not be delivered|couldn't be delivered|wasn't delivered|this is the mail system"
    r"|delivery has failed|address rejected|user unknown|message file too big"
    r"|mailbox (?:is )?full|quota exceeded|host or domain name not found"
    r"|the following (?:message|address)|requested action|mailbox unavailable"
    r"|relay access denied|access denied",
    re.IGNORECASE,
)


def is_pasted(line: str, after_pasted: bool = False) -> bool:
    """Whether `line` is someone else's text the customer pasted or quoted.

    `after_pasted`: the line before it was pasted. An indented line then continues it
    (reports and transcripts fold long lines that way)."""
    if _PASTED_START.match(line):
        return True
    if after_pasted and line[:1] in (" ", "\t") and line.strip():
        return True
    return bool(_REPORT_WORDS.search(line)) and not line.rstrip().endswith("?")


# The first line of a report's body or of a forwarded message: what follows it is the
# report's too, whatever each line looks like ("I'm sorry to have to inform you that your
# message could not / be delivered..." wraps where no single line says so). Report
# subjects ("Undelivered Mail Returned to Sender") are not openers: a customer's own
# subject line often repeats them.
_REPORT_OPENER: Final = re.compile(
    r"^[\s>*_-]*(?:this is the mail system|delivery has failed|your message (?:did not"
    r" reach|couldn't be delivered|wasn't delivered|could not be delivered)"
    r"|(?:-+\s*)?(?:forwarded message|message transf[ée]r[ée]|original message"
    r"|message d'origine)|begin forwarded message|d[ée]but du message r[ée]exp[ée]di[ée]"
    r"|[ée]chec de la remise|votre message n'a pas pu [êe]tre"
    r"|le message n'a pas pu [êe]tre|i'm sorry to have to inform you)",
    re.IGNORECASE,
)


def marked_lines(text: str) -> list[tuple[str, bool]]:
    """Each line of `text` with whether the customer pasted it.

    From a report's first line on, every line is the report's, except a paragraph of the
    customer's own after it that asks a question ("What should I do?")."""
    lines = text.splitlines()
    flags: list[bool] = []
    previous = False
    for line in lines:
        previous = is_pasted(line, previous)
        flags.append(previous)
    opener = next((i for i, line in enumerate(lines) if _REPORT_OPENER.match(line)), None)
    if opener is not None:
        start = opener
        for end in [*(i for i, line in enumerate(lines) if not line.strip()), len(lines)]:
            if end < opener:
                continue
            paragraph = range(start, end)
            asks = (
                start > opener
                and any(lines[i].strip() for i in paragraph)
                and not any(flags[i] for i in paragraph)
                and lines[end - 1].rstrip().endswith("?")
            )
            for i in paragraph:
                flags[i] = flags[i] or not asks
            start = end + 1
    return list(zip(lines, flags, strict=True))


def split_pasted(text: str) -> tuple[list[str], list[str]]:
    """The lines of `text` the customer wrote, and those they pasted, each in order."""
    marked = marked_lines(text)
    return [line for line, p in marked if not p], [line for line, p in marked if p]
