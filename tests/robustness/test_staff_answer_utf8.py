"""A staff answer to a customer with an internationalised address is addressed to it."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

from helpdesk.config import load_settings
from helpdesk.console.mail import Thread, compose


def test_staff_answer_keeps_a_utf8_address() -> None:
    """The To of a staff answer to jérôme@exemple.fr is that address in UTF-8 (RFC 6532),
    not an encoded word that no relay can deliver to."""
    provider = load_settings({}).provider
    sent = compose(
        provider,
        to="jérôme@exemple.fr",
        subject="Re: Ma boîte [HD-1]",
        body="Bonjour",
        thread=Thread(None, ()),
        message_id="<x@zindex.fr>",
    )
    assert "To: jérôme@exemple.fr".encode() in sent.raw
    parsed = message_from_bytes(sent.raw.decode().encode("utf-8"), policy=default)
    assert parsed["Subject"] == "Re: Ma boîte [HD-1]"
