"""Bad input over SMTP: each message gets a clear outcome and none stops the queue."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import aiosmtplib
import pytest
from sqlalchemy import select

from helpdesk.db.models import Message
from helpdesk.keys import SESSIONS
from tests.helpdesk.email.conftest import SUPPORT, Desk, Relay, mail


def raw_mail(sender: str, headers: str, body: bytes) -> bytes:
    return (
        f"From: {sender}\r\nTo: {SUPPORT}\r\nMessage-ID: <{sender.split('@')[0]}@exemple.fr>\r\n"
        f"{headers}\r\n\r\n"
    ).encode() + body


async def test_big_message_gets_a_clear_552(desk: Desk) -> None:
    """A 25 MB message is refused with 552 and a sentence naming the 20 MB limit."""
    body = base64.encodebytes(b"\0" * (19 * 1024 * 1024))  # about 25 MB once encoded
    raw = raw_mail("big@exemple.fr", "Subject: gros fichier", body.replace(b"\n", b"\r\n"))
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await desk.send(raw, mail_from="big@exemple.fr")
    assert refused.value.code == 552
    assert "20 MB" in refused.value.message
    assert not desk.channel.spool.pending()


async def test_size_announced_too_big_is_refused_at_mail_from(desk: Desk) -> None:
    """A client announcing SIZE over the limit is told at MAIL FROM, with the same words."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=desk.smtp_port, start_tls=False) as c:
        await c.ehlo()
        assert "size" in c.esmtp_extensions
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
            await c.mail("big@exemple.fr", options=[f"SIZE={30 * 1024 * 1024}"])
        assert refused.value.code == 552
        assert "20 MB" in refused.value.message


async def test_bad_messages_do_not_stop_the_queue(desk: Desk, relay: Relay) -> None:
    """Invalid UTF-8, unknown charsets, 500 attachments, header injection, an empty body:
    each is recorded and answered clearly, and the message after them is answered too."""
    invalid_utf8 = raw_mail(
        "utf8@exemple.fr",
        "Subject: probleme\r\nContent-Type: text/plain; charset=utf-8",
        b"Bonjour, mon mail revient avec l'erreur 552 5.3.4 \xff\xfe\xc3( trop gros\r\n",
    )
    unknown_charset = raw_mail(
        "charset@exemple.fr",
        "Subject: =?x-klingon?q?Qapla=E9?=\r\nContent-Type: text/plain; charset=x-klingon",
        "Comment accéder au webmail ?\r\n".encode("latin-1"),
    )
    many = EmailMessage()
    many["From"] = "attach@exemple.fr"
    many["To"] = SUPPORT
    many["Subject"] = "pièces jointes"
    many["Message-ID"] = "<attach@exemple.fr>"
    many.set_content("Comment configurer Thunderbird en IMAP ?")
    for n in range(500):
        many.add_attachment(b"x" * 10, maintype="application", subtype="octet-stream",
                            filename=f"f{n}.bin")  # fmt: skip
    injection = raw_mail(
        "inject@exemple.fr",
        "Subject: =?utf-8?b?"
        + base64.b64encode(b"Aide\r\nBcc: victim@evil.example\r\nX-Evil: 1").decode()
        + "?=",
        b"How do I log in to webmail?\r\n",
    )
    empty = raw_mail("empty@exemple.fr", "Subject:", b"")
    after = mail("Comment accéder au webmail ?", sender="after@exemple.fr")
    for data, sender in [
        (invalid_utf8, "utf8@exemple.fr"),
        (unknown_charset, "charset@exemple.fr"),
        (many.as_bytes(), "attach@exemple.fr"),
        (injection, "inject@exemple.fr"),
        (empty, "empty@exemple.fr"),
        (after.as_bytes(), "after@exemple.fr"),
    ]:
        await desk.send(data, mail_from=sender)

    (a,) = await relay.wait_for("utf8@exemple.fr")
    assert "5.3.4" in a.text()
    (a,) = await relay.wait_for("charset@exemple.fr")
    assert "webmail.zindex.fr" in a.text()
    (a,) = await relay.wait_for("attach@exemple.fr")
    assert "993" in a.text()
    (a,) = await relay.wait_for("inject@exemple.fr")
    msg = a.message
    assert msg.get_all("Bcc") is None and msg.get_all("X-Evil") is None
    assert a.recipients == ["inject@exemple.fr"]
    assert "Bcc: victim@evil.example" in str(msg["Subject"])  # inert text on one line
    assert not relay.to("victim@evil.example")
    (a,) = await relay.wait_for("empty@exemple.fr")
    assert "vide" in a.text() or "empty" in a.text()
    await relay.wait_for("after@exemple.fr")

    async with desk.app[SESSIONS]() as session:
        rows = (await session.scalars(select(Message).where(Message.author == "customer"))).all()
    by_sender = {m.meta["from"]: m for m in rows}
    assert by_sender["attach@exemple.fr"].meta["attachment_count"] == 500
    assert (
        "\ufffd" in by_sender["utf8@exemple.fr"].body
        or "trop gros" in by_sender["utf8@exemple.fr"].body
    )
    assert "\n" not in by_sender["inject@exemple.fr"].meta["subject"]
    assert len(rows) == 6


async def test_spool_that_cannot_store_gets_451(desk: Desk, relay: Relay) -> None:
    """When the spool cannot make a message durable, the sender hears 451 and retries."""
    new = desk.channel.spool.root / "new"
    new.rename(new.with_name("new.away"))
    new.write_bytes(b"")  # a file where the directory should be: every rename fails
    question = mail("Comment accéder au webmail ?", sender="retry@exemple.fr")
    try:
        with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
            await desk.send(question, mail_from="retry@exemple.fr")
        assert refused.value.code == 451
        assert "try again later" in refused.value.message
    finally:
        new.unlink()
        new.with_name("new.away").rename(new)
    await desk.send(question, mail_from="retry@exemple.fr")
    (answer,) = await relay.wait_for("retry@exemple.fr")
    assert "webmail.zindex.fr" in answer.text()
