"""TOML through the parsed-form cache: the same data as tomllib, never stale, never needed."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from helpdesk import tomlcache
from helpdesk.config_values import DEFAULT_CONFIG
from helpdesk.explain.bounce import TEMPLATES_DIR


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "mail-helpdesk" / "toml"


@pytest.mark.parametrize(
    "path", [DEFAULT_CONFIG, TEMPLATES_DIR / "fr.toml", TEMPLATES_DIR / "en.toml"]
)
def test_same_data_as_tomllib_on_a_miss_and_on_a_hit(cache: Path, path: Path) -> None:
    expected = tomllib.loads(path.read_text(encoding="utf-8"))
    assert tomlcache.load(path) == expected  # parsed, then kept
    [entry] = list(cache.iterdir())
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert tomlcache.load(path) == expected  # from the entry
    assert json.loads(entry.read_text(encoding="utf-8"))["data"] == expected


def test_a_changed_file_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('name = "avant"\n', encoding="utf-8")
    assert tomlcache.load(path) == {"name": "avant"}
    path.write_text('name = "après"\n', encoding="utf-8")
    assert tomlcache.load(path) == {"name": "après"}


def test_an_entry_for_other_text_is_not_used(cache: Path, tmp_path: Path) -> None:
    """A damaged entry, or one whose name collides, holds other text: it is ignored."""
    path = tmp_path / "c.toml"
    path.write_text("n = 1\n", encoding="utf-8")
    tomlcache.load(path)
    [entry] = list(cache.iterdir())
    stored = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(json.dumps({**stored, "source": "n = 2\n", "data": {"n": 2}}))
    assert tomlcache.load(path) == {"n": 1}
    entry.write_text("{ not json")
    assert tomlcache.load(path) == {"n": 1}


def test_works_without_a_usable_cache_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # a file: no directory under it
    path = tmp_path / "c.toml"
    path.write_text("n = 1\n", encoding="utf-8")
    assert tomlcache.load(path) == {"n": 1}
    assert tomlcache.load(path) == {"n": 1}


def test_dates_are_parsed_but_not_kept(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("when = 2026-11-23\n", encoding="utf-8")
    assert str(tomlcache.load(path)["when"]) == "2026-11-23"
    assert not cache.exists() or not list(cache.iterdir())


def test_errors_are_those_of_reading_and_parsing(cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("n = \n", encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError):
        tomlcache.load(bad)
    latin = tmp_path / "latin.toml"
    latin.write_bytes('n = "é"\n'.encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        tomlcache.load(latin)
    with pytest.raises(FileNotFoundError):
        tomlcache.load(tmp_path / "missing.toml")
    assert not cache.exists() or not list(cache.iterdir())
    assert not [p for p in tmp_path.rglob("*.tmp")]
    assert os.environ["XDG_CACHE_HOME"].startswith(str(tmp_path))
