"""The reset page in Chromium: the strong-password button works under the page's CSP."""

from __future__ import annotations

from datetime import timedelta

from helpdesk.db import create_engine, session_factory
from helpdesk.mailbox.embedded import EmbeddedMailboxService
from helpdesk.mailbox.policy import PasswordPolicy
from helpdesk.mailbox.service import NewMailbox
from tests.browser.conftest import Helpdesk, OpenPage


async def test_generate_fill_and_submit(helpdesk: Helpdesk, open_page: OpenPage) -> None:
    """The button fills both fields with a password meeting the policy, shows it, and the
    form sets it; the page breaks no CSP rule and reports no error."""
    from playwright.async_api import expect

    engine = create_engine(helpdesk.settings.database_url)
    try:
        store = EmbeddedMailboxService(session_factory(engine))
        await store.create(
            NewMailbox(
                "jean@exemple.fr", "Ourson-bleu-7", "jean@ailleurs.example", "mail.zindex.fr"
            )
        )
        link = await store.issue_link("jean@exemple.fr", "reset", timedelta(minutes=30), "- fr")
        assert link is not None
        before = await store.get("jean@exemple.fr")

        page = await open_page()
        await page.goto(f"{helpdesk.url}/reset/{link.token}")
        button = page.get_by_role("button", name="Proposer un mot de passe robuste")
        await expect(button).to_be_visible()
        await button.click()
        password = await page.locator("#password").input_value()
        assert password == await page.locator("#confirm").input_value()
        assert len(password) >= 16
        assert PasswordPolicy(8).problems(password, "jean@exemple.fr") == []
        assert await page.locator("#password").get_attribute("type") == "text"
        await expect(page.locator("#generated-note")).to_be_visible()
        await page.get_by_role("button", name="Enregistrer le mot de passe").click()
        await expect(page.get_by_role("heading", name="Mot de passe changé")).to_be_visible()
        assert page.console.problems() == []  # type: ignore[attr-defined]

        after = await store.get("jean@exemple.fr")
        assert before is not None and after is not None
        assert after.password_changed_at > before.password_changed_at
    finally:
        await engine.dispose()
