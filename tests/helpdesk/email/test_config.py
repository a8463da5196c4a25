"""The IMAP fetch settings: one URL, the password masked, errors naming the variable."""

from __future__ import annotations

import pytest

from helpdesk.config import ConfigError, load_settings


def test_imap_url_is_parsed_and_masked(env: dict[str, str]) -> None:
    """User, password, port and mailbox come from the URL; `config check` masks the password."""
    settings = load_settings(
        {**env, "HELPDESK_IMAP_FETCH": "imaps://support%40zindex.fr:p%40ss@imap.zindex.fr/Support"}
    )
    box = settings.imap_fetch
    assert box is not None
    assert (box.username, box.password, box.host, box.port, box.mailbox) == (
        "support@zindex.fr", "p@ss", "imap.zindex.fr", 993, "Support",
    )  # fmt: skip
    assert box.implicit_tls
    assert "p@ss" not in repr(settings) and "p%40ss" not in str(settings.masked())
    assert settings.masked()["imap_fetch"].startswith("imaps://support%40zindex.fr:********@")
    assert load_settings(env).imap_fetch is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("pop3://u:p@h", "HELPDESK_IMAP_FETCH: expected imaps://"),
        ("imaps://imap.zindex.fr", "HELPDESK_IMAP_FETCH: the URL must hold the user and password"),
        ("imap://u:p@h:99999", "HELPDESK_IMAP_FETCH: bad port"),
        ("imap://u:p@imap.zindex.fr", "HELPDESK_IMAP_FETCH: imap:// would send the password"),
        ("imap://u:p@192.0.2.7:143", "HELPDESK_IMAP_FETCH: imap:// would send the password"),
    ],
)
def test_bad_imap_url_names_the_variable(env: dict[str, str], value: str, message: str) -> None:
    """A bad URL stops start-up with one line naming the variable, never the password."""
    with pytest.raises(ConfigError) as error:
        load_settings({**env, "HELPDESK_IMAP_FETCH": value})
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "[::1]", "localhost"])
def test_plain_imap_is_for_this_machine(env: dict[str, str], host: str) -> None:
    """imap:// (no TLS) is accepted for a server on loopback only."""
    settings = load_settings({**env, "HELPDESK_IMAP_FETCH": f"imap://u:p@{host}:1143"})
    assert settings.imap_fetch is not None and not settings.imap_fetch.implicit_tls


def test_poll_interval_is_bounded(env: dict[str, str]) -> None:
    """The poll interval is a number of seconds from 5 to 3600."""
    assert load_settings({**env, "HELPDESK_IMAP_POLL_SECONDS": "30"}).imap_poll_seconds == 30
    with pytest.raises(ConfigError, match="HELPDESK_IMAP_POLL_SECONDS"):
        load_settings({**env, "HELPDESK_IMAP_POLL_SECONDS": "1"})
