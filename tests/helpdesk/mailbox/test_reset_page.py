"""The reset page: a GET consumes nothing, the POST needs CSRF, the policy and a valid link."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from datetime import timedelta

import pytest
from aiohttp import ClientResponse
from sqlalchemy import select, text

from helpdesk.db.models import OutboxMail, OutboxStatus, Ticket, TicketEvent, utcnow
from helpdesk.keys import SESSIONS
from helpdesk.mailbox.embedded import EmbeddedMailboxService
from helpdesk.mailbox.models import MailboxLink, MailboxRow
from helpdesk.mailbox.passwords import verify_password
from helpdesk.mailbox.service import LinkState
from tests.helpdesk.mailbox.conftest import PUBLIC_URL, Desk, as_browser, csrf_of
from tests.helpdesk.mailbox.test_reset_flow import JEAN, LINK, reset_answer

NEW_PASSWORD = "Vacances-en-Bretagne-7"


async def link_path(desk: Desk, lang: str = "fr") -> str:
    """Ask for a reset in the chat and return the path of the mailed link."""
    await desk.mailboxes.create(JEAN)
    await reset_answer(desk, JEAN.address, lang)
    [mail] = await desk.reset_mails(1)
    found = LINK.search(mail.message.get_content())
    assert found is not None
    return found.group(0).removeprefix(PUBLIC_URL)


async def stored_hash(desk: Desk) -> str:
    async with desk.app[SESSIONS]() as session:
        value = await session.scalar(
            select(MailboxRow.password_hash).where(MailboxRow.address == JEAN.address)
        )
    assert value is not None
    return value


async def submit(
    desk: Desk, path: str, password: str, confirm: str | None = None
) -> ClientResponse:
    page = await desk.client.get(path)
    token = await csrf_of(page)
    return await desk.client.post(
        path,
        data={"csrf": token, "lang": "fr", "password": password, "confirm": confirm or password},
        headers=as_browser(token),
    )


async def test_get_shows_the_form_and_consumes_nothing(desk: Desk) -> None:
    """The page can be fetched any number of times (link scanners), with the right headers."""
    path = await link_path(desk)
    for _ in range(3):
        page = await desk.client.get(path)
        assert page.status == 200
    html = await page.text()
    assert "jean@exemple.fr" in html and 'autocomplete="new-password"' in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    # The generator is a script file; there is no inline script for the CSP to block.
    assert '<script src="/reset.js" defer></script>' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert 'id="generate"' in html
    cookie = page.cookies["reset_csrf"]
    assert cookie.value == await csrf_of(page)
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/reset"
    assert cookie["secure"]  # the public URL is https
    assert (await desk.resets.check(path.rsplit("/", 1)[1])).state == LinkState.VALID


async def test_reset_works_once(desk: Desk) -> None:
    """The POST sets the password, notifies both addresses, and the link is then refused."""
    path = await link_path(desk)
    before = await stored_hash(desk)
    done = await submit(desk, path, NEW_PASSWORD)
    assert done.status == 200, await done.text()
    assert "Mot de passe changé" in await done.text()
    assert done.headers["Referrer-Policy"] == "no-referrer"
    after = await stored_hash(desk)
    assert after != before and after.startswith("{ARGON2ID}$argon2id$")
    assert verify_password(after, NEW_PASSWORD) and not verify_password(after, JEAN.password)
    notices = (await desk.relay.wait_for(3))[1:]
    assert sorted(m.rcpt_tos[0] for m in notices) == sorted([JEAN.address, JEAN.recovery_address])
    assert all("a été changé" in m.message["Subject"] for m in notices)

    again = await desk.client.get(path)
    assert again.status == 410
    text = await again.text()
    assert "plus valable" in text and 'action="/reset"' in text
    token = await csrf_of(again)
    replay = await desk.client.post(
        path,
        data={"csrf": token, "password": "Autre-chose-9", "confirm": "Autre-chose-9"},
        headers=as_browser(token),
    )
    assert replay.status == 410
    assert await stored_hash(desk) == after
    async with desk.app[SESSIONS]() as session:
        kinds = [e.kind for e in await session.scalars(select(TicketEvent))]
    assert "password_reset.used" in kinds and "password_reset.failed" in kinds


@pytest.mark.parametrize(
    ("password", "confirm", "says"),
    [
        ("Court-1", None, "au moins 8 caractères"),
        ("-Commence-mal-42", None, "commencer par une lettre ou un chiffre"),
        ("Azerty123!", None, "trop facile à deviner"),
        ("motdepasse2024", None, "trop facile à deviner"),
        ("Jean-Dupont-2024x", None, "reprendre votre adresse"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "ne sont pas identiques"),
    ],
)
async def test_policy_is_enforced(
    desk: Desk, password: str, confirm: str | None, says: str
) -> None:
    """A password that breaks the provider's rules is refused with the reason; the link stays."""
    path = await link_path(desk)
    before = await stored_hash(desk)
    refused = await submit(desk, path, password, confirm)
    assert refused.status == 400
    assert says in await refused.text()
    assert await stored_hash(desk) == before
    assert (await desk.client.get(path)).status == 200


async def test_csrf_is_required(desk: Desk) -> None:
    """A POST without the matching CSRF token changes nothing."""
    path = await link_path(desk)
    before = await stored_hash(desk)
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "lang": "fr"}
    token = await csrf_of(await desk.client.get(path))
    no_field = await desk.client.post(path, data=form, headers=as_browser(token))
    assert no_field.status == 403
    assert "la page a expiré" in await no_field.text()
    no_cookie = await desk.client.post(path, data={**form, "csrf": token})
    assert no_cookie.status == 403
    forged = await desk.client.post(
        path, data={**form, "csrf": "x" * 43}, headers=as_browser(token)
    )
    assert forged.status == 403
    assert await stored_hash(desk) == before


async def test_expired_and_unknown_links_get_one_clear_page(desk: Desk) -> None:
    """Expired, voided and unknown links all get the same page offering a new request."""
    await desk.mailboxes.create(JEAN)
    old = EmbeddedMailboxService(desk.app[SESSIONS], clock=lambda: utcnow() - timedelta(hours=2))
    expired = await old.issue_link(JEAN.address, "reset", timedelta(minutes=30), "- en")
    voided = await desk.mailboxes.issue_link(JEAN.address, "reset", timedelta(minutes=30))
    assert expired is not None and voided is not None
    await desk.mailboxes.set_password(JEAN.address, "Change-par-le-support-3")
    pages = [
        await desk.client.get(f"/reset/{token}")
        for token in (expired.token, voided.token, "A" * 43, "nope")
    ]
    assert [p.status for p in pages] == [410, 410, 410, 410]
    texts = [await p.text() for p in pages]
    assert "This reset link is no longer valid" in texts[0]  # the link's language
    assert all("plus valable" in t for t in texts[1:])
    assert all(p.headers["Referrer-Policy"] == "no-referrer" for p in pages)


async def test_request_page_answers_alike(desk: Desk) -> None:
    """/reset asks for a link without the chat: same page for any address, CSRF required."""
    await desk.mailboxes.create(JEAN)
    form = await desk.client.get("/reset", headers={"Accept-Language": "en"})
    assert form.status == 200 and "Forgotten password" in await form.text()
    token = await csrf_of(form)
    texts = []
    for address in (JEAN.address, "personne@exemple.fr", "pas une adresse"):
        sent = await desk.client.post(
            "/reset",
            data={"csrf": token, "lang": "fr", "address": address},
            headers=as_browser(token),
        )
        assert sent.status == 200
        texts.append(re.sub(r"HD-\w+", "HD-X", await sent.text()))
    assert len(set(texts)) == 1 and "il expire dans 30 minutes" in texts[0]
    assert len(await desk.reset_mails(1)) == 1
    async with desk.app[SESSIONS]() as session:
        channels = list(await session.scalars(select(Ticket.channel)))
    assert channels == ["web", "web", "web"]
    refused = await desk.client.post("/reset", data={"lang": "fr", "address": JEAN.address})
    assert refused.status == 403


async def test_token_is_in_no_log_line(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    """Neither the access log nor any other log line carries a reset token."""
    caplog.set_level(logging.DEBUG)
    path = await link_path(desk)
    token = path.rsplit("/", 1)[1]
    await desk.client.get(path)
    await submit(desk, path, NEW_PASSWORD)
    await desk.client.get(path)
    # "mail.log" is aiosmtpd, the test's stand-in for the provider's relay: it logs the mail
    # it receives at DEBUG, as any MTA may. Everything else is the help desk's own logging.
    lines = [r.getMessage() + repr(vars(r)) for r in caplog.records if r.name != "mail.log"]
    assert not [line for line in lines if token in line]
    assert any("/reset/…" in r.getMessage() for r in caplog.records)  # the access log ran


async def test_script_is_served(desk: Desk) -> None:
    """The password generator is a static script using the browser's CSPRNG."""
    script = await desk.client.get("/reset.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert "crypto.getRandomValues" in await script.text()


async def test_submissions_are_rate_limited(desk: Desk) -> None:
    """One client gets 20 submissions an hour on the page; then it is told to wait."""
    path = await link_path(desk)
    token = await csrf_of(await desk.client.get(path))
    form = {"csrf": token, "lang": "fr", "password": "court", "confirm": "court"}
    statuses = [
        (await desk.client.post(path, data=form, headers=as_browser(token))).status
        for _ in range(21)
    ]
    assert statuses == [400] * 20 + [429]
    good = {**form, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    limited = await desk.client.post(path, data=good, headers=as_browser(token))
    assert limited.status == 429 and "trop d" in await limited.text()
    assert (await desk.resets.check(path.rsplit("/", 1)[1])).state == LinkState.VALID


async def test_tokens_are_stored_hashed(desk: Desk) -> None:
    """The store keeps the sha256 of a token, and no table holds the token once mailed."""
    path = await link_path(desk)
    token = path.rsplit("/", 1)[1]
    for _ in range(100):  # the outbox blanks the body once the relay has the mail
        async with desk.app[SESSIONS]() as session:
            if await session.scalar(select(OutboxMail.status)) == OutboxStatus.SENT:
                break
        await asyncio.sleep(0.05)
    async with desk.app[SESSIONS]() as session:
        [link] = list(await session.scalars(select(MailboxLink)))
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        dumped = ""
        for table in ("mailbox_links", "ticket_events", "outbox", "messages", "rate_hits"):
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
            dumped += repr(rows)
    assert token not in dumped
