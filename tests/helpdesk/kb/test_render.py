"""Rendering: the provider's facts filled in, Markdown to HTML, raw HTML never let through."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from helpdesk.config import Settings
from helpdesk.kb import Article, KbError, Renderer, parse_article, spf_terms


def article(body: str, title: str = "Titre") -> Article:
    text = f"---\nid: sample\ntitle: {title}\nintents: [webmail]\nkeywords: []\n---\n{body}"
    return parse_article(text, Path("kb/fr/sample.md"), "fr")


def test_profile_facts_are_filled_in(default_settings: Settings) -> None:
    """`p` is the provider profile: its values appear in the page."""
    done = Renderer(default_settings.provider).render(
        article("Port **{{ p.imap.port }}**, <{{ p.webmail_url }}>.")
    )
    assert "<strong>993</strong>" in done.html
    assert '<a href="https://webmail.zindex.fr">https://webmail.zindex.fr</a>' in done.html
    assert done.text == "Port 993, https://webmail.zindex.fr."


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "Texte <img src=x onerror=alert(1)> inline",
        "<div onclick='x()'>bloc</div>",
    ],
)
def test_raw_html_is_escaped(default_settings: Settings, body: str) -> None:
    """HTML written in an article is shown as text, never interpreted."""
    html = Renderer(default_settings.provider).render(article(body)).html
    assert "<script" not in html
    assert "<img" not in html
    assert "<div" not in html
    assert "&lt;" in html


def test_html_in_a_configured_value_is_escaped(default_settings: Settings) -> None:
    """A profile value is Markdown text too: markup in it does not reach the page."""
    provider = replace(default_settings.provider, name="<b>Evil</b>")
    html = Renderer(provider).render(article("Chez {{ p.name }}.")).html
    assert "<b>" not in html
    assert "&lt;b&gt;Evil&lt;/b&gt;" in html


def test_script_links_are_dropped(default_settings: Settings) -> None:
    """javascript: links are not turned into anchors."""
    html = Renderer(default_settings.provider).render(article("[clic](javascript:alert(1))")).html
    assert "href" not in html


def test_excerpt_is_the_first_paragraph(default_settings: Settings) -> None:
    """The summary shown in lists skips headings and lists and keeps plain text."""
    done = Renderer(default_settings.provider).render(
        article("## Titre\n\n- point\n\nPremier *vrai* paragraphe,\nsur deux lignes.\n\nSuite.")
    )
    assert done.excerpt == "Premier vrai paragraphe, sur deux lignes."


def test_unknown_variable_names_the_file(default_settings: Settings) -> None:
    """A fact the profile does not have stops rendering with the article's path."""
    with pytest.raises(KbError, match=r"kb/fr/sample\.md: cannot be rendered: .*no_such_fact"):
        Renderer(default_settings.provider).render(article("{{ p.no_such_fact }}"))


def test_spf_terms_follow_the_profile(default_settings: Settings) -> None:
    """Servers by name by default; an include and addresses when the profile has them."""
    provider = default_settings.provider
    assert spf_terms(provider) == "a:mail.zindex.fr a:mail2.zindex.fr"
    other = replace(
        provider, spf_include="_spf.acme.test", sending_ips=("192.0.2.0/24", "2001:db8::1")
    )
    assert spf_terms(other) == "include:_spf.acme.test ip4:192.0.2.0/24 ip6:2001:db8::1"
