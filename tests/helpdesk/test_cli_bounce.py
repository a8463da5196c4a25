"""`helpdesk bounce`: JSON lines, readable text, stdin, languages and exit statuses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk.cli import main
from tests.conftest import REPO

DATA = REPO / "tests" / "data" / "bounces"
KEYS = {"file", "reason", "status", "replycode", "recipient", "recipients", "explanation"}

pytestmark = pytest.mark.usefixtures("no_helpdesk_env")


def run(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *argv: str, stdin: bytes = b""
) -> int:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    return main(list(argv))


def test_json_one_object_per_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """--json prints one object per file, with the contract's keys, in order."""
    files = [str(DATA / "orange-userunknown.eml"), str(DATA / "multi-recipients.eml")]
    assert run(monkeypatch, env, "bounce", "--json", *files) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) >= KEYS
    assert first["file"] == files[0]
    assert first["reason"] == "userunknown"
    assert first["recipient"] == "jean.dupont@orange.fr"
    assert [r["reason"] for r in second["recipients"]] == ["userunknown", "mailboxfull"]
    # contracts.md: "recipients (list of objects with the same keys)"
    assert all(KEYS - {"recipients"} <= set(r) for r in second["recipients"])
    assert all(r["file"] == files[1] for r in second["recipients"])


def test_stdin_dash_and_language(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """`-` reads standard input; --lang en words the explanation in English."""
    stdin = "Boîte aux lettres pleine : 452 4.2.2 Mailbox full".encode()
    assert run(monkeypatch, env, "bounce", "--json", "--lang", "en", "-", stdin=stdin) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["file"] == "-"
    assert line["reason"] == "mailboxfull"
    assert "mailbox is full" in line["explanation"]


def test_readable_output_in_french(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """Without --json the report is readable text, French by default."""
    assert run(monkeypatch, env, "bounce", str(DATA / "laposte-toobig.eml")) == 0
    out = capsys.readouterr().out
    assert "trop volumineux" in out
    assert "20 Mo" in out
    assert "Que faire" in out


def test_missing_file_continues_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """A missing file is one line on stderr; the other files are still done; exit 1."""
    good = str(DATA / "free-userunknown.eml")
    code = run(monkeypatch, env, "bounce", "--json", "/nonexistent/bounce.eml", good)
    assert code == 1
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 1
    assert json.loads(captured.out)["reason"] == "userunknown"
    assert "/nonexistent/bounce.eml" in captured.err


def test_usage_error_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str]
) -> None:
    """No file, or an unknown language, is a usage error."""
    with pytest.raises(SystemExit) as exc:
        run(monkeypatch, env, "bounce")
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        run(monkeypatch, env, "bounce", "--lang", "de", "x")
    assert exc.value.code == 2


def test_json_is_utf8_and_nothing_else(env: dict[str, str], tmp_path: Path) -> None:
    """The real command writes UTF-8 JSON lines only, even for binary input."""
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 10)
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk", "bounce", "--json", str(garbage)],
        capture_output=True,
        env=env | {"PATH": "/usr/bin:/bin"},
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout.decode("utf-8"))
    assert line["reason"] == "undefined"


def test_wording_uses_the_configured_profile(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    """The provider facts of --config reach the explanation (35 MB, not the default 20)."""
    config = tmp_path / "helpdesk.toml"
    config.write_text("[provider]\nmessage_size_limit_mb = 35\n", encoding="utf-8")
    toobig = str(DATA / "laposte-toobig.eml")
    assert run(monkeypatch, env, "--config", str(config), "bounce", toobig) == 0
    out = capsys.readouterr().out
    assert "35 Mo" in out
    assert "20 Mo" not in out


def test_bad_provider_value_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    """A bad provider value, or an unknown HELPDESK_* variable, stops the command: exit 1,
    one line naming the key, nothing on stdout."""
    config = tmp_path / "helpdesk.toml"
    config.write_text('[provider]\nmessage_size_limit_mb = "big"\n', encoding="utf-8")
    toobig = str(DATA / "laposte-toobig.eml")
    assert run(monkeypatch, env, "--config", str(config), "bounce", toobig) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "provider.message_size_limit_mb" in captured.err
    env = env | {"HELPDESK_SIZE_LIMIT": "35"}
    assert run(monkeypatch, env, "bounce", toobig) == 1
    assert "HELPDESK_SIZE_LIMIT" in capsys.readouterr().err
