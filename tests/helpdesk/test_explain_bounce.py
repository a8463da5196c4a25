"""Wording of bounce diagnoses: every reason in FR and EN, with the provider's facts."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from diagnostics.bounce import REASONS, FailedRecipient, parse_bounce
from helpdesk.config import Endpoint, ProviderProfile, Settings
from helpdesk.explain.bounce import TEMPLATES_DIR, explain_recipient, render_text
from helpdesk.wording import LANGUAGES


def _profile() -> ProviderProfile:
    """A provider unlike the shipped default, so that numbers must come from it."""
    return ProviderProfile(
        name="Exemple Mail",
        support_address="aide@exemple-mail.test",
        webmail_url="https://webmail.exemple-mail.test",
        panel_url="https://{server}:8443",
        servers=("mx1.exemple-mail.test", "mx2.exemple-mail.test"),
        mx_hosts=("in.exemple-mail.test",),
        spf_include="_spf.exemple-mail.test",
        sending_ips=("192.0.2.10",),
        message_size_limit_mb=35,
        hourly_send_limit=450,
        send_block_hours=3,
        quota_warning_percent=90,
        spam_suspension_hours=48,
        spam_score_default=6.0,
        password_min_length=10,
        pop_keep_days=30,
        imap=Endpoint(993, "ssl"),
        pop3=Endpoint(995, "ssl"),
        smtp=Endpoint(587, "starttls"),
    )


def _rec(reason: str, **changes: object) -> FailedRecipient:
    base = FailedRecipient(
        recipient="a&b@example.org",
        action="failed",
        replycode="550",
        status="5.0.0",
        diagnostic="<b>550</b> refused",
        remote_mta="",
        reason=reason,
        actor="sender",
        retryable=False,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGUAGES.codes)
def test_every_reason_has_wording(lang: str) -> None:
    """Each reason of the vocabulary has a summary, an explanation and steps in every
    declared language."""
    table = yaml.safe_load((TEMPLATES_DIR / f"{lang}.yaml").read_text("utf-8"))["reasons"]
    assert set(table) == set(REASONS)
    for reason in REASONS:
        text = explain_recipient(_rec(reason), _profile(), lang)
        assert text.summary
        assert text.explanation
        assert text.steps


@pytest.mark.parametrize(
    ("reason", "lang", "fact"),
    [
        ("mesgtoobig", "fr", "35 Mo"),
        ("mesgtoobig", "en", "35 MB"),
        ("speeding", "fr", "450 messages par heure"),
        ("speeding", "en", "3 h"),
        ("mailboxfull", "fr", "90 %"),
        ("authfailure", "en", "include:_spf.exemple-mail.test"),
        ("norelaying", "fr", "port 587"),
        ("undefined", "en", "aide@exemple-mail.test"),
    ],
)
def test_wording_uses_provider_facts(reason: str, lang: str, fact: str) -> None:
    """Limits, ports and addresses in the wording come from the provider profile."""
    text = explain_recipient(_rec(reason), _profile(), lang).as_text()
    assert fact in text


def test_plain_text_is_not_html_escaped() -> None:
    """Explanations are plain text: an ampersand in an address stays an ampersand."""
    text = render_text(parse_bounce("550 5.1.1 <a&b@example.org>: User unknown"), _profile(), "en")
    assert "&amp;" not in text


def test_speeding_by_remote_server_is_not_our_limit() -> None:
    """A rate limit reported by someone else's server does not quote our hourly limit."""
    ours = explain_recipient(_rec("speeding"), _profile(), "en")
    theirs = explain_recipient(_rec("speeding", remote_mta="mx.other.example"), _profile(), "en")
    assert "450" in ours.explanation
    assert "450" not in theirs.explanation


def test_wording_follows_each_profile_and_recipient() -> None:
    """Texts kept per profile are not reused for another profile; recipients stay their own."""
    first = _profile()
    other = dataclasses.replace(first, message_size_limit_mb=12)
    assert "35 MB" in explain_recipient(_rec("mesgtoobig"), first, "en").explanation
    assert "12 MB" in explain_recipient(_rec("mesgtoobig"), other, "en").explanation
    assert "35 MB" in explain_recipient(_rec("mesgtoobig"), first, "en").explanation
    one = explain_recipient(_rec("userunknown", recipient="one@example.org"), first, "en")
    two = explain_recipient(_rec("userunknown", recipient="two@example.org"), first, "en")
    assert "one@example.org" in one.summary
    assert "two@example.org" in two.summary


def test_render_text_in_both_languages() -> None:
    """The readable report is in the requested language and lists the steps."""
    report = parse_bounce("552 5.3.4 Error; message file too big")
    fr = render_text(report, _profile(), "fr")
    en = render_text(report, _profile(), "en")
    assert "trop volumineux" in fr
    assert "1." in fr
    assert "too large" in en
    assert "1." in en


def test_shipped_profile_renders_every_reason(settings: Settings) -> None:
    """The default provider profile fills every template (no undefined variable)."""
    for reason in REASONS:
        for lang in ("fr", "en"):
            assert explain_recipient(_rec(reason), settings.provider, lang).summary


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_authentication_failure_gives_the_providers_spf_record(lang: str) -> None:
    """The record to publish is the provider's, whatever the profile says it with: an
    include and addresses, or (with neither) its servers by name; never an empty include."""
    report = parse_bounce(b"550 5.7.26 Unauthenticated email from example.org is not accepted")
    text = render_text(report, _profile(), lang)
    assert "v=spf1 include:_spf.exemple-mail.test ~all" in text
    by_name = dataclasses.replace(_profile(), spf_include="", sending_ips=())
    text = render_text(report, by_name, lang)
    assert "v=spf1 a:mx1.exemple-mail.test a:mx2.exemple-mail.test ~all" in text
    assert "include: " not in text and "include:." not in text
