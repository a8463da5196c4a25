"""Entities pulled from customers' text, in French and in English."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from helpdesk.understanding.entities import (
    Entities,
    domains,
    emails,
    extract_entities,
    ip_addresses,
    mail_clients,
    moments,
    protocols,
    reply_codes,
    status_codes,
)

# Monday 23 November 2026, 11:00 in Paris (winter time).
PARIS = timezone(timedelta(hours=1))
NOW = datetime(2026, 11, 23, 11, 0, tzinfo=PARIS)


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("text", "replies", "statuses"),
    [
        ("mon mail revient avec 550 5.1.1 User unknown", ("550",), ("5.1.1",)),
        ("I got 552 5.3.4 Error: message file too big", ("552",), ("5.3.4",)),
        ("erreur 554 quand j'envoie", ("554",), ()),
        ("error code: 421, try later", ("421",), ()),
        ("550-5.7.1 Requested action\n550 Blocked", ("550",), ("5.7.1",)),
        ("statut 4.2.2 boîte pleine", (), ("4.2.2",)),
        ("port 465 ou 587 ? et 993 pour imap", (), ()),
        ("j'ai 250 mails et 500 contacts", (), ()),
        ("serveur 192.168.5.1, version 2.5.1.3", (), ()),
    ],
)
def test_smtp_codes(text: str, replies: tuple[str, ...], statuses: tuple[str, ...]) -> None:
    """Reply codes need an error context; ports, counts and IPs are not codes."""
    assert reply_codes(text) == replies
    assert status_codes(text) == statuses


def test_emails_fr_and_en() -> None:
    """Addresses are found in both languages, Unicode included, without repeats."""
    assert emails("écrivez à Jean.Dupont@exemple.fr ou à contact@café.fr svp") == (
        "Jean.Dupont@exemple.fr",
        "contact@café.fr",
    )
    assert emails(
        "send it to john+work@mail.example.co.uk. Thanks, john+work@mail.example.co.uk"
    ) == ("john+work@mail.example.co.uk",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le spf de exemple.fr est-il bon ?", ("exemple.fr",)),
        (
            "check mon-site.com and https://www.other-site.org/contact",
            ("mon-site.com", "other-site.org"),
        ),
        ("mon domaine bücher.de et xn--bcher-kva.ch", ("bücher.de", "xn--bcher-kva.ch")),
        ("écrire à paul@exemple.fr", ()),
        ("paul@exemple.fr, le domaine exemple.fr", ("exemple.fr",)),
        ("voir fichier.pdf et photo.jpg, bonjour.merci", ()),
        ("include:_spf.example.com in my record", ("_spf.example.com",)),
    ],
)
def test_domains(text: str, expected: tuple[str, ...]) -> None:
    """Bare domains and links count; those inside addresses and file names do not."""
    assert domains(text) == expected


def test_ip_addresses() -> None:
    """IPv4 and IPv6 addresses are found and normalised; status codes are not IPs."""
    text = "le serveur 203.0.113.7 puis 2001:DB8:0:0::1, code 5.7.1, heure 14:05, 999.1.1.1"
    assert ip_addresses(text) == ("203.0.113.7", "2001:db8::1")
    assert ip_addresses("blocked from [198.51.100.23] and ::1") == ("198.51.100.23", "::1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sur Outlook 2019 et mon iPhone", ("Outlook", "iOS")),
        ("Thunderbird on Windows, then Apple Mail", ("Thunderbird", "Apple Mail")),
        ("dans Mail de Mac ou l'appli Gmail d'Android", ("Apple Mail", "Gmail app", "Android")),
        ("Windows Mail, eM Client and K-9 Mail", ("Windows Mail", "eM Client", "K-9 Mail")),
        ("mes mails vers outlook.com et gmail", ()),
    ],
)
def test_mail_clients(text: str, expected: tuple[str, ...]) -> None:
    """Mail programs get canonical names; Outlook.com and Gmail the services do not count."""
    assert mail_clients(text) == expected


def test_protocols() -> None:
    """IMAP, POP/POP3 and SMTP are named however the customer writes them."""
    assert protocols("imap ou pop ? et le smtp") == ("IMAP", "POP3", "SMTP")
    assert protocols("POP3 with SSL, a pop-up appeared") == ("POP3",)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("envoyé hier à 14h", at(22, 14), at(22, 14)),
        ("ce matin vers 10h30", at(23, 10, 30), at(23, 10, 30)),
        ("le 12/03 à 9h15", at(12, 9, 15, month=3), at(12, 9, 15, month=3)),
        ("sent yesterday at 2pm", at(22, 14), at(22, 14)),
        ("today 14:05", at(23, 14, 5), at(23, 14, 5)),
        ("this morning", at(23, 6), at(23, 12)),
        ("hier", at(22, 0), at(23, 0)),
        ("lundi dernier vers midi", at(16, 12), at(16, 12)),
        ("last friday at 5:30 pm", at(20, 17, 30), at(20, 17, 30)),
        ("le 3 décembre", at(3, 0, month=12, year=2025), at(4, 0, month=12, year=2025)),
        ("on March 5th 2025 at 8am", at(5, 8, month=3, year=2025), at(5, 8, month=3, year=2025)),
        ("il y a 2 heures", at(23, 9), at(23, 9)),
        ("il y a 10 min", at(23, 10, 50), at(23, 10, 50)),
        ("3 hours ago", at(23, 8), at(23, 8)),
        ("il y a deux jours", at(21, 0), at(22, 0)),
        ("a few days ago", at(20, 0), at(21, 0)),
        # a bare time later than now is about yesterday: customers report the past
        ("vers 15h", at(22, 15), at(22, 15)),
        ("vers 9h", at(23, 9), at(23, 9)),
    ],
)
def test_moments_resolved_against_reference(text: str, start: datetime, end: datetime) -> None:
    """Dates and times resolve against the given moment, in the past, in its time zone."""
    found = moments(text, NOW)
    assert [(m.start, m.end) for m in found] == [(start, end)]


def test_durations_and_codes_are_not_times() -> None:
    """ "72h" of suspension and "5.1.1" are not moments."""
    assert moments("suspendu 72h après le code 5.1.1", NOW) == ()
    assert moments("bloqué depuis 2 heures", NOW) == ()


def test_extract_entities_without_reference_resolves_no_dates() -> None:
    """Without a reference moment nothing is resolved: the clock is never read."""
    found = extract_entities("hier à 14h, 550 5.1.1 pour paul@exemple.fr depuis Outlook en IMAP")
    assert found == Entities(
        reply_codes=("550",),
        status_codes=("5.1.1",),
        emails=("paul@exemple.fr",),
        clients=("Outlook",),
        protocols=("IMAP",),
    )
    assert extract_entities("hier à 14h", NOW).datetimes[0].exact
