"""Every template under templates/ that produces HTML (pages and answer emails), rendered
with a hostile value in every variable: the value stays text, never markup or a link."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from jinja2 import Environment, meta
from markupsafe import escape

from helpdesk.email.compose import answer_environment
from helpdesk.templating import TEMPLATES_DIR, html_environment

MARKUP = '</title><h1>URGENT</h1><script>alert(1)</script>"onmouseover="alert(1)'
HOSTILE = "javascript:alert(1)//" + MARKUP
# Raw, any of these means a value was written into the page as markup.
RAW = ("</title><h1>", "<h1>URGENT", "<script>alert", '"onmouseover="alert', "'onmouseover=")
HTML_SUFFIXES = (".html", ".htm", ".xml", ".html.j2", ".xml.j2")
# Where a browser follows a value as a URL.
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction"})
# URL values the server builds itself (paths and query strings it escapes) or that the
# configuration checks as http(s) URLs at start-up: they stay hostile in every other way,
# but begin with a scheme a browser would not run. Every other value may be javascript:.
TRUSTED_URLS = frozenset(
    {
        "webmail_url",  # [provider] webmail_url, checked as an http(s) URL
        "panel_url",  # [provider] panel_url, same
        "public_url",  # HELPDESK_PUBLIC_URL, same
        "path",  # a knowledge base article's /kb/<lang>/<id>, built from its file name
        "action",  # a form's own route
        "first_url",  # the staff queue's paging links, built from its own query
        "next_url",
    }
)


# `page.html` is the knowledge base article as helpdesk/kb/render.py renders it, with raw
# HTML switched off (tested there): the markup of the article text arrives escaped.
TRUSTED_HTML = frozenset({"html"})


class Hostile(str):
    """A hostile value whatever a template does with it: each attribute, item, call and
    iteration gives another one; numbers, for `format`, are 1."""

    def __new__(cls, name: object = "", *, benign: bool = False) -> Hostile:
        if benign:
            value = "x"
        elif isinstance(name, str) and name in TRUSTED_URLS:
            value = "https://help.example/" + MARKUP
        elif isinstance(name, str) and name in TRUSTED_HTML:
            value = str(escape(HOSTILE))
        else:
            value = HOSTILE
        made = super().__new__(cls, value)
        object.__setattr__(made, "_benign", benign)
        return made

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__") or name == "_benign":
            return object.__getattribute__(self, name)
        return Hostile(name, benign=object.__getattribute__(self, "_benign"))

    def __getitem__(self, key: object) -> Hostile:
        return Hostile(key, benign=object.__getattribute__(self, "_benign"))

    def __call__(self, *args: object, **kwargs: object) -> Hostile:
        return Hostile(benign=object.__getattribute__(self, "_benign"))

    def __iter__(self) -> Iterator[Hostile]:
        benign = object.__getattribute__(self, "_benign")
        return iter((Hostile(benign=benign), Hostile(benign=benign)))

    def __float__(self) -> float:
        return 1.0

    def __int__(self) -> int:
        return 1


class Shape(HTMLParser):
    """The tags and attribute names of a document, and the values of its URL attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, ...]] = []
        self.urls: list[tuple[str, str, str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, *sorted(name for name, _ in attrs)))
        for name, value in attrs:
            if name in URL_ATTRIBUTES or name.endswith("-url"):
                self.urls.append((tag, name, (value or "").strip()))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("/" + tag,))


def environment_of(name: str) -> tuple[Environment, str]:
    """The environment the application renders `name` (relative to templates/) with."""
    if name.startswith("email/"):
        return answer_environment(TEMPLATES_DIR / "email"), name.removeprefix("email/")
    return html_environment(), name


def looking_up_anything(env: Environment) -> Environment:
    """`env`, where a hostile key missing from a template's own table or from a catalogue
    (a status or problem code, which the server gives as one of its keys) gives a hostile
    value."""
    strict = env.getitem
    catalogue_phrases = env.globals.get("phrases")

    def phrases(area: str, lang: str) -> Any:
        t = catalogue_phrases(area, lang)  # type: ignore[operator]

        def lookup(key: str, **values: Any) -> Any:
            if t.has(key):
                return t(key, **values)
            return Hostile(benign=HOSTILE not in key)

        return lookup

    if catalogue_phrases is not None:
        env.globals["phrases"] = phrases

    def getitem(obj: Any, key: Any) -> Any:
        if isinstance(obj, dict) and isinstance(key, Hostile) and key not in obj:
            return Hostile(benign=object.__getattribute__(key, "_benign"))
        return strict(obj, key)

    env.getitem = getitem  # type: ignore[assignment]
    return env


def html_templates() -> list[str]:
    return sorted(
        path.relative_to(TEMPLATES_DIR).as_posix()
        for path in TEMPLATES_DIR.rglob("*")
        if path.is_file() and path.name.endswith(HTML_SUFFIXES)
    )


def variables(env: Environment, name: str) -> set[str]:
    """The names `name` and the templates it extends, includes or imports read."""
    seen, todo, found = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        assert env.loader is not None
        ast = env.parse(env.loader.get_source(env, current)[0])
        found |= meta.find_undeclared_variables(ast)
        todo += [t for t in meta.find_referenced_templates(ast) if t is not None]
    return found - set(env.globals)


def render(name: str, lang: str, *, benign: bool) -> str:
    env, inside = environment_of(name)
    env = looking_up_anything(env)
    context: dict[str, Any] = {v: Hostile(v, benign=benign) for v in variables(env, inside)}
    context |= {"lang": lang}
    return env.get_template(inside).render(context)


def test_every_html_template_is_found() -> None:
    """The pages, the staff console and the answer email are all among those checked."""
    names = html_templates()
    for expected in ("email/answer.html.j2", "staff/ticket.html", "reset/form.html"):
        assert expected in names
    assert len(names) >= 20


@pytest.mark.parametrize("name", html_templates())
def test_html_template_is_autoescaped(name: str) -> None:
    """The environment that renders each HTML template escapes it, whatever its suffix."""
    env, inside = environment_of(name)
    assert callable(env.autoescape) and env.autoescape(inside) is True


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("name", html_templates())
def test_hostile_values_stay_text(name: str, lang: str) -> None:
    """Hostile values (</title><h1>, <script>, "onmouseover=, javascript:) in every
    variable add no tag and no attribute, come out escaped, and make no javascript: link."""
    hostile = render(name, lang, benign=False)
    for raw in RAW:
        assert raw not in hostile, f"{name}: {raw!r} came out raw"
    assert Shape(hostile).tags == Shape(render(name, lang, benign=True)).tags
    for tag, attribute, value in Shape(hostile).urls:
        assert not value.lower().startswith("javascript:"), f"{name}: <{tag} {attribute}>"
