"""Knowledge base pages: `/kb/` (list and search) and `/kb/{lang}/{id}` (one article)."""

from __future__ import annotations

from aiohttp import web

from helpdesk.keys import KB, SETTINGS, TEMPLATES
from helpdesk.templating import pick_lang
from helpdesk.wording import LANGUAGES

MAX_QUERY = 200  # characters of `q` that are searched and echoed back


def _html(request: web.Request, template: str, lang: str, **context: object) -> web.Response:
    html = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(lang=lang, provider=request.app[SETTINGS].provider, **context)
    )
    return web.Response(
        text=html,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Language": lang, "Vary": "Accept-Language"},
    )


async def kb_index(request: web.Request) -> web.Response:
    """Every article of one language, or the ones matching `?q=`, best first."""
    lang = request.query.get("lang", "")
    if lang not in LANGUAGES:
        lang = pick_lang(request.headers.get("Accept-Language"))
    query = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
    kb = request.app[KB]
    pages = kb.search(lang, query) if query else kb.pages(lang)
    return _html(request, "kb/index.html", lang, q=query, pages=pages)


async def kb_article(request: web.Request) -> web.Response:
    lang, article_id = request.match_info["lang"], request.match_info["id"]
    page = request.app[KB].get(lang, article_id)
    if page is None:
        raise web.HTTPNotFound()
    return _html(request, "kb/article.html", lang, page=page)


async def _to_index(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect(request.rel_url.with_path("/kb/").with_query(request.query))


def add_routes(app: web.Application) -> None:
    """Serve the knowledge base stored under `KB` (loaded by the composition root)."""
    app.router.add_get("/kb", _to_index)
    app.router.add_get("/kb/", kb_index, name="kb_index")
    app.router.add_get("/kb/{lang}/{id}", kb_article, name="kb_article")
