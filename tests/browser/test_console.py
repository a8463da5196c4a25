"""The staff console in a real browser, with a customer holding the chat in another context.

An agent logs in, finds the customer's ticket by a word of its transcript, sees the check
the bot ran, takes the chat over; both see each other's messages live; then it is resolved.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from helpdesk.db import create_engine, session_factory
from helpdesk.desk.tickets import TicketStore
from helpdesk.staff.accounts import create_staff
from tests.browser.conftest import Helpdesk, OpenPage
from tests.browser.test_widget import console_of, messages, open_widget, say

if TYPE_CHECKING:
    from playwright.async_api import Page

try:
    from playwright.async_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) without playwright
    expect = None

AGENT = ("agent@zindex.fr", "agent-password-1")
XSS = "<script>window.__pwned=1</script><b>gras</b>"


async def seed(helpdesk: Helpdesk) -> None:
    """An agent account, and another customer's ticket the search must not return."""
    engine = create_engine(helpdesk.settings.database_url)
    try:
        await create_staff(engine, AGENT[0], AGENT[1], "agent")
        store = TicketStore(session_factory(engine))
        other = await store.create("chat", lang="fr")
        await store.add_message(other.id, "customer", "chat", "je voudrais un alias")
    finally:
        await engine.dispose()


async def log_in(page: Page, url: str) -> None:
    await page.goto(f"{url}/staff/tickets")
    await expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    await page.get_by_label("Email address").fill(AGENT[0])
    await page.get_by_label("Password").fill(AGENT[1])
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(re.compile(r"/staff/tickets$"))


async def test_agent_finds_takes_over_and_resolves_a_live_chat(
    helpdesk: Helpdesk, open_page: OpenPage
) -> None:
    """The issue's scenario, end to end, with no script error nor CSP violation."""
    await seed(helpdesk)
    customer = await open_page(locale="fr-FR")
    await open_widget(customer, helpdesk.url)
    await say(customer, "j'ai reçu une erreur 552 5.3.4 message file too big")
    await say(customer, XSS)
    reference = (await customer.locator(".hd-ticket").inner_text()).split()[-1]
    assert reference.startswith("HD-")

    agent = await open_page(locale="en-US")
    await log_in(agent, helpdesk.url)
    await agent.get_by_label("Search conversations").fill("5.3.4")
    await agent.get_by_role("button", name="Filter").click()
    rows = agent.locator("table.queue tbody tr")
    await expect(rows).to_have_count(1)
    await rows.get_by_role("link", name=reference).click()

    await expect(agent.get_by_role("heading", level=1)).to_contain_text(reference)
    check = agent.locator('[data-check="bounce"]')
    await expect(check).to_be_visible()
    await expect(check).to_contain_text("5.3.4")
    await expect(check).to_contain_text("552")
    await expect(agent.locator("#transcript")).to_contain_text(XSS)  # as text
    assert await agent.evaluate("typeof window.__pwned") == "undefined"
    assert await agent.locator("#transcript b").count() == 0

    await agent.get_by_role("button", name="Take over the chat").click()
    await expect(agent.locator("#live")).to_have_attribute("data-connected", "true")
    await expect(messages(customer, "system").last).to_contain_text("conseiller")

    await agent.get_by_label("Your message to the customer").fill("Bonjour, je suis Léa.")
    await agent.get_by_label("Your message to the customer").press("Enter")
    await expect(messages(customer, "staff").last).to_have_text("Bonjour, je suis Léa.")
    await expect(agent.locator('#transcript li[data-from="staff"]').last).to_contain_text(
        "Bonjour, je suis Léa."
    )

    box = customer.locator("#hd-input")
    await box.fill("Merci Léa !")
    await box.press("Enter")
    await expect(agent.locator('#transcript li[data-from="customer"]').last).to_contain_text(
        "Merci Léa !"
    )
    bots = await messages(customer, "bot").count()

    await agent.get_by_role("button", name="Resolve").click()
    await expect(agent.locator("#ticket-status")).to_have_text("Resolved")
    assert await messages(customer, "bot").count() == bots  # the bot stayed silent
    assert console_of(agent).problems() == []
    assert console_of(customer).problems() == []
