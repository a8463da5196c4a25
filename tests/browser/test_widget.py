"""The chat widget in a real browser, against the real /chat/ws of a running help desk.

Assertions rest on facts of the provider profile (IMAP on port 993) and on the widget's
structure, never on the bot's exact sentences.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from helpdesk.db.models import Message
from helpdesk.keys import CHAT, SESSIONS
from tests.browser.conftest import Console, Helpdesk, OpenPage
from tests.conftest import free_port

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

try:
    from playwright.async_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) without playwright
    expect = None

XSS = "<script>window.__pwned=1</script><b>bold</b>"


def messages(page: Page, sender: str) -> Locator:
    """The text of every message from `sender` (bot, staff, customer, system) in the log."""
    return page.locator(f".hd-log .hd-msg[data-from={sender}] .hd-text")


def console_of(page: Page) -> Console:
    return page.console  # type: ignore[attr-defined, no-any-return]


def record_frames(page: Page) -> list[dict[str, Any]]:
    """Every JSON frame the page sends on any websocket, in order."""
    sent: list[dict[str, Any]] = []

    def on_socket(ws: Any) -> None:
        ws.on("framesent", lambda payload: sent.append(json.loads(payload)))

    page.on("websocket", on_socket)
    return sent


async def open_widget(page: Page, url: str, launcher: str = "Aide") -> None:
    await page.goto(url)
    await page.get_by_role("button", name=launcher, exact=True).click()
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect(page.locator(".hd-root")).to_have_attribute("data-connected", "true")


async def say(page: Page, text: str) -> None:
    """Type `text` and press Enter, then wait for the server's echo and the next answer."""
    customers, bots = await messages(page, "customer").count(), await messages(page, "bot").count()
    box = page.locator("#hd-input")
    await box.fill(text)
    await box.press("Enter")
    await expect(messages(page, "customer")).to_have_count(customers + 1)
    await expect(messages(page, "bot").nth(bots)).to_be_visible()


async def follow_until(page: Page, fact: str, choice: str) -> None:
    """Until a bot message holds `fact`, take the quick reply whose value is `choice`
    whenever the bot offers it (the bot may ask IMAP or POP before giving settings)."""
    answer = messages(page, "bot").filter(has_text=fact)
    button = page.locator(f'.hd-choices .hd-choice[data-value="{choice}"]')
    for _ in range(3):
        await expect(answer.or_(button).first).to_be_visible()
        if await answer.count():
            return
        bots = await messages(page, "bot").count()
        await button.click()
        await expect(messages(page, "bot").nth(bots)).to_be_visible()
    await expect(answer.first).to_be_visible()


async def ids(page: Page) -> list[str | None]:
    return [await m.get_attribute("data-id") for m in await page.locator(".hd-msg").all()]


async def test_french_conversation_gives_the_imap_port(
    helpdesk: Helpdesk, open_page: OpenPage
) -> None:
    """A French visitor asking how to set up Thunderbird gets the IMAP port of the profile."""
    page = await open_page(locale="fr-FR")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url)
    assert sent[0] == {"type": "hello", "conversation": None, "lang": "fr"}
    await expect(page.locator("#hd-input")).to_be_focused()
    await expect(page.locator(".hd-ticket")).not_to_be_empty()
    await say(page, "comment configurer thunderbird en imap")
    await expect(messages(page, "customer").last).to_have_text(
        "comment configurer thunderbird en imap"
    )
    await follow_until(page, "993", "imap")
    await expect(page.locator(".hd-typing")).to_be_hidden()
    assert console_of(page).problems() == []


async def test_english_conversation_gives_the_imap_port(
    helpdesk: Helpdesk, open_page: OpenPage
) -> None:
    """An English visitor gets the widget in English and an English answer with port 993."""
    page = await open_page(locale="en-US")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url, launcher="Help")
    assert sent[0]["lang"] == "en"
    await expect(page.locator("#hd-input")).to_have_attribute("placeholder", "Type your question…")
    await say(page, "how do I set up Outlook with IMAP?")
    await follow_until(page, "993", "imap")
    assert console_of(page).problems() == []


async def test_quick_reply_sends_the_choice(helpdesk: Helpdesk, open_page: OpenPage) -> None:
    """Clicking a quick reply sends a choice frame with its value, and the bot answers it."""
    page = await open_page(locale="fr-FR")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url)
    await say(page, "bonjour")
    choice = page.locator(".hd-choices .hd-choice").first
    await expect(choice).to_be_visible()
    label, value = await choice.inner_text(), await choice.get_attribute("data-value")
    customers, bots = await messages(page, "customer").count(), await messages(page, "bot").count()
    await choice.click()
    # The server echoes the choice as the customer's message, worded as the button was.
    await expect(messages(page, "customer")).to_have_count(customers + 1)
    await expect(messages(page, "customer").last).to_have_text(label)
    await expect(messages(page, "bot").nth(bots)).to_be_visible()
    choices = [f for f in sent if f["type"] == "choice"]
    assert choices == [{"type": "choice", "value": value, "client_id": choices[0]["client_id"]}]


async def test_language_switch_changes_the_interface_and_tells_the_server(
    helpdesk: Helpdesk, open_page: OpenPage
) -> None:
    """The FR/EN toggle switches the widget's own strings and sends a `lang` frame."""
    page = await open_page(locale="fr-FR")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url)
    await page.get_by_role("button", name="Switch to English").click()
    await expect(page.locator("#hd-input")).to_have_attribute("placeholder", "Type your question…")
    await expect(page.get_by_role("button", name="Send")).to_be_visible()
    assert {"type": "lang", "lang": "en"} in sent
    await say(page, "how do I set up Outlook with IMAP?")
    await page.get_by_role("button", name="Passer en français").click()
    await expect(page.get_by_role("button", name="Envoyer")).to_be_visible()


async def test_reload_resumes_the_conversation(helpdesk: Helpdesk, open_page: OpenPage) -> None:
    """After a reload, the same conversation comes back: same ticket, same messages, once."""
    page = await open_page(locale="fr-FR")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url)
    await say(page, "comment configurer thunderbird en imap")
    await follow_until(page, "993", "imap")
    ticket = await page.locator(".hd-ticket").inner_text()
    before = await ids(page)
    token = await page.evaluate("localStorage.getItem('helpdesk-chat:conversation')")
    assert token
    await page.reload()
    # The panel was open: it opens again by itself and replays the history.
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect(page.locator(".hd-root")).to_have_attribute("data-connected", "true")
    await expect(page.locator(".hd-msg")).to_have_count(len(before))
    assert await ids(page) == before
    assert None not in before
    await expect(page.locator(".hd-ticket")).to_have_text(ticket)
    await expect(page.locator(".hd-log")).to_contain_text("comment configurer thunderbird en imap")
    hellos = [f for f in sent if f["type"] == "hello"]
    assert [h["conversation"] for h in hellos] == [None, token]


async def test_html_in_a_message_is_shown_as_text(helpdesk: Helpdesk, open_page: OpenPage) -> None:
    """A message with <script> and HTML tags is displayed literally and never executed."""
    page = await open_page(locale="fr-FR")
    await open_widget(page, helpdesk.url)
    await say(page, XSS)
    await expect(messages(page, "customer").last).to_have_text(XSS)
    assert await page.locator(".hd-log b").count() == 0
    assert await page.locator(".hd-log script").count() == 0
    assert await page.evaluate("typeof window.__pwned") == "undefined"
    assert console_of(page).problems() == []


async def test_phone_viewport_panel_fills_the_screen(
    helpdesk: Helpdesk, open_page: OpenPage
) -> None:
    """On a 390x844 phone the open panel covers the viewport and the input stays on screen."""
    page = await open_page(
        locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    await open_widget(page, helpdesk.url)
    panel = await page.get_by_role("dialog").bounding_box()
    assert panel is not None
    assert (panel["x"], panel["y"]) == (0, 0)
    assert (panel["width"], panel["height"]) == (390, 844)
    for part in ("#hd-input", ".hd-send", ".hd-close"):
        box = await page.locator(part).bounding_box()
        assert box is not None, part
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390, part
        assert box["y"] + box["height"] <= 844, part
    await say(page, "bonjour")


async def test_keyboard_only_use(helpdesk: Helpdesk, open_page: OpenPage) -> None:
    """Tab reaches the launcher, Enter opens, Enter sends, Shift+Enter breaks a line,
    Escape closes and gives the focus back to the launcher."""
    page = await open_page(locale="fr-FR")
    await page.goto(helpdesk.url)
    launcher = page.get_by_role("button", name="Aide", exact=True)
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await launcher.evaluate("b => b.getRootNode().activeElement === b"):
            break
    else:
        pytest.fail("Tab never reached the chat launcher")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("dialog")).to_be_visible()
    await expect(page.locator("#hd-input")).to_be_focused()
    await expect(page.locator(".hd-root")).to_have_attribute("data-connected", "true")
    await page.keyboard.type("un")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("deux")
    await expect(page.locator("#hd-input")).to_have_value("un\ndeux")
    await page.keyboard.press("ControlOrMeta+A")
    await page.keyboard.type("bonjour")
    bots = await messages(page, "bot").count()
    await page.keyboard.press("Enter")
    await expect(messages(page, "customer").last).to_have_text("bonjour")
    await expect(page.locator("#hd-input")).to_have_value("")
    # Wait for the bot's answer: arriving after Escape, it would rightly rename the
    # launcher "Aide, nouveaux messages" and this test would race it.
    await expect(messages(page, "bot").nth(bots)).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_attribute("aria-expanded", "false")


async def test_accessible_structure(helpdesk: Helpdesk, open_page: OpenPage) -> None:
    """The launcher controls a labelled dialog whose log is a polite live region."""
    page = await open_page(locale="fr-FR")
    await open_widget(page, helpdesk.url)
    log = page.get_by_role("log")
    await expect(log).to_have_attribute("aria-live", "polite")
    await expect(page.get_by_role("dialog")).to_have_attribute(
        "aria-label", "Discussion avec l'assistance"
    )
    await expect(page.get_by_role("textbox", name="Votre message")).to_be_visible()
    controls = await page.locator(".hd-launcher").get_attribute("aria-controls")
    assert controls == await page.get_by_role("dialog").get_attribute("id")


@pytest.fixture
async def customer_site(helpdesk: Helpdesk) -> AsyncIterator[str]:
    """A provider customer's page on another origin, whose CSP allows only the help desk."""
    csp = (
        f"default-src 'none'; script-src {helpdesk.url}; style-src {helpdesk.url}; "
        f"connect-src {helpdesk.url.replace('http', 'ws', 1)}; base-uri 'none'; "
        "form-action 'none'; img-src 'none'; font-src 'none'; "
        "frame-ancestors 'none'"
    )
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme</title>'
        "</head><body><h1>Acme Corp</h1><p>Welcome.</p>"
        f'<script src="{helpdesk.url}/widget.js" defer></script></body></html>'
    )

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text=html, content_type="text/html", headers={"Content-Security-Policy": csp}
        )

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/"
    await runner.cleanup()


async def test_widget_works_under_a_strict_host_csp(
    helpdesk: Helpdesk, open_page: OpenPage, customer_site: str
) -> None:
    """On another origin whose CSP allows only the help desk, the widget loads its style,
    chats, and causes no CSP violation."""
    page = await open_page(locale="en-GB")
    await open_widget(page, customer_site, launcher="Help")
    position = await page.locator(".hd-panel").evaluate("p => getComputedStyle(p).position")
    assert position == "fixed"  # the stylesheet was allowed and applied
    await say(page, "how do I set up Outlook with IMAP?")
    await follow_until(page, "993", "imap")
    assert console_of(page).problems() == []


async def test_reconnects_after_a_server_restart(helpdesk: Helpdesk, open_page: OpenPage) -> None:
    """When the server goes away the widget says it is reconnecting, comes back by itself
    to the same conversation without repeating messages, and chatting goes on."""
    page = await open_page(locale="fr-FR")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url)
    await say(page, "bonjour")
    before = await ids(page)
    await helpdesk.stop()
    await expect(page.locator(".hd-status")).to_have_text("Reconnexion…")
    await expect(page.locator(".hd-send")).to_be_enabled()  # what is typed waits, pending
    await helpdesk.start()
    await expect(page.locator(".hd-status")).to_be_hidden()
    assert await ids(page) == before
    await say(page, "comment configurer thunderbird en imap")
    token = await page.evaluate("localStorage.getItem('helpdesk-chat:conversation')")
    hellos = [f for f in sent if f["type"] == "hello"]
    assert len(hellos) >= 2
    assert all(h["conversation"] == token for h in hellos[1:])


WATCH_TYPING = """() => {
  const typing = document.getElementById("helpdesk-chat").shadowRoot.querySelector(".hd-typing");
  window.__typing = [];
  new MutationObserver(() => {
    if (!typing.hidden) window.__typing.push(typing.textContent);
  }).observe(typing, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


async def test_typing_indicator_says_what_is_being_checked(
    helpdesk: Helpdesk, open_page: OpenPage
) -> None:
    """While the bot checks a domain, the typing indicator shows what it checks, then hides."""
    page = await open_page(locale="fr-FR")
    await open_widget(page, helpdesk.url)
    await page.evaluate(WATCH_TYPING)
    await say(page, "pouvez-vous vérifier le SPF de exemple.fr ?")
    verdict = messages(page, "bot").filter(has_text="v=spf1")
    if not await verdict.count():  # the bot asked for the domain first
        await say(page, "exemple.fr")
    await expect(verdict.first).to_be_visible()
    await expect(page.locator(".hd-typing")).to_be_hidden()
    shown = await page.evaluate("window.__typing")
    assert any("exemple.fr" in text for text in shown), shown


IMAP_QUESTION = "comment configurer thunderbird en imap"


async def stored_times(helpdesk: Helpdesk, text: str | None) -> int:
    """How many messages with `text` the running help desk has stored (None: how many
    bot messages)."""
    assert helpdesk.runner is not None
    query = select(func.count()).select_from(Message)
    if text is None:
        query = query.where(Message.author == "bot")
    else:
        query = query.where(Message.body == text)
    async with helpdesk.runner.app[SESSIONS]() as session:
        return int(await session.scalar(query) or 0)


async def test_a_message_sent_while_the_server_is_down_waits_as_pending(
    helpdesk: Helpdesk, open_page: OpenPage
) -> None:
    """A message sent while the server is down stays in the log as pending (the box is
    free again), and goes after the reconnection, exactly once, to be answered."""
    page = await open_page(locale="fr-FR")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url)
    await say(page, "bonjour")
    await helpdesk.stop()
    await expect(page.locator(".hd-status")).to_have_text("Reconnexion…")
    box = page.locator("#hd-input")
    await box.fill(IMAP_QUESTION)
    await box.press("Enter")
    pending = page.locator(".hd-log .hd-pending")
    await expect(pending.locator(".hd-text")).to_have_text(IMAP_QUESTION)
    await expect(pending.locator(".hd-state")).to_have_text("Pas encore reçu par l'assistance")
    await expect(box).to_have_value("")
    await expect(page.locator(".hd-status")).to_have_text(
        "Hors ligne : votre message partira dès la reconnexion."
    )
    bots = await messages(page, "bot").count()
    await helpdesk.start()
    await expect(pending).to_have_count(0)
    await expect(messages(page, "customer").filter(has_text=IMAP_QUESTION)).to_have_count(1)
    await expect(messages(page, "bot").nth(bots)).to_be_visible()
    frames = [f for f in sent if f["type"] == "message" and f["text"] == IMAP_QUESTION]
    assert len(frames) == 1 and frames[0]["client_id"]
    assert await stored_times(helpdesk, IMAP_QUESTION) == 1


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "lost"])
async def test_a_message_the_server_never_acknowledged_is_kept_and_sent_once(
    helpdesk: Helpdesk, open_page: OpenPage, stored: bool
) -> None:
    """When the server dies after reading a message, before acknowledging it, the widget
    keeps it as pending; after the restart it is stored and answered once: either the
    history brings its echo back (it had been stored) or the widget sends it again, with
    the same client id."""
    page = await open_page(locale="fr-FR")
    sent = record_frames(page)
    await open_widget(page, helpdesk.url)
    await say(page, "bonjour")
    assert helpdesk.runner is not None
    service = helpdesk.runner.app[CHAT]
    turn = service.turn
    reached = asyncio.Event()

    async def die_before_acknowledging(*args: Any) -> None:
        session, customer_turn, _send, client_id = args

        async def lost(frame: dict[str, Any]) -> None:
            return None  # the acknowledgement never leaves the dying process

        if stored:
            await turn(session, customer_turn, lost, client_id)
        reached.set()
        await asyncio.Event().wait()  # until the shutdown cancels it

    service.turn = die_before_acknowledging  # type: ignore[method-assign]
    box = page.locator("#hd-input")
    await box.fill(IMAP_QUESTION)
    await box.press("Enter")
    await reached.wait()
    answers = await stored_times(helpdesk, None)
    pending = page.locator(".hd-log .hd-pending")
    await expect(pending.locator(".hd-text")).to_have_text(IMAP_QUESTION)
    await helpdesk.stop()
    await expect(page.locator(".hd-status")).to_have_text(
        "Hors ligne : votre message partira dès la reconnexion."
    )
    await helpdesk.start()
    await expect(pending).to_have_count(0)
    await expect(messages(page, "customer").filter(has_text=IMAP_QUESTION)).to_have_count(1)
    if stored:  # the answer given before the crash comes back with the history
        await expect(messages(page, "bot")).to_have_count(answers)
    else:
        await expect(messages(page, "bot").nth(answers)).to_be_visible()
    await expect(page.locator(".hd-status")).to_be_hidden()
    frames = [f for f in sent if f["type"] == "message" and f["text"] == IMAP_QUESTION]
    assert len(frames) == (1 if stored else 2), frames
    assert len({f["client_id"] for f in frames}) == 1
    assert await stored_times(helpdesk, IMAP_QUESTION) == 1
    if stored:
        assert await stored_times(helpdesk, None) == answers  # not answered again
    # Each stored answer shown once.
    await expect(messages(page, "bot")).to_have_count(await stored_times(helpdesk, None))
