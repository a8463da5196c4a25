"""`helpdesk mailbox …`: the commands of contracts.md, their output and exit statuses."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest

from helpdesk.cli import main

pytestmark = pytest.mark.usefixtures("no_helpdesk_env")

Run = Callable[..., int]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Run:
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def invoke(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(["mailbox", *argv])

    assert main(["migrate"]) == 0
    return invoke


def test_add_show_list(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    """add stores the mailbox; show and list print it, as text or JSON."""
    assert (
        run(
            "add",
            "Jean@Exemple.fr",
            "--recovery",
            "jean@ailleurs.example",
            "--quota",
            "1.5G",
            "--server",
            "mail2.zindex.fr",
            "--label",
            "Jean",
            stdin="Ourson-bleu-7\n",
        )
        == 0
    )
    assert "mailbox jean@exemple.fr created on mail2.zindex.fr" in capsys.readouterr().out
    assert run("show", "jean@exemple.fr", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["quota_bytes"] == 1610612736 and data["server"] == "mail2.zindex.fr"
    assert data["label"] == "Jean" and data["status"] == "active"
    assert "password" not in json.dumps(data).replace("password_changed_at", "")
    assert run("show", "jean@exemple.fr") == 0
    assert "recovery_address: jean@ailleurs.example" in capsys.readouterr().out
    assert run("list") == 0
    assert (
        capsys.readouterr().out
        == "jean@exemple.fr\tactive\tmail2.zindex.fr\tjean@ailleurs.example\n"
    )


def test_suspend_resume_set_password(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    """suspend (with an end or not), resume and set-password report what they did."""
    run("add", "jean@exemple.fr", "--recovery", "jean@ailleurs.example", stdin="Ourson-bleu-7")
    capsys.readouterr()
    assert run("suspend", "jean@exemple.fr", "--hours", "72") == 0
    assert "suspended until" in capsys.readouterr().out
    assert run("suspend", "jean@exemple.fr") == 0
    assert "until resumed" in capsys.readouterr().out
    assert run("resume", "jean@exemple.fr") == 0
    assert run("set-password", "jean@exemple.fr", stdin="Girafe-verte-8\n") == 0
    assert "reset links are void" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (
            ["add", "jean@exemple.fr", "--recovery", "x@ailleurs.example"],
            "court",
            "at least 8 characters",
        ),
        (
            ["add", "jean@exemple.fr", "--recovery", "x@ailleurs.example"],
            "azerty123",
            "too easy to guess",
        ),
        (
            ["add", "jean@exemple.fr", "--recovery", "x@ailleurs.example"],
            "",
            "expected the password on standard input",
        ),
        (
            ["add", "jean@exemple.fr", "--recovery", "jean@exemple.fr"],
            "Ourson-bleu-7",
            "recovery address must be another",
        ),
        (
            ["add", "pas-une-adresse", "--recovery", "x@ailleurs.example"],
            "Ourson-bleu-7",
            "not an email address",
        ),
        (
            ["add", "jean@exemple.fr", "--recovery", "x@ailleurs.example", "--quota", "lots"],
            "Ourson-bleu-7",
            "--quota",
        ),
        (
            ["add", "jean@exemple.fr", "--recovery", "x@ailleurs.example", "--server", "mx.other"],
            "Ourson-bleu-7",
            "not one of the provider's servers",
        ),
        (["show", "nobody@exemple.fr"], "", "no mailbox nobody@exemple.fr"),
        (["set-password", "nobody@exemple.fr"], "Ourson-bleu-7", "no mailbox nobody@exemple.fr"),
        (["suspend", "nobody@exemple.fr"], "", "no mailbox nobody@exemple.fr"),
        (["suspend", "nobody@exemple.fr", "--hours", "0"], "", "--hours"),
    ],
)
def test_user_errors_are_one_line(
    run: Run, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str, message: str
) -> None:
    """Bad input exits 1 with one line on stderr naming the problem."""
    assert run(*argv, stdin=stdin) == 1
    err = capsys.readouterr().err
    assert err.startswith("helpdesk: ") and err.count("\n") == 1 and message in err


def test_duplicate_is_refused(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    """A second add of the same address exits 1."""
    assert (
        run("add", "jean@exemple.fr", "--recovery", "x@ailleurs.example", stdin="Ourson-bleu-7")
        == 0
    )
    assert (
        run("add", "JEAN@exemple.fr", "--recovery", "x@ailleurs.example", stdin="Ourson-bleu-7")
        == 1
    )
    assert "already exists" in capsys.readouterr().err


def test_unmigrated_store_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without `helpdesk migrate`, the command says to run it."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["mailbox", "list"]) == 1
    assert "run `helpdesk migrate` first" in capsys.readouterr().err


def test_usage_error_exits_2(run: Run) -> None:
    """A missing --recovery is a usage error."""
    with pytest.raises(SystemExit) as exc:
        run("add", "jean@exemple.fr")
    assert exc.value.code == 2
