"""The knowledge base pages over HTTP, and the chat answers that link to them."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from helpdesk.app import create_app
from helpdesk.config import Settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from tests.chatclient import ChatCustomer, last_bot

Client = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def app(settings: Settings, understanding: Any) -> web.Application:
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    return create_app(settings, understanding=understanding)


@pytest.fixture
async def client(aiohttp_client: Client, app: web.Application) -> TestClient[Any, Any]:
    return await aiohttp_client(app)


async def page(client: TestClient[Any, Any], path: str, **headers: str) -> tuple[int, str]:
    resp = await client.get(path, headers=headers)
    return resp.status, await resp.text()


@pytest.mark.parametrize(
    ("query", "lang", "heading", "titles"),
    [
        ("?lang=fr", "fr", "Aide messagerie", ["Accéder au webmail", "Mot de passe oublié"]),
        ("?lang=en", "en", "Mail help", ["Using webmail", "Forgotten password"]),
    ],
)
async def test_index_lists_the_articles_of_each_language(
    client: TestClient[Any, Any], query: str, lang: str, heading: str, titles: list[str]
) -> None:
    """/kb/ lists every article of the chosen language, linked, with a search box."""
    resp = await client.get("/kb/" + query)
    assert resp.status == 200
    assert resp.headers["Content-Language"] == lang
    body = html.unescape(await resp.text())
    assert f'<html lang="{lang}">' in body
    assert f"<h1>{heading}</h1>" in body
    for title in titles:
        assert title in body
    assert body.count(f'<li><a href="/kb/{lang}/') == 18
    assert '<input type="search" id="kb-q" name="q"' in body


@pytest.mark.parametrize(
    ("headers", "query", "lang"),
    [
        ({"Accept-Language": "en-GB,en;q=0.9"}, "", "en"),
        ({"Accept-Language": "fr-CH, en;q=0.5"}, "", "fr"),
        ({"Accept-Language": "en"}, "?lang=fr", "fr"),  # the explicit choice wins
        ({"Accept-Language": "en"}, "?lang=xx", "en"),  # an unknown one is ignored
    ],
)
async def test_index_language_from_query_then_browser(
    client: TestClient[Any, Any], headers: dict[str, str], query: str, lang: str
) -> None:
    """?lang= picks the language; without it, Accept-Language does."""
    resp = await client.get("/kb/" + query, headers=headers)
    assert resp.headers["Content-Language"] == lang
    assert "Accept-Language" in resp.headers["Vary"]


async def test_index_links_to_the_other_language(client: TestClient[Any, Any]) -> None:
    """Each index offers the other language's index."""
    _, body = await page(client, "/kb/?lang=fr")
    assert '<a href="/kb/?lang=en" lang="en" hreflang="en">English</a>' in body
    _, body = await page(client, "/kb/?lang=en")
    assert 'href="/kb/?lang=fr"' in body


@pytest.mark.parametrize(
    ("lang", "q", "expected"),
    [
        ("fr", "j'ai oublier mon mot de pase", "/kb/fr/forgotten-password"),
        ("fr", "ma boite mail est plene", "/kb/fr/mailbox-full"),
        ("fr", "mes mail arrive dans les indesirables", "/kb/fr/mail-in-spam"),
        ("fr", "reponse automatiqe pendant les vacance", "/kb/fr/automatic-reply"),
        ("en", "i forgoten my pasword", "/kb/en/forgotten-password"),
        ("en", "how to setup outlok with imap", "/kb/en/mail-client-settings"),
        ("en", "my emails go to junk", "/kb/en/mail-in-spam"),
    ],
)
async def test_search_finds_the_article_from_customer_words(
    client: TestClient[Any, Any], lang: str, q: str, expected: str
) -> None:
    """A query with typos and without accents finds the right article first."""
    resp = await client.get("/kb/", params={"lang": lang, "q": q})
    assert resp.status == 200
    body = await resp.text()
    links = [line for line in body.splitlines() if line.startswith("<li><a href=")]
    assert links, body
    assert links[0].startswith(f'<li><a href="{expected}">')
    assert html.unescape(body).count(q) == 2  # echoed in the box and the heading


async def test_search_without_results_says_so(client: TestClient[Any, Any]) -> None:
    """An unmatched query gets a message and a way back to the full list."""
    _, body = await page(client, "/kb/?lang=en&q=zzzqqq")
    assert "No article matches" in body
    assert "<li><a href=" not in body
    assert '<a href="/kb/?lang=en">All articles</a>' in body


async def test_query_is_escaped(client: TestClient[Any, Any]) -> None:
    """A <script> typed in the search box comes back as text, in the box and the heading."""
    q = '"><script>alert(1)</script>'
    resp = await client.get("/kb/", params={"lang": "fr", "q": q})
    body = await resp.text()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'value="&#34;&gt;&lt;script&gt;' in body


async def test_article_page(client: TestClient[Any, Any]) -> None:
    """/kb/<lang>/<id> shows the article, with the provider's facts, in the site's layout."""
    resp = await client.get("/kb/fr/mail-client-settings")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert resp.headers["Content-Language"] == "fr"
    body = await resp.text()
    assert '<html lang="fr">' in body
    assert "<h1>Configurer votre boîte dans un logiciel de messagerie</h1>" in body
    assert "<td>993</td>" in body
    assert "<table>" in body
    assert "Content-Security-Policy" in resp.headers


@pytest.mark.parametrize(("lang", "other"), [("fr", "en"), ("en", "fr")])
async def test_article_links_to_its_translation(
    client: TestClient[Any, Any], lang: str, other: str
) -> None:
    """Each article links to the same article in the other language."""
    _, body = await page(client, f"/kb/{lang}/spam-filter")
    assert f'href="/kb/{other}/spam-filter" lang="{other}" hreflang="{other}"' in body
    status, _ = await page(client, f"/kb/{other}/spam-filter")
    assert status == 200


@pytest.mark.parametrize("path", ["/kb/fr/no-such-article", "/kb/de/webmail", "/kb/fr/../app"])
async def test_unknown_article_is_a_404_page(client: TestClient[Any, Any], path: str) -> None:
    """An unknown language or id gets the site's 404 page."""
    resp = await client.get(path, headers={"Accept-Language": "en"})
    assert resp.status == 404
    assert "Page not found" in await resp.text()


async def test_kb_without_slash_redirects(client: TestClient[Any, Any]) -> None:
    """/kb leads to /kb/, keeping the query."""
    resp = await client.get("/kb?lang=en", allow_redirects=False)
    assert resp.status == 308
    assert resp.headers["Location"] == "/kb/?lang=en"


@pytest.mark.parametrize(
    ("lang", "text", "title", "path"),
    [
        (
            "fr",
            "comment changer mon mot de passe ?",
            "Changer le mot de passe d'une adresse mail",
            "/kb/fr/change-password",
        ),
        ("en", "how do I back up my mailbox", "Backing up an IMAP mailbox", "/kb/en/imap-backup"),
    ],
)
async def test_bot_answer_links_to_the_article(
    client: TestClient[Any, Any], settings: Settings, lang: str, text: str, title: str, path: str
) -> None:
    """The chat bot's answer carries an absolute link to the article, which is served."""
    customer = ChatCustomer(await client.ws_connect("/chat/ws"))
    await customer.hello(lang)
    answer = last_bot(await customer.say(text))
    await customer.ws.close()
    assert {"label": title, "url": settings.public_url + path} in answer["links"]
    status, body = await page(client, path)
    assert status == 200
    assert f"<h1>{title}</h1>" in html.unescape(body)
