"""The wheel as an operator installs it: built from the sources, installed with pip into a
fresh virtualenv outside the checkout, it migrates and serves with its own templates,
knowledge base, static files and migrations."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port
from tests.helpdesk.test_serve import wait_healthy

# What a build or a run leaves in a checkout, and what the wheel does not ship.
NOT_SOURCES = {
    ".git", ".venv", "var", "build", "dist", "tests", "bench", ".hypothesis", ".mypy_cache",
    ".pytest_cache", ".ruff_cache",
}  # fmt: skip


@dataclass(frozen=True)
class Installed:
    sources: Path  # the copy of the checkout the wheel was built from
    wheel: Path
    venv: Path
    outside: Path  # a folder outside both the checkout and the virtualenv, to run in

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would lead Python to the checkout."""
    drop = ("HELPDESK_", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)} | extra


def copy_sources(checkout: Path, target: Path) -> None:
    """Copy the checkout as a clone would hold it, so that building leaves no trace in it
    (other runs may be building at the same time)."""
    target.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for entry in checkout.iterdir():
        if entry.name in NOT_SOURCES or entry.name.endswith(".egg-info"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target / entry.name, symlinks=True, ignore=skip)
        else:
            shutil.copy2(entry, target / entry.name, follow_symlinks=False)


def run(command: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel and pip-install it, dependencies included, into a new virtualenv."""
    root = tmp_path_factory.mktemp("wheel")
    sources, dist, venv, outside = root / "src", root / "dist", root / "venv", root / "run"
    outside.mkdir()
    copy_sources(REPO, sources)
    env = clean_env()
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, sources], root, env)
    (wheel,) = dist.glob("*.whl")
    # The development pip installs into the new virtualenv (`--python`): the same install,
    # without spending seconds on putting a pip of its own there first.
    run([sys.executable, "-m", "venv", "--without-pip", venv], root, env)
    pip_install = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install"]
    run([*pip_install, "-q", wheel], outside, env)
    yield Installed(sources, wheel, venv, outside)
    shutil.rmtree(root)  # some 400 MB that pytest would otherwise keep for three runs


def test_wheel_holds_every_module_and_data_file(installed: Installed) -> None:
    """The wheel holds every module and every template, article, static file and migration."""
    src = installed.sources
    # rglob does not follow the links helpdesk/_templates and helpdesk/_kb
    expected = {
        path.relative_to(src).as_posix()
        for path in [*(src / "helpdesk").rglob("*"), *(src / "diagnostics").rglob("*.py")]
        if path.is_file()
    }
    for shipped, top in (("helpdesk/_templates", "templates"), ("helpdesk/_kb", "kb")):
        expected |= {
            f"{shipped}/{p.relative_to(src / top).as_posix()}"
            for p in (src / top).rglob("*")
            if p.is_file()
        }
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert expected - names == set()
    assert "helpdesk/_templates/kb/index.html" in names
    assert "helpdesk/migrations/versions/0001_initial.py" in names


def test_installed_package_finds_its_files_inside_the_virtualenv(installed: Installed) -> None:
    """Imported from the new virtualenv, helpdesk finds every data folder inside it."""
    probe = (
        "import json, helpdesk, helpdesk.resources as r; print(json.dumps({'package': "
        "helpdesk.__file__, **{n: str(getattr(r, n)) for n in r.__all__}}))"
    )
    out = run([installed.bin("python"), "-c", probe], installed.outside, clean_env())
    found = {name: Path(value) for name, value in json.loads(out).items()}
    venv = installed.venv.resolve()
    assert set(found) == {
        "package", "PACKAGE_DIR", "TEMPLATES_DIR", "KB_DIR", "STATIC_DIR", "DEFAULT_CONFIG",
        "MIGRATIONS_DIR",
    }  # fmt: skip
    for name, path in found.items():
        assert path.resolve().is_relative_to(venv), (name, path)
        assert path.exists(), (name, path)
        assert not path.resolve().is_relative_to(REPO), (name, path)


def test_installed_wheel_migrates_and_serves(installed: Installed) -> None:
    """Installed, `helpdesk migrate` and `helpdesk serve` answer /healthz, /kb/, / and /widget.js."""
    http = f"127.0.0.1:{free_port()}"
    env = clean_env(
        HELPDESK_DATA_DIR=str(installed.outside / "var"),
        HELPDESK_HTTP=http,
        HELPDESK_PUBLIC_URL=f"http://{http}",
        HELPDESK_SMTP_LISTEN="",
        PYTHONDEVMODE="1",
        PYTHONWARNINGS="default",
    )
    helpdesk = installed.bin("helpdesk")
    run([helpdesk, "migrate"], installed.outside, env)
    log = installed.outside / "serve.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [helpdesk, "serve"], cwd=installed.outside, env=env, stdout=stderr, stderr=stderr
        )
    try:
        try:
            assert wait_healthy(f"http://{http}/healthz", proc, timeout=60) == 200
        except AssertionError as exc:
            raise AssertionError(log.read_text(encoding="utf-8")) from exc
        pages = {
            path: get(f"http://{http}{path}")
            for path in ("/kb/?lang=fr", "/kb/?lang=en", "/kb/en/alias", "/", "/widget.js")
        }
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(encoding="utf-8")
    assert proc.returncode == 0, text
    for bad in ("Warning", "Traceback", "ERROR"):
        assert bad not in text, text
    assert "Créer un alias" in pages["/kb/?lang=fr"]  # an article title, from kb/fr/
    assert 'href="/kb/en/alias"' in pages["/kb/?lang=en"]
    assert "<h1" in pages["/kb/en/alias"]
    assert "/widget.js" in pages["/"]
    source = installed.sources / "helpdesk" / "static" / "widget.js"
    assert pages["/widget.js"] == source.read_text(encoding="utf-8")


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback URL
        assert resp.status == 200, url
        return str(resp.read().decode("utf-8"))
