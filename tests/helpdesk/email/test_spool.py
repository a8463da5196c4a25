"""The inbound Maildir spool: durable, ordered, crash-safe."""

from __future__ import annotations

import os
import time
from pathlib import Path

from helpdesk.email.key import signing_key
from helpdesk.email.spool import Spool


def test_messages_come_back_in_arrival_order(tmp_path: Path) -> None:
    """new/ is read oldest first; done() moves a message to cur/, flagged when it failed."""
    spool = Spool(tmp_path / "inbound")
    spool.create()
    names = [spool.store(f"message {n}".encode()) for n in range(30)]
    pending = spool.pending()
    assert [p.name for p in pending] == names
    assert all(abs(p.received - time.time()) < 60 for p in pending)
    first, second = spool.claim(pending[0]), spool.claim(pending[1])
    assert first is not None and second is not None
    assert first.raw == b"message 0"
    assert spool.claim(pending[0]) is None  # locked: another processor skips it
    spool.done(first)
    spool.done(second, failed=True)
    assert spool.claim(pending[0]) is None  # gone from new/
    assert len(spool.pending()) == 28
    cur = sorted(os.listdir(tmp_path / "inbound" / "cur"))
    assert cur == [f"{names[0]}:2,S", f"{names[1]}:2,F"]
    assert not os.listdir(tmp_path / "inbound" / "tmp")
    assert oct((tmp_path / "inbound" / "new" / names[2]).stat().st_mode & 0o777) == "0o600"


def test_truncated_messages_keep_their_size(tmp_path: Path) -> None:
    """A message kept as headers only says its original size in its name."""
    spool = Spool(tmp_path)
    spool.create()
    spool.store(b"Subject: big\r\n\r\n", truncated_size=26_000_000)
    (item,) = spool.pending()
    assert item.truncated_size == 26_000_000


def test_leftovers_of_a_crash_are_cleaned(tmp_path: Path) -> None:
    """Files a crash left in tmp/ (never acknowledged) go; foreign files in new/ are ignored."""
    spool = Spool(tmp_path)
    spool.create()
    old = tmp_path / "tmp" / "half-written"
    old.write_bytes(b"x")
    os.utime(old, (0, 0))
    (tmp_path / "new" / "not-a-spool-name").write_bytes(b"x")
    assert spool.clean_tmp() == 1
    assert spool.pending() == []
    spool.store(b"handled long ago")
    (item,) = spool.pending()
    claim = spool.claim(item)
    assert claim is not None
    spool.done(claim)
    (kept,) = (tmp_path / "cur").iterdir()
    assert spool.prune_cur() == 0
    os.utime(kept, (0, 0))
    assert spool.prune_cur() == 1


def test_secret_key_is_generated_once(tmp_path: Path) -> None:
    """Without a configured key, one is created in the data dir and then reused."""
    first = signing_key("", tmp_path / "var")
    assert first == signing_key("", tmp_path / "var")
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert signing_key("configured", tmp_path / "var") == "configured"
