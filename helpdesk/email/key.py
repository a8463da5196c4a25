"""The secret key that signs our Message-IDs: the configured one, else one kept in data_dir.

`HELPDESK_SECRET_KEY` empty means "generated once in the data dir" (README): the first
start writes 256 random bits to `data_dir/secret_key` (mode 0600) and every later start,
and every process sharing the data dir, reads the same file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"


def signing_key(configured: str, data_dir: Path) -> str:
    """`configured` when set, else the data dir's key, created on first use.

    Raises OSError when the data dir cannot hold it.
    """
    if configured:
        return configured
    path = data_dir / KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        existing = path.read_text(encoding="ascii").strip()
        if existing:
            return existing
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    tmp = data_dir / f".{KEY_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key.encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # link() fails if another process won the race: then its key is the key.
        os.link(tmp, path)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key
