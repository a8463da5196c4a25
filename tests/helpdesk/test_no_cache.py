"""Reading the configuration and wording diagnoses write nothing outside the data directory:
no copy of a configuration file (secrets included) in a user cache, no template cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SECRET = "s3cret-token-that-must-stay-in-its-file-0123456789"


@pytest.fixture
def home(tmp_path: Path) -> dict[str, Path]:
    """Empty stand-ins for the user's home, cache and temporary directories."""
    dirs = {name: tmp_path / name for name in ("home", "cache", "tmp")}
    for path in dirs.values():
        path.mkdir()
    return dirs


def _helpdesk(
    home: dict[str, Path], data_dir: Path, *argv: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELPDESK_", "XDG_"))}
    env |= {
        "HOME": str(home["home"]),
        "XDG_CACHE_HOME": str(home["cache"]),
        "TMPDIR": str(home["tmp"]),
        "HELPDESK_DATA_DIR": str(data_dir),
        "HELPDESK_SMTP_LISTEN": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "helpdesk", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )


def _written(home: dict[str, Path]) -> list[Path]:
    return [path for root in home.values() for path in root.rglob("*")]


def test_config_check_and_bounce_leave_home_cache_and_tmp_empty(
    home: dict[str, Path], tmp_path: Path
) -> None:
    """`config check` and `bounce` (twice, as a cache would be filled then read) with a
    configuration file holding a token leave HOME, XDG_CACHE_HOME and TMPDIR empty."""
    config = tmp_path / "etc" / "helpdesk.toml"
    config.parent.mkdir()
    config.write_text(f'[helpdesk]\nmetrics_token = "{SECRET}"\n', encoding="utf-8")
    bounce = REPO / "tests" / "data" / "bounces" / "laposte-toobig.eml"
    data_dir = tmp_path / "var"
    for _ in range(2):
        checked = _helpdesk(home, data_dir, "--config", str(config), "config", "check")
        assert checked.returncode == 0, checked.stderr
        assert SECRET not in checked.stdout  # masked
        done = _helpdesk(home, data_dir, "--config", str(config), "bounce", "--json", str(bounce))
        assert done.returncode == 0, done.stderr
        assert '"reason": "mesgtoobig"' in done.stdout
    assert _written(home) == []
