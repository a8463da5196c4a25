"""The inbound spool: a Maildir where every received message is made durable first.

A message is written to `tmp/`, fsynced, then renamed into `new/` (and the directory
fsynced) before the SMTP listener says 250 or the IMAP fetcher marks it seen. The processor
takes `new/` in arrival order and moves each file to `cur/` once it is on a ticket, so a
crash at any point leaves the message in `new/`, where the next start finds it again.

Names sort in arrival order: `<seconds>.M<microseconds>P<pid>Q<counter>.<host>`, then the
Maildir info after `:2,`. A message that could not be processed at all goes to `cur/`
flagged `F`; a message the fetcher could only read the headers of (too big) carries
`,T=<size>` in its name.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path

_SAFE_HOST = re.compile(r"[^A-Za-z0-9_-]")
_NAME = re.compile(r"^\d{10}\.M\d{6}P\d+Q\d{6}\.[A-Za-z0-9_-]+(?:,T=\d+)?$")


@dataclass(frozen=True)
class Spooled:
    """A message waiting in `new/`: its file name and when it was received."""

    name: str
    path: Path
    received: float  # seconds since the epoch, from the name
    truncated_size: int | None = None  # original size when only the headers were kept


@dataclass
class Claim:
    """A message this process is handling, locked against other processors."""

    item: Spooled
    fd: int
    raw: bytes

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing drops the flock
            self.fd = -1


class Spool:
    """One Maildir (`tmp/`, `new/`, `cur/`) under `root`; safe for one writer process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._counter = itertools.count()
        self._host = _SAFE_HOST.sub("_", socket.gethostname())[:64] or "host"

    def create(self) -> None:
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def _name(self, truncated_size: int | None) -> str:
        now = time.time()
        seconds, micro = int(now), int((now % 1) * 1_000_000)
        name = f"{seconds:010d}.M{micro:06d}P{os.getpid()}Q{next(self._counter) % 1_000_000:06d}"
        name += f".{self._host}"
        if truncated_size is not None:
            name += f",T={truncated_size}"
        return name

    def store(self, raw: bytes, *, truncated_size: int | None = None) -> str:
        """Write `raw` durably into `new/` and return its name. Raises OSError."""
        name = self._name(truncated_size)
        tmp = self.root / "tmp" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(raw)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.rename(tmp, self.root / "new" / name)
        _fsync_dir(self.root / "new")
        return name

    async def store_async(self, raw: bytes, *, truncated_size: int | None = None) -> str:
        """`store` off the event loop (fsync waits for the disk)."""
        return await asyncio.to_thread(self.store, raw, truncated_size=truncated_size)

    def pending(self) -> list[Spooled]:
        """The messages of `new/`, oldest first."""
        found = []
        for entry in os.scandir(self.root / "new"):
            if not entry.is_file() or not _NAME.match(entry.name):
                continue
            found.append(_spooled(entry.name, Path(entry.path)))
        found.sort(key=lambda s: s.name)
        return found

    def claim(self, item: Spooled) -> Claim | None:
        """Lock `item` for this processor and read it; None when another process holds
        it or already moved it. The lock dies with the process: a crash frees it."""
        try:
            fd = os.open(item.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if not item.path.exists():  # moved to cur/ between our listing and our lock
            os.close(fd)
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read()
        return Claim(item, fd, raw)

    def done(self, claim: Claim, *, failed: bool = False) -> None:
        """Move the claimed message to `cur/` (flagged when it could not be processed)."""
        item = claim.item
        target = self.root / "cur" / f"{item.name}:2,{'F' if failed else 'S'}"
        try:
            os.rename(item.path, target)
            _fsync_dir(self.root / "cur")
        finally:
            claim.release()

    def prune_cur(self, older_than: float = 7 * 24 * 3600) -> int:
        """Remove handled messages older than `older_than` seconds: the raw mail may hold
        a password the transcript has masked, so it is kept only long enough to look into
        a problem (a message flagged `F` too)."""
        removed, limit = 0, time.time() - older_than
        for entry in os.scandir(self.root / "cur"):
            if entry.is_file() and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
        return removed

    def clean_tmp(self, older_than: float = 36 * 3600) -> int:
        """Remove files left in `tmp/` by a crash mid-write (never acknowledged)."""
        removed, limit = 0, time.time() - older_than
        for entry in os.scandir(self.root / "tmp"):
            if entry.is_file() and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
        return removed


def _spooled(name: str, path: Path) -> Spooled:
    seconds, _, rest = name.partition(".M")
    micro = rest[:6]
    truncated = None
    if ",T=" in name:
        truncated = int(name.rsplit(",T=", 1)[1])
    return Spooled(name, path, int(seconds) + int(micro) / 1_000_000, truncated)


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
