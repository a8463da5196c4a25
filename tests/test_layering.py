"""Boundaries of design.md: diagnostics/ stays a pure library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

FORBIDDEN = ("helpdesk", "aiohttp", "sqlalchemy", "jinja2", "alembic", "aiosmtplib", "aiosmtpd")
SOURCES = sorted((REPO / "diagnostics").rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_diagnostics_imports_no_application_layer(path: Path) -> None:
    """No module of diagnostics/ imports the app, a web, database or template package."""
    bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_importing_diagnostics_loads_no_forbidden_package() -> None:
    """Importing every diagnostics module at run time pulls none of them in indirectly."""
    modules = [
        ".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for p in SOURCES
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_layering_check_catches_a_violation(tmp_path: Path) -> None:
    """The import scan sees both `import x` and `from x import y` forms."""
    sample = tmp_path / "bad.py"
    sample.write_text("import aiohttp.web\nfrom sqlalchemy import select\nfrom . import ok\n")
    assert imported_modules(sample) == {"aiohttp.web", "sqlalchemy"}
