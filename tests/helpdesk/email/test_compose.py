"""Answer mails: headers of an automatic, threaded answer; HTML escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from sqlalchemy import select

from helpdesk.config import Settings
from helpdesk.db.models import OutboxMail
from helpdesk.email.compose import Block, Composer, Envelope
from helpdesk.engine import Link, Wording
from helpdesk.keys import SESSIONS
from helpdesk.templating import TEMPLATES_DIR
from tests.helpdesk.email.conftest import Desk, mail


def test_answer_is_threaded_automatic_and_escaped(settings: Settings) -> None:
    """RFC 3834 headers, In-Reply-To/References, text and HTML; customer text is inert."""
    composer = Composer(Wording(TEMPLATES_DIR / "bot", settings.provider), TEMPLATES_DIR / "email")
    blocks = [
        Block("Votre texte <script>alert(1)</script> voir https://webmail.zindex.fr/?a=1&b=2."),
        Block(
            "IMAP ou POP ?",
            choices=("IMAP", "POP"),
            links=(Link("Article <b>", "https://kb.example/x"),),
        ),
    ]
    envelope = Envelope(
        to="client@exemple.fr",
        to_name="Jean <Dupont>",
        subject="Re: Aide\r\nBcc: x@evil.example [HD-7K3M9QXR]",
        message_id="<hd-7k3m9qxr.a.b@zindex.fr>",
        in_reply_to="<c@exemple.fr>",
        references=("<a@exemple.fr>", "<b@exemple.fr>"),
    )
    composed = composer.compose(
        blocks, lang="fr", reference="HD-7K3M9QXR", envelope=envelope,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    msg = message_from_bytes(composed.raw, policy=default)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["In-Reply-To"] == "<c@exemple.fr>"
    assert msg["References"] == "<a@exemple.fr> <b@exemple.fr> <c@exemple.fr>"
    assert msg["Content-Language"] == "fr"
    assert msg.get_all("Bcc") is None
    assert msg["From"].addresses[0].addr_spec == "support@zindex.fr"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "« IMAP », « POP »" in text and "HD-7K3M9QXR" in text
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://webmail.zindex.fr/?a=1&amp;b=2">' in html
    assert "Article &lt;b&gt;" in html
    assert composed.recipients == ("client@exemple.fr",)


HOSTILE = '</title><h1>URGENT</h1><script>alert(1)</script>"onmouseover="alert(1) javascript:x'


def compose_raw(settings: Settings, envelope: Envelope, blocks: list[Block]) -> bytes:
    composer = Composer(Wording(TEMPLATES_DIR / "bot", settings.provider), TEMPLATES_DIR / "email")
    return composer.compose(
        blocks, lang="en", reference="HD-7K3M9QXR", envelope=envelope,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    ).raw  # fmt: skip


def compose(settings: Settings, envelope: Envelope, blocks: list[Block]) -> EmailMessage:
    msg = message_from_bytes(compose_raw(settings, envelope, blocks), policy=default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_subject_and_name_are_escaped_in_the_html_part(settings: Settings) -> None:
    """A sender's subject and display name (in <title> and the greeting) come out as text
    in the HTML part, never as markup; links other than http(s) are not made links."""
    envelope = Envelope(
        to="client@exemple.fr",
        to_name=HOSTILE[:60],
        subject=f"Re: {HOSTILE} [HD-7K3M9QXR]",
        message_id="<hd-7k3m9qxr.a.b@zindex.fr>",
        in_reply_to=None,
    )
    blocks = [Block(f"Vu : {HOSTILE}", links=(Link(HOSTILE, "javascript:alert(1)"),))]
    part = compose(settings, envelope, blocks).get_body(("html",))
    assert part is not None
    html = part.get_content()
    for raw in ("</title><h1>", "<h1>", "<script>", '"onmouseover=', 'href="javascript:'):
        assert raw not in html
    assert "&lt;/title&gt;&lt;h1&gt;URGENT" in html


def test_header_values_cannot_add_headers(settings: Settings) -> None:
    """CR/LF in a subject or display name stays inside that header, encoded (RFC 2047)."""
    envelope = Envelope(
        to="client@exemple.fr",
        to_name="Jean\r\nBcc: victim@evil.example",
        subject="Aide é\r\nBcc: victim@evil.example\nX-Evil: 1",
        message_id="<hd-7k3m9qxr.a.b@zindex.fr>",
        in_reply_to=None,
    )
    raw = compose_raw(settings, envelope, [Block("ok")])
    msg = message_from_bytes(raw, policy=default)
    assert msg.get_all("Bcc") is None and msg.get_all("X-Evil") is None
    assert [a.addr_spec for a in msg["To"].addresses] == ["client@exemple.fr"]
    assert msg["Subject"] == "Aide é Bcc: victim@evil.example X-Evil: 1"
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and b"=?utf-8?" in head  # encoded words, no 8-bit


async def test_hostile_sender_gets_an_inert_html_answer(desk: Desk) -> None:
    """End to end: a display name and subject such as </title><h1>URGENT</h1> reach the
    answer's HTML part as text only."""
    msg = mail(
        "Comment accéder au webmail ?",
        subject="</title><h1>URGENT</h1> webmail",
        sender='"<h1>URGENT</h1>" <client@exemple.fr>',
    )
    handled = await desk.channel.responder.handle(msg.as_bytes())
    assert handled.outcome == "answered"
    async with desk.app[SESSIONS]() as session:
        (row,) = (await session.scalars(select(OutboxMail))).all()
    answer = message_from_bytes(row.raw, policy=default)
    assert isinstance(answer, EmailMessage)
    part = answer.get_body(("html",))
    assert part is not None
    html = part.get_content()
    assert "<h1>" not in html and "&lt;/title&gt;&lt;h1&gt;URGENT" in html
    assert answer["To"].addresses[0].display_name == "<h1>URGENT</h1>"
