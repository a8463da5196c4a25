"""Browser fixtures: Debian's Chromium driven by Playwright against a real help desk server.

The browser is never downloaded: Playwright launches /usr/bin/chromium (Debian package
`chromium`). Without it, or without the playwright package, the browser tests skip, except
under CI=true where that is a failure.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from diagnostics.zone import ZoneResolver
from helpdesk.app import create_app
from helpdesk.config import Settings
from helpdesk.db import create_engine
from helpdesk.db.migrate import upgrade
from tests.conftest import free_port, missing_peer

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_problem() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright Python package is not installed (pip install 'playwright>=1.40')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium; skips without it, fails without it under CI=true."""
    problem = _browser_problem()
    if problem is not None:
        missing_peer(f"browser tests need chromium and playwright: {problem}")
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=15_000)
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


# The customer domain the SPF check looks at: DNS answers come from this zone, not the network.
ZONE: dict[str, list[Any]] = {
    "exemple.fr": [
        {"TXT": "v=spf1 a:mail.zindex.fr a:mail2.zindex.fr -all"},
        {"MX": [10, "mail.zindex.fr"]},
    ],
    "_dmarc.exemple.fr": [{"TXT": "v=DMARC1; p=quarantine"}],
    "mail.zindex.fr": [{"A": "192.0.2.10"}],
    "mail2.zindex.fr": [{"A": "192.0.2.11"}],
}


@dataclass
class Helpdesk:
    """A real help desk on 127.0.0.1, served from the test's event loop."""

    settings: Settings
    port: int
    understanding: Any
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        # Open websockets get one second to close when the test restarts the server.
        app = create_app(
            self.settings, understanding=self.understanding, resolver=ZoneResolver(ZONE)
        )
        self.runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
async def helpdesk(settings: Settings, understanding: Any) -> AsyncIterator[Helpdesk]:
    """A migrated database and the app serving it; `stop()`/`start()` restart it in place."""
    settings.data_dir.mkdir(parents=True)
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    await engine.dispose()
    server = Helpdesk(settings, free_port(), understanding)
    await server.start()
    yield server
    await server.stop()


@dataclass
class Console:
    """What a page reported: console messages, uncaught errors and CSP violations."""

    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        # A browser asks every site for /favicon.ico; its 404 is not the widget's doing.
        errors = [m for m in self.messages if m.startswith("error:") and "favicon.ico" not in m]
        return errors + self.errors


# Registered before any page script, outside the page's CSP (Playwright injects it itself).
CSP_PROBE = """
window.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
}, true);
"""

OpenPage = Callable[..., Awaitable["Page"]]


@pytest.fixture
async def open_page(browser: Browser) -> AsyncIterator[OpenPage]:
    """Factory: a new page in its own browser context (own storage), with its console kept
    in `page.console` (a Console)."""
    contexts: list[BrowserContext] = []

    async def make(locale: str = "fr-FR", **context_options: Any) -> Page:
        context = await browser.new_context(locale=locale, **context_options)
        contexts.append(context)
        page = await context.new_page()
        console = Console()
        page.on(
            "console",
            lambda m: console.messages.append(f"{m.type}: {m.text} ({m.location.get('url')})"),
        )
        page.on("pageerror", lambda e: console.errors.append(f"pageerror: {e}"))
        await page.add_init_script(CSP_PROBE)
        page.console = console  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        await context.close()
