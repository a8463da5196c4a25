"""Text out of mail parts: any charset label, any bytes, any HTML, never an error."""

from __future__ import annotations

import pytest

from diagnostics.mailtext import decode_bytes, html_to_text


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("Boîte pleine".encode("iso-8859-1"), "iso-8859-1", "Boîte pleine"),
        ("Boîte pleine".encode(), "iso-8859-1", "Boîte pleine"),  # mislabelled UTF-8
        ("Boîte pleine".encode(), None, "Boîte pleine"),
        ("Boîte pleine".encode("cp1252"), None, "Boîte pleine"),
        ("Boîte pleine".encode(), '"UTF-8"', "Boîte pleine"),
        ("Boîte pleine".encode(), "x-unknown-charset", "Boîte pleine"),
        (b"550 user unknown", "base64", "550 user unknown"),  # not a text codec
        (b"bo\xeete \xff", "utf-8", "bo\ufffdte \ufffd"),
    ],
)
def test_decode_bytes_reads_any_label(data: bytes, charset: str | None, expected: str) -> None:
    """The declared charset when it fits, else UTF-8, else Windows-1252; never an error."""
    assert decode_bytes(data, charset) == expected


def test_html_to_text_lines_lists_and_quotes() -> None:
    """Blocks end lines, list items are bullets, quotes are "> " lines, scripts dropped."""
    text = html_to_text(
        "<html><head><style>p{}</style></head><body><p>550 5.1.1 User&nbsp;unknown</p>"
        "<ul><li>a &amp; b</li></ul><blockquote>old</blockquote>"
        "<script>x()</script><pre>a  b\nc</pre></body></html>"
    )
    assert text.splitlines() == [
        "550 5.1.1 User unknown",
        "",
        "• a & b",
        "",
        "> old",
        "",
        "a  b",
        "c",
    ]


@pytest.mark.parametrize("markup", ["<p", "<![CDATA[", "</>", "<a href='x>", "&#xfffffff;"])
def test_html_to_text_takes_broken_markup(markup: str) -> None:
    """Broken HTML gives text, never an exception."""
    assert isinstance(html_to_text(markup), str)


def test_a_utf16_label_on_ascii_bytes_is_wrong() -> None:
    """UTF-16 text has NUL bytes; ASCII labelled UTF-16 is read as what it is."""
    assert decode_bytes(b"Mailbox full", "utf-16-le") == "Mailbox full"
    assert decode_bytes("plein".encode("utf-16"), "utf-16") == "plein"


def test_an_unregistered_x_label_is_read_by_its_registered_name() -> None:
    assert decode_bytes(b"a+AEA-b", "x-unicode-1-1-utf-7") == "a@b"
    assert decode_bytes(b"caf\x8e", "x-mac-roman") == "café"
