"""The settings sheet: a one-time link from the CLI to the recovery address, opened once."""

from __future__ import annotations

import re

from helpdesk.keys import OUTBOX
from helpdesk.mailbox.service import NewMailbox
from tests.helpdesk.mailbox.conftest import PUBLIC_URL, Desk, as_browser, cli, csrf_of

SHEET = re.compile(re.escape(PUBLIC_URL) + r"/settings/[A-Za-z0-9_-]{43}")
JEAN = NewMailbox(
    "jean@exemple.fr", "Ourson-bleu-7", "jean.perso@ailleurs.example", "mail2.zindex.fr"
)


async def test_sheet_link_shows_the_settings_once(desk: Desk, env: dict[str, str]) -> None:
    """The mailed link shows the mailbox's servers, ports and security once, never a password."""
    await desk.mailboxes.create(JEAN)
    settings_env = {**env, "HELPDESK_SMTP_RELAY": desk.relay.url, "HELPDESK_PUBLIC_URL": PUBLIC_URL}
    sent = cli(settings_env, "mailbox", "send-settings", JEAN.address, "--lang", "en")
    assert sent.returncode == 0, sent.stderr
    assert "jean.perso@ailleurs.example" in sent.stdout
    desk.app[OUTBOX].wakeup.set()  # the CLI wrote to the outbox; the server's sender sends
    [mail] = await desk.relay.wait_for(1)
    assert mail.rcpt_tos == ["jean.perso@ailleurs.example"]
    assert mail.message["Subject"] == "The settings of your mailbox jean@exemple.fr"
    found = SHEET.search(mail.message.get_content())
    assert found is not None
    path = found.group(0).removeprefix(PUBLIC_URL)

    for _ in range(2):  # a GET consumes nothing
        gate = await desk.client.get(path)
        assert gate.status == 200 and "Show the settings" in await gate.text()
    assert gate.headers["Referrer-Policy"] == "no-referrer"
    token = await csrf_of(gate)
    assert (
        await desk.client.post(path, data={"lang": "en"}, headers=as_browser(token))
    ).status == 403
    sheet = await desk.client.post(
        path, data={"csrf": token, "lang": "en"}, headers=as_browser(token)
    )
    assert sheet.status == 200
    html = await sheet.text()
    for fact in (
        "jean@exemple.fr",
        "mail2.zindex.fr",
        "993",
        "995",
        "465",
        "SSL/TLS",
        "https://webmail.zindex.fr",
        "https://mail2.zindex.fr:8443",
    ):
        assert fact in html, fact
    assert JEAN.password not in html
    again = await desk.client.post(
        path, data={"csrf": token, "lang": "en"}, headers=as_browser(token)
    )
    assert again.status == 410 and "no longer valid" in await again.text()


async def test_sheet_needs_a_recovery_address(desk: Desk, env: dict[str, str]) -> None:
    """Without a recovery address (or a mailbox) the CLI says so and exits 1."""
    await desk.mailboxes.create(
        NewMailbox("anne@exemple.fr", "Ourson-bleu-7", None, "mail.zindex.fr")
    )
    settings_env = {**env, "HELPDESK_SMTP_RELAY": desk.relay.url}
    none = cli(settings_env, "mailbox", "send-settings", "anne@exemple.fr")
    assert none.returncode == 1 and "has no recovery address" in none.stderr
    unknown = cli(settings_env, "mailbox", "send-settings", "nobody@exemple.fr")
    assert unknown.returncode == 1 and "no mailbox nobody@exemple.fr" in unknown.stderr
