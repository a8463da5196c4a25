"""The `helpdesk` command: config check, migrate, staff add, and its exit statuses."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.cli import main
from helpdesk.db import StaffUser, create_engine, session_factory
from helpdesk.db.migrate import head_revision

pytestmark = pytest.mark.usefixtures("no_helpdesk_env")


def run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *argv: str, stdin: str = "") -> int:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def test_config_check_prints_effective_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """config check prints every key, secrets masked, and exits 0."""
    env = env | {
        "HELPDESK_SMTP_RELAY": "smtps://bot:relay-pass@relay.example.net",
        "HELPDESK_SECRET_KEY": "very-secret-key",
    }
    assert run(monkeypatch, env, "config", "check") == 0
    out = capsys.readouterr().out
    assert "provider.imap.port = 993" in out
    assert 'smtp_relay = "smtps://bot:********@relay.example.net:465"' in out
    assert "relay-pass" not in out
    assert "very-secret-key" not in out


def test_config_check_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """config check --json prints one JSON object."""
    assert run(monkeypatch, env, "config", "check", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["provider"]["servers"] == ["mail.zindex.fr", "mail2.zindex.fr"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[helpdesk]\nhtpp = "127.0.0.1:1"\n',
            "helpdesk: config: unknown key 'helpdesk.htpp' (did you mean 'helpdesk.http'?)\n",
        ),
        (
            '[provider.smtp]\nport = "465"\nsecurity = 1\n',
            "helpdesk: config: provider.smtp.security: expected a string, got int\n",
        ),
    ],
)
def test_config_check_bad_file_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    tmp_path: Path,
    text: str,
    expected: str,
) -> None:
    """A typo or a wrong type exits 1 with one precise line on stderr and nothing on stdout."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    assert (
        run(
            monkeypatch,
            env | {"HELPDESK_SECRET_KEY": "hush-hush"},
            "--config",
            str(path),
            "config",
            "check",
        )
        == 1
    )
    captured = capsys.readouterr()
    assert captured.err == expected
    assert captured.out == ""
    assert "hush-hush" not in captured.err


def test_bad_value_never_echoes_a_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """An invalid database URL is reported with its password masked."""
    env = env | {"HELPDESK_DATABASE_URL": "mysql://root:db-pass@db/x"}
    assert run(monkeypatch, env, "config", "check") == 1
    err = capsys.readouterr().err
    assert "db-pass" not in err
    assert "HELPDESK_DATABASE_URL" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown subcommand is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def staff_rows(data_dir: Path) -> list[tuple[str, str, str]]:
    async def go() -> list[tuple[str, str, str]]:
        engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'helpdesk.sqlite3'}")
        async with session_factory(engine)() as session:
            rows = (await session.scalars(select(StaffUser))).all()
        await engine.dispose()
        return [(r.email, r.role, r.password_hash) for r in rows]

    return asyncio.run(go())


def test_migrate_then_staff_add(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    data_dir: Path,
) -> None:
    """staff add stores the account with an argon2id hash of the password read on stdin."""
    assert run(monkeypatch, env, "migrate") == 0
    assert f"database at revision {head_revision()}" in capsys.readouterr().out
    assert (
        run(
            monkeypatch,
            env,
            "staff",
            "add",
            "Agent@Example.net",
            "--role",
            "agent",
            stdin="correct horse battery\n",
        )
        == 0
    )
    assert "staff account agent@example.net created" in capsys.readouterr().out
    [(email, role, hashed)] = staff_rows(data_dir)
    assert (email, role) == ("agent@example.net", "agent")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (
            ["staff", "add", "not-an-email", "--role", "agent"],
            "long enough pw\n",
            "not an email address",
        ),
        (["staff", "add", "a@example.net", "--role", "agent"], "short\n", "at least 10 characters"),
        (
            ["staff", "add", "a@example.net", "--role", "agent"],
            "",
            "expected the password on standard input",
        ),
    ],
)
def test_staff_add_bad_input(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    argv: list[str],
    stdin: str,
    message: str,
) -> None:
    """Bad email, short or missing password: exit 1 with one line, nothing stored."""
    assert run(monkeypatch, env, "migrate") == 0
    assert run(monkeypatch, env, *argv, stdin=stdin) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_staff_add_duplicate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """Adding the same email twice is refused with exit 1."""
    assert run(monkeypatch, env, "migrate") == 0
    argv = ("staff", "add", "boss@example.net", "--role", "admin")
    assert run(monkeypatch, env, *argv, stdin="first password!\n") == 0
    assert run(monkeypatch, env, *argv, stdin="second password!\n") == 1
    assert "already exists" in capsys.readouterr().err


def test_staff_add_bad_role_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """An unknown role is rejected by the parser (exit 2)."""
    with pytest.raises(SystemExit) as info:
        run(monkeypatch, env, "staff", "add", "a@example.net", "--role", "root")
    assert info.value.code == 2


def test_serve_refuses_an_unmigrated_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """serve on an empty database says to run migrate, and exits 1."""
    assert run(monkeypatch, env, "serve") == 1
    assert "run `helpdesk migrate` first" in capsys.readouterr().err


def test_a_command_imports_only_its_own_module() -> None:
    """`helpdesk bounce` loads only its own command: not asyncio, the web app or the database."""
    code = (
        "import sys; from helpdesk.cli import main; "
        "main(['bounce', '--json', '-']); "
        "print(sorted(m for m in ('asyncio', 'aiohttp', 'sqlalchemy', 'helpdesk.cli.serve') "
        "if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input="552 5.3.4 too big", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
