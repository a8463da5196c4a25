"""The console speaks French and English: every text in both, chosen per request."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.console.texts import Texts
from helpdesk.wording import WordingError
from tests.helpdesk.console.conftest import Desk


def test_every_key_exists_in_both_languages(tmp_path: Path) -> None:
    """The shipped wording is complete; a key missing in one language stops the start-up."""
    shipped = Texts()
    assert shipped.get("en", "login.wait_seconds", seconds=3).endswith("in 3 seconds.")
    assert shipped.phrases("fr")("login.title") == "Connexion"
    (tmp_path / "fr.yaml").write_text("a: x\nb: y\n", encoding="utf-8")
    (tmp_path / "en.yaml").write_text("a: x\n", encoding="utf-8")
    with pytest.raises(WordingError, match=r"en\.yaml: missing key 'b'"):
        Texts(tmp_path)


async def test_language_follows_the_browser_then_the_choice(desk: Desk) -> None:
    """Accept-Language picks the language; ?lang= overrides it and is remembered."""
    client = await desk.anonymous()
    french = await client.get("/staff/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Mot de passe" in await french.text()
    english = await client.get("/staff/login?lang=en", headers={"Accept-Language": "fr"})
    assert "Password" in await english.text() and english.headers["Content-Language"] == "en"
    again = await client.get("/staff/login", headers={"Accept-Language": "fr"})
    assert "Password" in await again.text()
