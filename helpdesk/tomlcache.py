"""TOML files read through a cache of their parsed form, kept by content.

`helpdesk bounce` reads the provider profile and the wording of its explanations from
TOML at every run; importing tomllib and parsing them cost a few per cent of a run over
the bounce corpus, whose speed is measured with its start-up. The parsed data is kept as
JSON in the user's cache directory (as Python keeps bytecode), named after a checksum of
the file and holding the text it was parsed from: a changed file is parsed again, and an
entry that does not hold the very same text is never used. Without a usable cache
directory (read-only home, full disk) the file is parsed as before, nothing else changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import zlib
from pathlib import Path
from typing import Any

_VERSION = 1  # of the entries' layout


def cache_dir() -> Path:
    """Where the entries go: $XDG_CACHE_HOME (or ~/.cache) / mail-helpdesk / toml."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mail-helpdesk" / "toml"


def load(path: Path) -> dict[str, Any]:
    """`tomllib.load` of the file at `path`, through the cache.

    Raises what reading and parsing raise: OSError, UnicodeDecodeError (not UTF-8) and
    tomllib.TOMLDecodeError (a ValueError).
    """
    data = path.read_bytes()
    text = data.decode("utf-8")
    entry = cache_dir() / f"{zlib.crc32(data):08x}-{len(data)}.json"
    found = _read(entry, text)
    if found is not None:
        return found
    import tomllib  # only on a miss: the import is a good part of what the cache saves

    parsed = tomllib.loads(text)
    _write(entry, text, parsed)
    return parsed


def _read(entry: Path, text: str) -> dict[str, Any] | None:
    try:
        stored = json.loads(entry.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("version") != _VERSION:
        return None
    data = stored.get("data")
    if stored.get("source") != text or not isinstance(data, dict):
        return None
    return data


def _write(entry: Path, text: str, parsed: dict[str, Any]) -> None:
    try:
        # Dates and times (which TOML has and JSON has not) are not cached: such a file
        # is parsed at each run.
        encoded = json.dumps({"version": _VERSION, "source": text, "data": parsed})
    except (TypeError, ValueError):
        return
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial.write_text(encoded, encoding="utf-8")
        os.replace(partial, entry)  # readers see a whole entry or none
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
