"""End to end on a real Dovecot: CLI, chat, relay, reset page, then IMAP log-ins.

Dovecot (Debian's dovecot-imapd + dovecot-sqlite) runs as a private child process whose
SQL passdb reads the embedded store's SQLite file, as a provider's would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import aioimaplib
import pytest

from helpdesk.config import Settings
from tests.conftest import missing_peer
from tests.helpdesk.mailbox import dovecot
from tests.helpdesk.mailbox.conftest import PUBLIC_URL, Desk, as_browser, cli, csrf_of
from tests.helpdesk.mailbox.test_reset_flow import LINK, reset_answer

OLD, NEW = "Ancien-Secret-42", "Nouveau-Secret-77"


@pytest.fixture
def dovecot_available() -> None:
    problem = dovecot.missing()
    if problem is not None:
        missing_peer(problem)


async def imap_login(port: int, user: str, password: str) -> str:
    """`OK` or `NO`: what Dovecot answers to LOGIN."""
    client = aioimaplib.IMAP4(host="127.0.0.1", port=port, timeout=15)
    await client.wait_hello_from_server()
    response = await client.login(user, password)
    await client.logout()
    return str(response.result)


def sqlite_path(settings: Settings) -> Path:
    return Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))


@pytest.fixture
def running(desk_settings: Settings, dovecot_available: None) -> Iterator[dovecot.Dovecot]:
    sqlite_path(desk_settings).parent.mkdir(parents=True, exist_ok=True)
    with dovecot.running_dovecot(sqlite_path(desk_settings)) as server:
        yield server


async def test_reset_from_the_chat_changes_the_imap_password(
    desk: Desk,
    env: dict[str, str],
    running: dovecot.Dovecot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """CLI creates the mailbox, the chat asks for a reset, the mailed link sets a new password,
    and Dovecot accepts the new password and refuses the old one."""
    caplog.set_level(logging.DEBUG)
    settings_env = {**env, "HELPDESK_SMTP_RELAY": desk.relay.url, "HELPDESK_PUBLIC_URL": PUBLIC_URL}
    added = cli(
        settings_env,
        "mailbox",
        "add",
        "Jean.Dupont@exemple.fr",
        "--recovery",
        "jean.perso@ailleurs.example",
        "--quota",
        "5G",
        "--label",
        "Jean Dupont",
        stdin=OLD + "\n",
    )
    assert added.returncode == 0, added.stderr
    shown = cli(settings_env, "mailbox", "show", "jean.dupont@exemple.fr", "--json")
    assert '"recovery_address": "jean.perso@ailleurs.example"' in shown.stdout
    user = "jean.dupont@exemple.fr"
    assert await imap_login(running.port, user, OLD) == "OK", running.log()

    frame, _ = await reset_answer(desk, "jean.dupont@exemple.fr")
    assert "secours" in frame["text"]
    [mail] = await desk.reset_mails(1)
    assert mail.rcpt_tos == ["jean.perso@ailleurs.example"]
    found = LINK.search(mail.message.get_content())
    assert found is not None
    link = found.group(0)
    token = link.rsplit("/", 1)[1]
    path = link.removeprefix(PUBLIC_URL)

    page = await desk.client.get(path)
    assert page.status == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    csrf = await csrf_of(page)
    done = await desk.client.post(
        path,
        data={"csrf": csrf, "lang": "fr", "password": NEW, "confirm": NEW},
        headers=as_browser(csrf),
    )
    assert done.status == 200, await done.text()

    assert await imap_login(running.port, user, NEW) == "OK", running.log()
    assert await imap_login(running.port, user, OLD) == "NO"
    notices = (await desk.relay.wait_for(3))[1:]
    assert sorted(m.rcpt_tos[0] for m in notices) == [
        "jean.dupont@exemple.fr",
        "jean.perso@ailleurs.example",
    ]
    await asyncio.sleep(0)  # let the last log records land
    ours = [r for r in caplog.records if r.name != "mail.log"]  # mail.log: the test relay
    assert not [r for r in ours if token in r.getMessage() + repr(vars(r))]
    assert token not in running.log()


async def test_suspended_mailbox_cannot_log_in(
    desk: Desk, env: dict[str, str], running: dovecot.Dovecot
) -> None:
    """The passdb query honours suspensions: suspended, refused; resumed, accepted."""
    settings_env = {**env, "HELPDESK_SMTP_RELAY": desk.relay.url}
    assert (
        cli(
            settings_env,
            "mailbox",
            "add",
            "anne@exemple.fr",
            "--recovery",
            "anne@ailleurs.example",
            stdin=OLD,
        ).returncode
        == 0
    )
    assert await imap_login(running.port, "anne@exemple.fr", OLD) == "OK"
    assert (
        cli(settings_env, "mailbox", "suspend", "anne@exemple.fr", "--hours", "72").returncode == 0
    )
    assert await imap_login(running.port, "anne@exemple.fr", OLD) == "NO"
    assert cli(settings_env, "mailbox", "resume", "anne@exemple.fr").returncode == 0
    assert await imap_login(running.port, "anne@exemple.fr", OLD) == "OK"
