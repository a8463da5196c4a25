"""The languages are declared once (templates/languages.yaml): a third one needs its files,
and no Python."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from jinja2 import UndefinedError

from diagnostics.findings import Finding
from helpdesk.console.texts import Texts
from helpdesk.engine.wording import Wording
from helpdesk.explain.domain import DomainWording
from helpdesk.mailbox.mails import MailComposer
from helpdesk.profile import load_profile
from helpdesk.resources import PACKAGE_DIR, TEMPLATES_DIR
from helpdesk.templating import html_environment, pick_lang
from helpdesk.wording import LANGUAGES, Catalogue, Languages, WordingError, load_languages

CATALOGUES = ("bot", "staff", "reset", "kb", "pages")
# Python that still lists languages itself, and why.
LISTS_ALLOWED = {
    # The understanding model's languages are those of its training examples and word lists.
    "understanding/intents.py",
    "understanding/language.py",
}


def add_german(templates: Path) -> Path:
    """A copy of `templates` with "de" declared and every English file copied as German."""
    tree = templates.parent / "templates"
    shutil.copytree(TEMPLATES_DIR, tree)
    declared = yaml.safe_load((tree / "languages.yaml").read_text(encoding="utf-8"))
    declared["languages"].append({"code": "de", "name": "Deutsch"})
    (tree / "languages.yaml").write_text(yaml.safe_dump(declared), encoding="utf-8")
    for english in list(tree.rglob("*")):
        if english.name == "en.yaml":
            shutil.copy(english, english.with_name("de.yaml"))
        elif ".en." in english.name:
            shutil.copy(english, english.with_name(english.name.replace(".en.", ".de.")))
    return tree


@pytest.fixture
def german(tmp_path: Path) -> tuple[Path, Languages]:
    tree = add_german(tmp_path / "templates")
    return tree, load_languages(tree)


def test_shipped_declaration() -> None:
    """The shipped declaration lists French (the default) and English with their names."""
    assert LANGUAGES.codes == ("fr", "en") and LANGUAGES.default == "fr"
    assert [language.name for language in LANGUAGES.others("de")] == ["Français", "English"]


def test_every_catalogue_renders_in_a_third_language(german: tuple[Path, Languages]) -> None:
    """With "de" declared and its files added, every catalogue loads and renders in German."""
    tree, languages = german
    assert "de" in languages and languages.default == "fr"
    provider = load_profile({})
    for area in CATALOGUES:
        catalogue = Catalogue(tree / area, languages, context={"p": provider})
        rendered, keys = 0, catalogue.keys()
        for key in keys:
            try:
                english = catalogue.text("en", key)
            except UndefinedError:
                continue  # a text that needs values its caller gives
            assert catalogue.text("de", key) == english
            rendered += 1
        assert rendered > len(keys) // 2, area
    wording = Wording(tree / "bot", provider, languages)
    assert wording.say("de", "email.signature") == wording.say("en", "email.signature")
    texts = Texts(tree / "staff", languages)
    assert (
        texts.get("de", "login.wait_seconds", seconds=4)
        == "Too many attempts: try again in 4 seconds."
    )


def test_documents_exist_in_a_third_language(german: tuple[Path, Languages]) -> None:
    """Mails and domain explanations are found in German, from the same declaration."""
    tree, languages = german
    provider = load_profile({})
    mail = MailComposer(tree / "mail", provider, languages).compose(
        "reset_link",
        "de",
        "a@example.org",
        address="a@example.org",
        link="https://x/r/t",
        minutes=30,
        reference="HD-1",
    )
    assert mail["Content-Language"] == "de" and mail["Subject"].startswith("Password reset")
    domain = DomainWording(tree, languages)
    finding = Finding("no_record", "error")
    assert domain.finding("spf", finding, "de") == domain.finding("spf", finding, "en")


def test_pages_negotiate_and_switch_to_a_third_language(german: tuple[Path, Languages]) -> None:
    """Browsers asking for German get it, and the language switch offers the other two."""
    tree, languages = german
    assert pick_lang("de-DE,de;q=0.9,en;q=0.5", languages) == "de"
    assert pick_lang("de-DE", LANGUAGES) == "fr"
    env = html_environment(tree, languages)
    page = env.get_template("kb/index.html").render(
        lang="de", provider=load_profile({}), q="", pages=[]
    )
    assert '<html lang="de">' in page and "Mail help" in page
    assert 'hreflang="fr">Français</a> · <a' in page and 'hreflang="en">English</a>' in page


@pytest.mark.parametrize("area", CATALOGUES)
def test_a_missing_key_is_refused_at_load(german: tuple[Path, Languages], area: str) -> None:
    """A key missing in one language stops the loading, naming the file and the key."""
    tree, languages = german
    german_file = tree / area / "de.yaml"
    texts = yaml.safe_load(german_file.read_text(encoding="utf-8"))
    first = next(iter(texts))
    del texts[first]
    german_file.write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    with pytest.raises(WordingError, match=rf"{area}/de\.yaml: missing key '{first}"):
        Catalogue(tree / area, languages)


def test_a_missing_document_is_refused_at_load(german: tuple[Path, Languages]) -> None:
    """A mail or a domain explanation missing in one language stops the loading, named."""
    tree, languages = german
    (tree / "mail" / "reset_link.de.txt").unlink()
    with pytest.raises(WordingError, match=r"reset_link\.de\.txt"):
        MailComposer(tree / "mail", load_profile({}), languages)
    (tree / "domain" / "mx.de.j2").unlink()
    with pytest.raises(WordingError, match=r"domain/mx\.de\.j2"):
        DomainWording(tree, languages)


def test_no_other_python_lists_the_languages() -> None:
    """Outside the model's own languages, no module spells out the list of languages."""
    listing = re.compile(r"""\(\s*["']fr["']\s*,\s*["']en["']\s*\)""")
    found = sorted(
        path.relative_to(PACKAGE_DIR).as_posix()
        for path in PACKAGE_DIR.rglob("*.py")
        if listing.search(path.read_text(encoding="utf-8"))
    )
    assert set(found) <= LISTS_ALLOWED, found
