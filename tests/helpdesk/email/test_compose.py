"""Answer mails: headers of an automatic, threaded answer; HTML escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

from helpdesk.config import Settings
from helpdesk.email.compose import Block, Composer, Envelope
from helpdesk.engine import Link, Wording
from helpdesk.templating import TEMPLATES_DIR


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
