"""Reading articles: front matter, file names, both languages, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk.kb import KbError, load_articles, parse_article

GOOD = """---
id: sample
title: Un exemple
intents: [webmail]
keywords: [exemple, "552"]
---
Le webmail est à {{ p.webmail_url }}.
"""


def write(root: Path, lang: str, name: str, text: str) -> Path:
    (root / lang).mkdir(parents=True, exist_ok=True)
    path = root / lang / name
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_becomes_fields() -> None:
    """id, title, intents and keywords come from the front matter; the rest is the body."""
    article = parse_article(GOOD, Path("kb/fr/sample.md"), "fr")
    assert article.id == "sample"
    assert article.lang == "fr"
    assert article.title == "Un exemple"
    assert article.intents == ("webmail",)
    assert article.keywords == ("exemple", "552")
    assert article.body.strip() == "Le webmail est à {{ p.webmail_url }}."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: sample\n", "must start with a '---' line"),
        ("---\nid: sample\ntitle: x\n", "no closing '---' line"),
        ("---\ntitle: IMAP ou POP : lequel ?\n---\n", "invalid YAML"),
        ("---\n- a list\n---\n", "expected a mapping"),
        ("---\nid: sample\nintents: [webmail]\nkeywords: []\n---\n", "missing 'title'"),
        (GOOD.replace("keywords:", "tags: []\nkeywords:"), "unknown key 'tags'"),
        (GOOD.replace("[webmail]", "[webmial]"), "unknown intent 'webmial'"),
        (GOOD.replace("[webmail]", "[]"), "'intents' must not be empty"),
        (GOOD.replace('"552"', "552"), "552 is not a word (quote it)"),
        (GOOD.replace("id: sample", "id: other"), "differs from the file name"),
        (GOOD.replace("id: sample", "id: Sample Page"), "'id' must be lower-case"),
        (GOOD.replace("title: Un exemple", "title: ''"), "'title' must be a non-empty string"),
        (GOOD + "{% if p.name %}\n", "line 8: template error"),
    ],
)
def test_bad_front_matter_names_the_file(text: str, message: str) -> None:
    """Every mistake in an article is reported with its file name and what is wrong."""
    with pytest.raises(KbError) as caught:
        parse_article(text, Path("kb/fr/sample.md"), "fr")
    assert str(caught.value).startswith("kb/fr/sample.md: ")
    assert message in str(caught.value)


def test_loader_reads_both_languages(tmp_path: Path) -> None:
    """load_articles returns one dataclass per file, French then English, by id."""
    for lang in ("fr", "en"):
        write(tmp_path, lang, "sample.md", GOOD)
        write(tmp_path, lang, "zeta.md", GOOD.replace("id: sample", "id: zeta"))
    found = load_articles(tmp_path)
    assert [(a.lang, a.id) for a in found] == [
        ("fr", "sample"),
        ("fr", "zeta"),
        ("en", "sample"),
        ("en", "zeta"),
    ]
    assert found[0].path == tmp_path / "fr" / "sample.md"


def test_loader_names_the_missing_translation(tmp_path: Path) -> None:
    """An article in one language only stops the load, naming the file to write."""
    write(tmp_path, "fr", "sample.md", GOOD)
    write(tmp_path, "en", "other.md", GOOD.replace("id: sample", "id: other"))
    with pytest.raises(KbError, match=r"en/sample\.md: missing \(the fr article 'sample'"):
        load_articles(tmp_path)


def test_loader_reports_the_bad_file_among_good_ones(tmp_path: Path) -> None:
    """The error of a broken article names that article, not the folder."""
    write(tmp_path, "fr", "sample.md", GOOD)
    write(tmp_path, "en", "sample.md", GOOD.replace("---\nid", "--\nid"))
    with pytest.raises(KbError, match=r"en/sample\.md: front matter"):
        load_articles(tmp_path)


def test_loader_needs_the_language_folders(tmp_path: Path) -> None:
    """A knowledge base without kb/fr or kb/en fails at start-up, naming the folder."""
    write(tmp_path, "fr", "sample.md", GOOD)
    with pytest.raises(KbError, match="en: knowledge base folder missing"):
        load_articles(tmp_path)
