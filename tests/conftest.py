"""Fixtures shared by the whole suite: settings in a temporary data dir, databases, ports."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from helpdesk.config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _shared_dir() -> Path:
    """The shared corpora and seeds: $HELPDESK_SHARED_DIR, ../shared beside the checkout,
    or the workplace's /work/shared (a fresh clone elsewhere still finds it)."""
    if os.environ.get("HELPDESK_SHARED_DIR"):
        return Path(os.environ["HELPDESK_SHARED_DIR"])
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared"


SHARED = _shared_dir()


def missing_peer(problem: str) -> NoReturn:
    """A real peer (service, tool, browser, corpus) a test needs is missing: a failure under
    CI=true, where `make test` installs every peer, a skip saying why anywhere else."""
    if IN_CI:
        pytest.fail(f"required in CI (CI=true): {problem}")
    pytest.skip(problem)  # only outside CI: under CI=true the line above has failed


def require_shared(path: Path) -> Path:
    """`path` under the shared corpora (HELPDESK_SHARED_DIR to point elsewhere)."""
    if not path.exists():
        missing_peer(f"shared corpus file {path} is not present")
    return path


POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    """HELPDESK_* variables of an isolated instance (no system DNS, no SMTP listener)."""
    return {
        "HELPDESK_DATA_DIR": str(data_dir),
        "HELPDESK_HTTP": f"127.0.0.1:{free_port()}",
        "HELPDESK_SMTP_LISTEN": "",
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(env)


async def _postgres_reachable() -> str | None:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(POSTGRES_ADMIN_URL), 5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards.

    Skips when PostgreSQL is unreachable, except under CI=true where that is a failure.
    """
    import asyncpg

    problem = await _postgres_reachable()
    if problem is not None:
        missing_peer(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {problem}")
    name = f"helpdesk_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """Each storage test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        data_dir.mkdir(parents=True, exist_ok=True)
        yield f"sqlite+aiosqlite:///{data_dir / 'test.sqlite3'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
async def migrated_engine(database_url: str) -> AsyncIterator[Any]:
    """A migrated store on SQLite, then on PostgreSQL (see `database_url`)."""
    from helpdesk.db import create_engine
    from helpdesk.db.migrate import upgrade

    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[Any]:
    """A migrated SQLite store of its own, for tests that need a database but not both."""
    from helpdesk.db import create_engine
    from helpdesk.db.migrate import upgrade

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}")
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def no_helpdesk_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The developer's own HELPDESK_* variables must not leak into CLI tests."""
    for name in list(os.environ):
        if name.startswith("HELPDESK_"):
            monkeypatch.delenv(name)
    return


@pytest.fixture(scope="session")
def understanding() -> Any:
    """The intent model trained once for the whole run (training takes seconds)."""
    from helpdesk.kb_paths import KB_DIR
    from helpdesk.understanding import Understanding

    return Understanding.load(KB_DIR)
