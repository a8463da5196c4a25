"""Reading inbound mail: charsets, HTML, quoted history, signatures, forwarded bounces."""

from __future__ import annotations

import base64

import pytest

from diagnostics.bounce import parse_bounce
from diagnostics.mailtext import html_to_text
from helpdesk.email.parse import parse_mail
from helpdesk.email.quotes import cut_reply
from tests.helpdesk.email.conftest import data_file


def test_forwarded_attachment_is_rendered_for_the_bounce_diagnosis() -> None:
    """A message/rfc822 attachment becomes text the bounce parser reads like the original."""
    raw = data_file("forwarded-attached-mailboxfull.eml").read_bytes()
    parsed = parse_mail(raw)
    assert parsed.text.startswith("Bonjour,")
    (forwarded,) = parsed.forwarded
    report = parse_bounce(forwarded)
    assert (report.first.reason, report.first.status) == ("mailboxfull", "4.2.2")
    assert report.first.recipient == "achats@fournisseur-bois.fr"


def test_eml_file_attachment_is_a_forwarded_message() -> None:
    """An .eml file attached as application/octet-stream is read as a message too."""
    inner = data_file("laposte-toobig.eml").read_bytes()
    raw = (
        b"From: a@exemple.fr\r\nSubject: erreur\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nvoir la piece jointe\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="retour.eml"\r\n\r\n'
        + base64.encodebytes(inner).replace(b"\n", b"\r\n")
        + b"--b--\r\n"
    )
    parsed = parse_mail(raw)
    assert [a.filename for a in parsed.attachments] == ["retour.eml"]
    assert parse_bounce(parsed.forwarded[0]).first.reason == "mesgtoobig"


@pytest.mark.parametrize(
    ("charset", "payload", "expected"),
    [
        ("iso-8859-1", "Problème d'accès".encode("latin-1"), "Problème d'accès"),
        ("windows-1252", "“guillemets” €".encode("cp1252"), "“guillemets” €"),
        ("x-unknown", "déjà vu".encode(), "déjà vu"),  # unknown label, UTF-8 bytes
        ("utf-8", b"caf\xe9 cass\xc3\xa9", "caf\ufffd cassé"),  # declared UTF-8, one bad byte
        (None, "été".encode("cp1252"), "été"),  # undeclared 8-bit
        ("base64", b"plain", "plain"),  # a codec that is not a charset
        ("iso-8859-1", "peut être".encode(), "peut être"),  # UTF-8 labelled Latin-1
    ],
)
def test_any_charset_gives_text(charset: str | None, payload: bytes, expected: str) -> None:
    """Declared, wrong, unknown or missing charsets all give readable text."""
    ctype = "text/plain" + (f"; charset={charset}" if charset else "")
    raw = f"From: a@exemple.fr\r\nContent-Type: {ctype}\r\n\r\n".encode() + payload
    assert parse_mail(raw).text == expected


def test_html_only_mail_becomes_text_and_quotes_are_cut() -> None:
    """HTML-only mail is read as text; its blockquote history and scripts are dropped."""
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Bonjour,</p><p>Mon <b>mail</b>&nbsp;revient&nbsp;!<br>Merci</p>"
        "<div class=gmail_quote>Le lun. 3 nov., Support a écrit :"
        "<blockquote>Ancienne réponse</blockquote></div></body></html>"
    )
    raw = b"From: a@exemple.fr\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    parsed = parse_mail(raw)
    assert parsed.text == "Bonjour,\n\nMon mail revient !\nMerci"
    assert parsed.quoted_removed


def test_broken_mime_still_gives_the_text() -> None:
    """A multipart with no closing boundary and a bad base64 part loses nothing readable."""
    raw = (
        b"From: a@exemple.fr\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n'
        b"--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nmon SPF est faux\r\n"
        b"--zz\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!not base64!!!\r\n"
    )
    parsed = parse_mail(raw)
    assert parsed.text == "mon SPF est faux"
    assert parsed.defects >= 1


def test_headers_are_decoded_on_one_line() -> None:
    """Encoded words are decoded; CR/LF smuggled in one never survive."""
    subject = base64.b64encode("Aïe\r\nBcc: x@evil.example".encode()).decode()
    raw = (
        f"From: =?utf-8?q?Ren=C3=A9e?= <Renee@Exemple.FR>\r\nSubject: =?utf-8?b?{subject}?=\r\n"
        "Reply-To: <autre@exemple.fr>\r\nIn-Reply-To: <a@x>\r\nReferences: <r1@x> <r2@x>\r\n"
        "Content-Language: en-GB\r\n\r\nbody"
    ).encode()
    parsed = parse_mail(raw)
    assert parsed.subject == "Aïe Bcc: x@evil.example"
    assert (parsed.from_name, parsed.from_address) == ("Renée", "renee@exemple.fr")
    assert parsed.reply_to == "autre@exemple.fr"
    assert parsed.thread_ids == ("<a@x>", "<r2@x>", "<r1@x>")
    assert parsed.lang_hint == "en"
    assert parsed.synthetic_id  # no Message-ID: one derived from the bytes
    assert parse_mail(raw).message_id == parsed.message_id


def test_first_return_path_is_the_envelope_sender() -> None:
    """The Return-Path the listener prepends wins over one written in the message."""
    raw = b"Return-Path: <>\r\nReturn-Path: <forged@x.example>\r\nFrom: a@b.fr\r\n\r\nx"
    assert parse_mail(raw).return_path == ""
    assert parse_mail(b"From: a@b.fr\r\n\r\nx").return_path is None


def test_garbage_never_raises() -> None:
    """Any bytes give a result."""
    for raw in (
        b"",
        b"\x00\xff" * 100,
        b"Content-Type: multipart/mixed\r\n\r\n--\r\n",
        b":" * 5000,
    ):
        parsed = parse_mail(raw)
        assert "\x00" not in parsed.text


@pytest.mark.parametrize(
    ("text", "subject", "expected"),
    [
        (
            "Oui merci\n\nOn Mon, 3 Nov 2025 at 10:02, Support <s@x.fr>\nwrote:\n> old",
            "",
            "Oui merci",
        ),
        ("IMAP\n> Voulez-vous IMAP ?\n> ...", "", "IMAP"),
        ("Réponse\n\n-----Original Message-----\nFrom: x", "", "Réponse"),
        (
            "Réponse\n\nDe : Support <s@x.fr>\nEnvoyé : lundi\nÀ : moi\nObjet : Re",
            "",
            "Réponse",
        ),
        ("Mon texte\n-- \nJean Dupont\n06 00 00 00 00", "", "Mon texte"),
        ("Mon texte\n\nEnvoyé de mon iPhone", "", "Mon texte"),
        (
            "Voir ci-dessous\n-- \nJean\n---------- Forwarded message ---------\nFrom: MAILER-DAEMON\n550 5.1.1",
            "",
            "Voir ci-dessous\n---------- Forwarded message ---------\nFrom: MAILER-DAEMON\n550 5.1.1",
        ),
        ("Regardez\n\nDe : MAILER-DAEMON\nEnvoyé : hier\nÀ : moi\n552 5.3.4", "TR: erreur", None),
        # Gmail breaks a long attribution inside the address
        (
            "Merci, et pour le téléphone ?\n\nLe mar. 3 déc. 2026 à 10:02, Support Z-Index <"
            "\nsupport@zindex.fr> a écrit :\n\n> Bonjour,\n> port 993.",
            "",
            "Merci, et pour le téléphone ?",
        ),
        # the name first, the date after: "X a écrit le 03/12/2026 :"
        (
            "Merci\n\nSupport Z-Index a écrit le 03/12/2026 à 10:02 :\nBonjour, port 993",
            "",
            "Merci",
        ),
    ],
)
def test_cut_reply(text: str, subject: str, expected: str | None) -> None:
    """Quoted history and signatures go; forwarded material stays."""
    assert cut_reply(text, subject).text == (expected if expected is not None else text)


def test_html_to_text_keeps_lists_and_pre() -> None:
    """Lists become bullets, <pre> keeps its lines, entities are decoded."""
    text = html_to_text("<ul><li>un</li><li>deux &amp; trois</li></ul><pre>a  b\nc</pre>")
    assert text == "• un\n• deux & trois\n\na  b\nc"
