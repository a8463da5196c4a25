"""The hand-over journal: a relay's acceptance, written the instant it arrives.

Between a relay's 250 and the database commit that records it lies a commit's time (an
fsync, milliseconds). A process killed there would send the mail again. One small
`write(2)` to an append-only file narrows that window to microseconds: the kernel keeps
what was written when the process dies (SIGKILL, OOM), so after a restart an interrupted
mail found here is marked sent instead of being sent twice. A power cut may still lose the
line (no fsync: that would cost what the commit costs), and then the mail goes again, as
the outbox's at-least-once promise allows.

The file is emptied after every batch, once the batch's commits are done, so it only ever
holds the mails of one batch.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class HandoverJournal:
    def __init__(self, path: Path) -> None:
        self._path = path

    def record(self, mail_id: int, reply: str) -> None:
        """Note that the relay took `mail_id`, with its answer (one line, one write)."""
        line = f"{mail_id}\t{' '.join(reply.split())[:400]}\n".encode()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def reply(self, mail_id: int) -> str | None:
        """The relay's answer recorded for `mail_id`, or None when it is not here."""
        try:
            lines = self._path.read_bytes().decode(errors="replace").splitlines()
        except FileNotFoundError:
            return None
        for line in lines:
            number, _, reply = line.partition("\t")
            if number == str(mail_id):
                return reply
        return None

    def clear(self) -> None:
        """Forget the batch whose outcomes are all committed."""
        with contextlib.suppress(FileNotFoundError):
            os.truncate(self._path, 0)
