"""The hand-over journal: a relay's acceptance, written the instant it arrives.

Between a relay's 250 and the database commit that records it lies a commit's time (an
fsync, milliseconds). A process killed there would send the mail again. One small
`write(2)` to an append-only file narrows that window to microseconds: the kernel keeps
what was written when the process dies (SIGKILL, OOM), so after a restart an interrupted
mail found here is marked sent instead of being sent twice. A power cut may still lose the
line (no fsync: that would cost what the commit costs), and then the mail goes again, as
the outbox's at-least-once promise allows.

Each process writes a file of its own, emptied after each of its batches once the batch's
commits are done; the files of every process are read when an interrupted mail is
reclaimed, so a restarted process finds what its dead predecessor noted. The file of a
process that has been gone for a day is deleted.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

PREFIX = "outbox-handover."
SUFFIX = ".journal"
KEEP_DEAD = 24 * 3600  # seconds: by then every claim of the dead process was taken back


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: alive, and not ours to judge
    return True


class HandoverJournal:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._own = folder / f"{PREFIX}{os.getpid()}{SUFFIX}"

    def record(self, mail_id: int, reply: str) -> None:
        """Note that the relay took `mail_id`, with its answer (one line, one write)."""
        line = f"{mail_id}\t{' '.join(reply.split())[:400]}\n".encode()
        self._folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._own, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def _files(self) -> list[Path]:
        return sorted(self._folder.glob(f"{PREFIX}*{SUFFIX}"))

    def reply(self, mail_id: int) -> str | None:
        """The relay's answer noted for `mail_id` by any process, or None."""
        wanted = f"{mail_id}\t"
        for path in self._files():
            with contextlib.suppress(FileNotFoundError):
                for line in path.read_bytes().decode(errors="replace").splitlines():
                    if line.startswith(wanted):
                        return line[len(wanted) :]
        return None

    def clear(self) -> None:
        """Forget this process's batch, whose outcomes are all committed, and the files of
        processes gone for a day."""
        with contextlib.suppress(FileNotFoundError):
            os.truncate(self._own, 0)
        for path in self._files():
            pid = path.name.removeprefix(PREFIX).removesuffix(SUFFIX)
            with contextlib.suppress(FileNotFoundError, ValueError):
                if time.time() - path.stat().st_mtime > KEEP_DEAD and not process_alive(int(pid)):
                    path.unlink()
